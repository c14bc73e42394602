package spec

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Edit changes one field of a scenario document: Value (any value YAML can
// encode) replaces what Path holds, creating the mappings on the way; a nil
// Value removes the field.
type Edit struct {
	Path  []string
	Value any
}

// Apply returns the document with the edits made, its comments and layout
// otherwise kept, and note added to its header comment: the text of the
// scenario as it will run, which results record so that a run can be
// repeated from them.
func Apply(data []byte, edits []Edit, note string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the scenario is not a mapping of fields")
	}
	root := doc.Content[0]
	for _, e := range edits {
		if err := set(root, e.Path, e.Value); err != nil {
			return nil, err
		}
	}
	if note != "" {
		// The note goes first: a header comment of the file stays the
		// scenario's summary only when it is the first line, so put the
		// note after the first comment block instead.
		if doc.HeadComment != "" {
			doc.HeadComment += "\n\n" + note
		} else if root.HeadComment != "" {
			root.HeadComment += "\n\n" + note
		} else {
			doc.HeadComment = note
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func set(m *yaml.Node, path []string, value any) error {
	for m.Kind == yaml.AliasNode && m.Alias != nil {
		m = m.Alias
	}
	if m.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: not a mapping", path[0])
	}
	key := path[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			continue
		}
		if len(path) > 1 {
			return set(m.Content[i+1], path[1:], value)
		}
		if value == nil {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return nil
		}
		v, err := encode(value)
		if err != nil {
			return err
		}
		v.LineComment = m.Content[i+1].LineComment
		m.Content[i+1] = v
		return nil
	}
	if value == nil {
		return nil
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Value: key}
	if len(path) > 1 {
		child := &yaml.Node{Kind: yaml.MappingNode, Style: m.Style & yaml.FlowStyle}
		m.Content = append(m.Content, k, child)
		return set(child, path[1:], value)
	}
	v, err := encode(value)
	if err != nil {
		return err
	}
	m.Content = append(m.Content, k, v)
	return nil
}

// encode makes a node of value; lists and mappings are written in flow
// style ({cache: [seed]}), which reads well and fits in any container.
func encode(value any) (*yaml.Node, error) {
	var v yaml.Node
	if err := v.Encode(value); err != nil {
		return nil, err
	}
	var flow func(n *yaml.Node)
	flow = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			n.Style = yaml.FlowStyle
		}
		for _, c := range n.Content {
			flow(c)
		}
	}
	flow(&v)
	return &v, nil
}
