package engine

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/llmbench/llmbench/scenarios/plan"
	"github.com/llmbench/llmbench/scenarios/results"
)

// floorTimer is the short sleep whose lateness is the floor's timer figure.
const floorTimer = 200 * time.Microsecond

// floorScenario is the engine against a zero-latency mock with no stage:
// what is measured is the harness (scheduling, recording) and the mock.
const floorScenario = `
providers: {floor: {ttft: 0s, itl: 0s, output_tokens: 1, capacity: 0}}
workload: {concurrency: %d, duration: 500ms, timeout: 10s, prompt: {tokens: 8}}
`

// MeasureFloor measures the harness's own resolution on this machine:
// how late a 200 µs timer fires (p50, p99 of 200), and the process CPU
// per request of this engine against a zero-latency mock for 0.5 s. A
// difference between variants below these is not the primitives'.
func MeasureFloor(ctx context.Context) (*results.Floor, error) {
	lates := make([]time.Duration, 200)
	for i := range lates {
		t := time.Now()
		time.Sleep(floorTimer)
		lates[i] = max(0, time.Since(t)-floorTimer)
	}
	slices.Sort(lates)
	f := &results.Floor{TimerLateP50: lates[len(lates)/2], TimerLateP99: lates[len(lates)*99/100]}
	users := 4 * runtime.GOMAXPROCS(0)
	p, err := plan.Resolve([]byte(fmt.Sprintf(floorScenario, users)), "floor.yaml", ".", plan.Overrides{})
	if err != nil {
		return nil, err
	}
	res, err := Run(ctx, p, Options{SkipFloor: true})
	if err != nil {
		return f, err
	}
	s := res.Variants[0].Summary()
	f.EngineRequests = s.Sent
	if s.Sent > 0 {
		f.EngineCPUPerReq = s.CPU / time.Duration(s.Sent)
	}
	return f, nil
}
