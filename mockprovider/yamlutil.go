package mockprovider

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// cleanYAMLError turns yaml's "yaml: unmarshal errors:\n  line 3: ..." into
// plain "line 3: ..." lines; an empty document is reported as such.
func cleanYAMLError(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("the file is empty")
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines := make([]string, len(te.Errors))
		for i, e := range te.Errors {
			lines[i] = strings.TrimSpace(e)
		}
		return errors.New(strings.Join(lines, "; "))
	}
	return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
}
