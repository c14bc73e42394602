package bench

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// SlowdownEnv injects a calibrated slowdown into the benchmarks whose full
// name matches a pattern, to measure llmbench gate itself:
//
//	LLMBENCH_SLOWDOWN='BenchmarkCache/impl=sharded/.*=10%'
//
// A benchmark slowed by p % repeats its operation once every 100/p
// operations: the extra work is p % of the benchmark's own, whatever it
// costs, so no calibration run is needed. Only benchmarks read it.
const SlowdownEnv = "LLMBENCH_SLOWDOWN"

// slowdown says, per operation, whether to do the operation once more.
type slowdown struct{ every int }

// slowdownFor reads SlowdownEnv for b; a zero slowdown never repeats.
func slowdownFor(b *testing.B) slowdown {
	spec := os.Getenv(SlowdownEnv)
	if spec == "" {
		return slowdown{}
	}
	i := strings.LastIndex(spec, "=")
	pct, err := strconv.ParseFloat(strings.TrimSuffix(spec[i+1:], "%"), 64)
	if i < 0 || err != nil || pct <= 0 || pct > 100 {
		b.Fatalf("%s=%q: want PATTERN=PERCENT, e.g. 'BenchmarkCache/impl=sharded/.*=10%%'", SlowdownEnv, spec)
	}
	re, err := regexp.Compile(spec[:i])
	if err != nil {
		b.Fatalf("%s: %v", SlowdownEnv, err)
	}
	if !re.MatchString(b.Name()) {
		return slowdown{}
	}
	return slowdown{every: int(100/pct + 0.5)}
}

// String describes the slowdown, for logs.
func (s slowdown) String() string {
	if s.every == 0 {
		return "none"
	}
	return fmt.Sprintf("one extra operation in %d", s.every)
}

// counter is a per-goroutine position in the slowdown's cycle.
type counter struct {
	s slowdown
	n int
}

// extra reports whether this operation should run once more.
func (c *counter) extra() bool {
	if c.s.every == 0 {
		return false
	}
	c.n++
	if c.n == c.s.every {
		c.n = 0
		return true
	}
	return false
}
