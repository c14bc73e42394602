package spec

import (
	"errors"
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"

	"github.com/llmbench/llmbench/internal/strictyaml"
	"github.com/llmbench/llmbench/mockprovider"
	"github.com/llmbench/llmbench/mockprovider/openai"
)

// Problems and Error are strictyaml's: every message of a scenario is
// "file:line: field.path: message", all of them at once.
type (
	Problems = strictyaml.Problems
	Error    = strictyaml.Error
)

// Load reads and decodes a scenario file.
func Load(path string) (*Scenario, error) {
	data, err := strictyaml.ReadFile(path)
	if err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	return Parse(data, path)
}

// Parse decodes a scenario given as YAML text; path names it in messages.
// It checks the shape only (syntax, known fields, types); plan checks the
// values.
func Parse(data []byte, path string) (*Scenario, error) {
	var root yaml.Node
	if err := strictyaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{Msg: path + ": " + strictyaml.SourceError(err, data)}
	}
	if root.Kind == 0 || len(root.Content) == 0 || root.Content[0].Tag == "!!null" {
		return nil, &Error{Msg: path + ": the file is empty"}
	}
	errs := &Problems{}
	w := strictyaml.NewWalker(errs)
	w.Special[reflect.TypeFor[ProviderSpec]()] = walkProvider
	w.Special[reflect.TypeFor[mockprovider.DistSpec]()] = mockprovider.WalkDist
	w.Walk(&root, reflect.TypeFor[Scenario](), "")
	if err := errs.Err(path); err != nil {
		return nil, err
	}
	s := &Scenario{Path: path, Source: data, lines: w.Lines}
	if err := root.Decode(s); err != nil {
		var fe *mockprovider.FieldError
		if errors.As(err, &fe) {
			errs.Add(fe.Line, fe.Path, "%s", fe.Msg)
		} else {
			errs.Add(0, "", "%s", strictyaml.SyntaxMessage(err))
		}
		return nil, errs.Err(path)
	}
	return s, nil
}

// walkProvider checks a provider entry against the type its kind selects.
func walkProvider(w *strictyaml.Walker, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		w.Errs.Add(n.Line, path, "want a mapping (a mock configuration, or kind: openai with base_url and model), got %s", strictyaml.Describe(n))
		return
	}
	kind := kindOf(n)
	var t reflect.Type
	switch kind {
	case KindMock, KindMockHTTP:
		t = reflect.TypeFor[mockprovider.Config]()
	case KindOpenAI:
		t = reflect.TypeFor[openai.ClientConfig]()
	default:
		w.Errs.Add(n.Line, path+".kind", "unknown kind %q (mock, mock-http or openai)", kind)
		return
	}
	w.Lines[path] = n.Line
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "kind" {
			w.Lines[path+".kind"] = n.Content[i].Line
		}
	}
	w.Walk(withoutKind(n), t, path)
}

// withoutKind is a provider mapping without its kind field, which is not a
// field of either configuration type.
func withoutKind(n *yaml.Node) *yaml.Node {
	rest := *n
	rest.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "kind" {
			rest.Content = append(rest.Content, n.Content[i], n.Content[i+1])
		}
	}
	return &rest
}

func kindOf(n *yaml.Node) ProviderKind {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "kind" {
			return ProviderKind(n.Content[i+1].Value)
		}
	}
	return KindMock
}

// UnmarshalYAML decodes a provider by its kind (checked by the walker).
func (p *ProviderSpec) UnmarshalYAML(n *yaml.Node) error {
	p.Kind, p.Line = kindOf(n), n.Line
	if p.Kind == KindOpenAI {
		return withoutKind(n).Decode(&p.OpenAI)
	}
	return withoutKind(n).Decode(&p.Mock)
}

// UnmarshalYAML reads a matrix (family: [names]) or a list of combinations.
func (v *Variants) UnmarshalYAML(n *yaml.Node) error {
	v.Line = n.Line
	switch n.Kind {
	case yaml.MappingNode:
		v.Matrix = map[string][]string{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			var names []string
			if val.Kind == yaml.ScalarNode {
				names = []string{val.Value}
			} else if err := val.Decode(&names); err != nil {
				return &mockprovider.FieldError{Path: "variants." + k.Value, Line: val.Line, Msg: "want a list of variant names"}
			}
			if _, dup := v.Matrix[k.Value]; !dup {
				v.Order = append(v.Order, k.Value)
			}
			v.Matrix[k.Value] = names
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			var combo map[string]string
			if err := item.Decode(&combo); err != nil {
				return &mockprovider.FieldError{Path: fmt.Sprintf("variants[%d]", i), Line: item.Line, Msg: "each item is a mapping such as {cache: seed, stream: safe}"}
			}
			v.List = append(v.List, combo)
		}
	default:
		return &mockprovider.FieldError{Path: "variants", Line: n.Line, Msg: "want a mapping (a matrix) or a list of combinations"}
	}
	return nil
}

// UnmarshalYAML reads "metric op value", or {metric: ..., variant: {...}}.
func (t *Threshold) UnmarshalYAML(n *yaml.Node) error {
	t.Line = n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		t.Expr = n.Value
		return nil
	case yaml.MappingNode:
		var raw struct {
			Metric  string            `yaml:"metric"`
			Variant map[string]string `yaml:"variant"`
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; k != "metric" && k != "variant" {
				return &mockprovider.FieldError{Path: "thresholds", Line: n.Content[i].Line, Msg: fmt.Sprintf("unknown field %q%s", k, strictyaml.Suggest(k, []string{"metric", "variant"}))}
			}
		}
		if err := n.Decode(&raw); err != nil {
			return &mockprovider.FieldError{Path: "thresholds", Line: n.Line, Msg: strictyaml.SyntaxMessage(err)}
		}
		t.Expr, t.Variant = raw.Metric, raw.Variant
		return nil
	}
	return &mockprovider.FieldError{Path: "thresholds", Line: n.Line, Msg: `each item is a string such as "ttft.p99 < 800ms" or {metric: ..., variant: {...}}`}
}
