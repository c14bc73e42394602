package ab

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBinaryFlags(t *testing.T) {
	got, err := binaryFlags([]string{"-bench", "BenchmarkCache/", "-benchtime=100ms", "-benchmem", "--cpu", "2"})
	require.NoError(t, err)
	assert.Equal(t, []string{"-test.bench=BenchmarkCache/", "-test.benchtime=100ms", "-test.benchmem", "-test.cpu=2",
		"-test.run=^$", "-test.count=1"}, got)

	got, err = binaryFlags([]string{"-test.bench=X", "-run", "TestNone"})
	require.NoError(t, err)
	assert.Equal(t, []string{"-test.bench=X", "-test.run=TestNone", "-test.count=1"}, got)

	for flags, want := range map[string][]string{
		"give the benchmarks":           {"-benchtime", "1s"},
		"the gate's --count sets":       {"-bench", "X", "-count", "5"},
		"not a go test benchmark flag":  {"-bench", "X", "-coverprofile", "c.out"},
		"needs a value":                 {"-bench"},
		`unexpected argument "./bench"`: {"./bench"},
	} {
		_, err := binaryFlags(want)
		assert.ErrorContains(t, err, flags)
	}
}
