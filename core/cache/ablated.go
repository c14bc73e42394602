package cache

import (
	"fmt"
	"strings"
)

// Ablation switches off one technique of the lockfree or sharded variant,
// for the benchmarks that show what each is worth (bench/cache_test.go,
// BenchmarkCacheDesign): a difference between a variant and its ablation has
// that one cause. The zero value is the variant as registered.
type Ablation struct {
	// PreciseClock (lockfree): read the precise time on every Get and Set
	// instead of the coarse clock.
	PreciseClock bool
	// CountEachHit (lockfree, sharded): a hit adds one to the entry's count,
	// an atomic write of the entry's cache line, instead of appending to
	// the usage log.
	CountEachHit bool
	// AlwaysMark (lockfree): a hit stores the CLOCK bit even when it is set.
	AlwaysMark bool
	// ExclusiveOverwrite (sharded): an overwrite of a present key takes the
	// shard's write lock, as rwmutex's does, excluding its readers.
	ExclusiveOverwrite bool
}

// NewAblated builds variant ("lockfree" or "sharded") without the
// techniques a switches off. It refuses a switch the variant has no use for.
func NewAblated(variant string, cfg Config, a Ablation) (Cache, error) {
	var unused []string
	switch variant {
	case "lockfree":
		if a.ExclusiveOverwrite {
			unused = append(unused, "ExclusiveOverwrite (its overwrites take the shard's only lock)")
		}
	case "sharded":
		if a.PreciseClock {
			unused = append(unused, "PreciseClock (it reads time.Now already)")
		}
		if a.AlwaysMark {
			unused = append(unused, "AlwaysMark")
		}
	default:
		return nil, fmt.Errorf("cache: no ablation of variant %q: only lockfree and sharded have one", variant)
	}
	if len(unused) > 0 {
		return nil, fmt.Errorf("cache: ablation of %s: %s does not apply to it", variant, strings.Join(unused, ", "))
	}
	if variant == "lockfree" {
		return newLockFree(cfg, a), nil
	}
	c := newLocked[rwLock](cfg, cfg.Shards, true)
	if a.CountEachHit {
		c.log = nil
	}
	c.exclusiveOverwrite = a.ExclusiveOverwrite
	return c, nil
}
