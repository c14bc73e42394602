package registry

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRegistry(t *testing.T) {
	r := New[func() int]("demo")
	r.Register("seed", "the original", func() int { return 1 })
	r.Register("fixed", "corrected", func() int { return 2 })

	f, err := r.Get("fixed")
	require.NoError(t, err)
	assert.Equal(t, 2, f())
	assert.Equal(t, []string{"seed", "fixed"}, r.Names())
	assert.Equal(t, "corrected", r.Doc("fixed"))

	_, err = r.Get("nope")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown demo variant "nope"`)
	assert.Contains(t, err.Error(), "seed, fixed")

	assert.Panics(t, func() { r.Register("seed", "", nil) })
}
