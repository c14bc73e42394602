package strictyaml

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadFileIsBounded(t *testing.T) {
	// One byte over the bound, sparse: unbounded, a read of /dev/zero
	// grows until the process dies out of memory.
	big := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxFileSize+1))
	require.NoError(t, f.Close())
	_, err = ReadFile(big)
	assert.EqualError(t, err, big+": larger than 16 MiB, which no scenario or provider file is")

	path := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(path, []byte("name: s\n"), 0o644))
	data, err := ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "name: s\n", string(data))
	_, err = ReadFile(filepath.Join(t.TempDir(), "missing.yaml"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}
