package strictyaml

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestUnmarshalRefusesASecondDocument(t *testing.T) {
	var root yaml.Node
	err := Unmarshal([]byte("name: a\nseed: 1\n---\nname: b\n"), &root)
	assert.EqualError(t, err, "line 4: a second YAML document (after ---): a file holds one; the first ends before it")

	for _, ok := range []string{"name: a\n", "---\nname: a\n", "name: a\n---\n", "name: a\n---\n# nothing\n"} {
		root = yaml.Node{}
		require.NoError(t, Unmarshal([]byte(ok), &root), "%q", ok)
		require.Len(t, root.Content, 1, "%q", ok)
		assert.Equal(t, "name", root.Content[0].Content[0].Value, "%q", ok)
	}
	for _, empty := range []string{"", "# a comment\n"} {
		root = yaml.Node{Kind: yaml.ScalarNode}
		require.NoError(t, Unmarshal([]byte(empty), &root))
		assert.Zero(t, root.Kind, "%q is empty", empty)
	}
	assert.Error(t, Unmarshal([]byte("a: [\n"), &root), "a syntax error stays one")
}
