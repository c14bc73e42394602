package scenarios

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// problems collects what is wrong with a file, each with its line and the
// field's path, so that one run of llmbench validate reports all of them.
type problems struct {
	items []problem
}

type problem struct {
	line int
	path string
	msg  string
}

func (p *problems) add(line int, path, format string, args ...any) {
	p.items = append(p.items, problem{line, path, fmt.Sprintf(format, args...)})
}

// err formats the problems as "file:line: path: message" lines, in file order.
func (p *problems) err(file string) error {
	if len(p.items) == 0 {
		return nil
	}
	sort.SliceStable(p.items, func(i, j int) bool { return p.items[i].line < p.items[j].line })
	var b strings.Builder
	for i, it := range p.items {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(file)
		if it.line > 0 {
			b.WriteString(":" + strconv.Itoa(it.line))
		}
		b.WriteString(": ")
		if it.path != "" {
			b.WriteString(it.path + ": ")
		}
		b.WriteString(it.msg)
	}
	return &InputError{Msg: b.String(), Count: len(p.items)}
}

// InputError is a scenario that cannot be run as written.
type InputError struct {
	Msg   string
	Count int
}

func (e *InputError) Error() string { return e.Msg }

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// walker checks a YAML tree against the Go type it will be decoded into:
// every mapping key must name a field (yaml.v3's KnownFields does not reach
// into values decoded by custom unmarshalers, and its messages carry no
// field path). It records the line of every field path on the way, for the
// messages of later checks.
type walker struct {
	lines map[string]int
	errs  *problems
	// special handles types that need their own walk (keyed by type).
	special map[reflect.Type]func(w *walker, n *yaml.Node, path string)
	// visits bounds the walk: aliases can make a small file a huge tree.
	visits int
	// active holds the aliased nodes being walked, to stop at a cycle.
	active map[*yaml.Node]bool
}

// maxVisits is far beyond any real scenario and far below a billion laughs.
const maxVisits = 100000

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string) {
	if w.visits++; w.visits == maxVisits {
		w.errs.add(n.Line, path, "the document expands to more than %d values (aliases?)", maxVisits)
	}
	if w.visits >= maxVisits {
		return
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || w.active[n.Alias] {
			w.errs.add(n.Line, path, "an alias that refers to itself")
			return
		}
		if w.active == nil {
			w.active = map[*yaml.Node]bool{}
		}
		w.active[n.Alias] = true
		defer delete(w.active, n.Alias)
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if f, ok := w.special[t]; ok {
		f(w, n, path)
		return
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
		return // it checks itself
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if t.PkgPath() == "time" {
			return
		}
		if n.Kind != yaml.MappingNode {
			w.errs.add(n.Line, path, "want a mapping of fields, got %s", describe(n))
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			w.lines[p] = k.Line
			ft, ok := fields[k.Value]
			if !ok {
				w.errs.add(k.Line, path, "unknown field %q%s", k.Value, suggest(k.Value, fields))
				continue
			}
			w.walk(v, ft, p)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.errs.add(n.Line, path, "want a mapping, got %s", describe(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			w.lines[p] = k.Line
			w.walk(v, t.Elem(), p)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if t.Elem().Kind() != reflect.Uint8 {
				w.errs.add(n.Line, path, "want a list, got %s", describe(n))
			}
			return
		}
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			w.lines[p] = item.Line
			w.walk(item, t.Elem(), p)
		}
	default:
		if n.Kind != yaml.ScalarNode {
			w.errs.add(n.Line, path, "want a single value, got %s", describe(n))
		}
	}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "nothing"
}

// yamlFields maps the YAML keys of a struct (inline members flattened) to
// their field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range yamlFields(ft) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// suggest proposes the closest known field when one is near.
func suggest(got string, fields map[string]reflect.Type) string {
	best, bestD := "", 3
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if d := editDistance(got, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return fmt.Sprintf(" (fields: %s)", strings.Join(names, ", "))
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
