package sweep

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/scenarios/engine"
)

// TestInterruptedCapacityIsALowerBound: a sweep interrupted before a
// variant failed any step knows only that it carries at least its highest
// pass; the table printed "200/s" as if the search had found its knee.
func TestInterruptedCapacityIsALowerBound(t *testing.T) {
	p := mustPlan(t, twoVariants)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &scripted{limits: []float64{150, 1000}, cancel: func(step int) {
		if step == 3 {
			cancel()
		}
	}}
	sw, err := Run(ctx, p, mustConfigure(t, p, Flags{}), Options{runStep: s.run, Engine: engine.Options{SkipFloor: true}})
	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, sw.Steps, 3)

	seed, sharded := capacity(t, sw, "cache=seed"), capacity(t, sw, "cache=sharded")
	assert.Equal(t, 100.0, *seed.Capacity)
	assert.False(t, seed.AtLeast, "seed failed at 200/s: its knee is bracketed")
	assert.Equal(t, 200.0, *sharded.Capacity)
	assert.Nil(t, sharded.FailedAt)
	assert.True(t, sharded.AtLeast, "sharded failed nothing before the interrupt: 200/s is a lower bound")
}
