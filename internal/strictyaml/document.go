package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// Unmarshal decodes the one YAML document of data into root (left zero
// for an empty file). yaml.Unmarshal reads the first document of a stream
// and drops the rest: a second scenario pasted after "---" was ignored
// without a word. A trailing "---" with nothing after it is fine.
func Unmarshal(data []byte, root *yaml.Node) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(root); errors.Is(err, io.EOF) {
		*root = yaml.Node{}
		return nil
	} else if err != nil {
		return err
	}
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		case len(next.Content) > 0 && next.Content[0].Tag != "!!null":
			return fmt.Errorf("line %d: a second YAML document (after ---): a file holds one; the first ends before it", next.Content[0].Line)
		}
	}
}
