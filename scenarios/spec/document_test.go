package spec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/mockprovider"
)

// TestASecondDocumentIsRefused: a scenario or provider file with a second
// YAML document after "---" validated, and the second was dropped.
func TestASecondDocumentIsRefused(t *testing.T) {
	_, err := Parse([]byte("name: a\n---\nname: b\n"), "s.yaml")
	assert.EqualError(t, err, "s.yaml: line 3: a second YAML document (after ---): a file holds one; the first ends before it")

	path := filepath.Join(t.TempDir(), "m.yaml")
	require.NoError(t, os.WriteFile(path, []byte("capacity: 4\n---\ncapacity: 5\n"), 0o644))
	_, err = mockprovider.LoadModel(path)
	assert.EqualError(t, err, path+": line 3: a second YAML document (after ---): a file holds one; the first ends before it")
}
