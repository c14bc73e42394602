// Package strictyaml checks a YAML document against the Go type it will be
// decoded into, so that every configuration file of llmbench (scenarios,
// mock providers) reports unknown fields, with a "did you mean" and the
// field's line and path, the same way.
//
// yaml.v3's KnownFields stops at the first unknown field, does not reach
// into values decoded by custom unmarshalers, and its messages carry no
// field path; a Walker reports all of them at once.
package strictyaml

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a file: where (line and field path) and what.
type Problem struct {
	Line int
	Path string
	Msg  string
}

// Problems collects what is wrong with a file, so that one check reports
// everything at once.
type Problems struct {
	Items []Problem
}

// Add records a problem.
func (p *Problems) Add(line int, path, format string, args ...any) {
	p.Items = append(p.Items, Problem{line, path, fmt.Sprintf(format, args...)})
}

// Len is the number of problems.
func (p *Problems) Len() int { return len(p.Items) }

// Err formats the problems as "file:line: path: message" lines, in file
// order; nil when there is none.
func (p *Problems) Err(file string) error {
	if len(p.Items) == 0 {
		return nil
	}
	items := append([]Problem(nil), p.Items...)
	sort.SliceStable(items, func(i, j int) bool { return items[i].Line < items[j].Line })
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(file)
		if it.Line > 0 {
			b.WriteString(":" + strconv.Itoa(it.Line))
		}
		b.WriteString(": ")
		if it.Path != "" {
			b.WriteString(it.Path + ": ")
		}
		b.WriteString(it.Msg)
	}
	return &Error{Msg: b.String(), Problems: items}
}

// Error is a file that cannot be used as written.
type Error struct {
	Msg      string
	Problems []Problem
}

func (e *Error) Error() string { return e.Msg }

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// Walker checks a YAML tree against a Go type. It records the line of every
// field path on the way (Lines), for the messages of later checks.
type Walker struct {
	Lines map[string]int
	Errs  *Problems
	// Special handles types that need their own walk (keyed by type).
	Special map[reflect.Type]func(w *Walker, n *yaml.Node, path string)
	// visits bounds the walk: aliases can make a small file a huge tree.
	visits int
	// active holds the aliased nodes being walked, to stop at a cycle.
	active map[*yaml.Node]bool
}

// NewWalker returns a walker that files its problems into errs.
func NewWalker(errs *Problems) *Walker {
	return &Walker{Lines: map[string]int{}, Errs: errs, Special: map[reflect.Type]func(*Walker, *yaml.Node, string){}}
}

// MaxVisits is far beyond any real file and far below a billion laughs.
const MaxVisits = 100000

// Join appends a key to a field path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	if key == "" {
		return path
	}
	return path + "." + key
}

// Walk checks n against t; path is n's field path.
func (w *Walker) Walk(n *yaml.Node, t reflect.Type, path string) {
	if w.visits++; w.visits == MaxVisits {
		w.Errs.Add(n.Line, path, "the document expands to more than %d values (aliases?)", MaxVisits)
	}
	if w.visits >= MaxVisits {
		return
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || w.active[n.Alias] {
			w.Errs.Add(n.Line, path, "an alias that refers to itself")
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
	if f, ok := w.Special[t]; ok {
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
			w.Errs.Add(n.Line, path, "want a mapping of fields, got %s", Describe(n))
			return
		}
		fields := Fields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := Join(path, k.Value)
			w.Lines[p] = k.Line
			ft, ok := fields[k.Value]
			if !ok {
				w.Errs.Add(k.Line, path, "unknown field %q%s", k.Value, Suggest(k.Value, keys(fields)))
				continue
			}
			w.Walk(v, ft, p)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.Errs.Add(n.Line, path, "want a mapping, got %s", Describe(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := Join(path, k.Value)
			w.Lines[p] = k.Line
			w.Walk(v, t.Elem(), p)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if t.Elem().Kind() != reflect.Uint8 {
				w.Errs.Add(n.Line, path, "want a list, got %s", Describe(n))
			}
			return
		}
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			w.Lines[p] = item.Line
			w.Walk(item, t.Elem(), p)
		}
	default:
		if n.Kind != yaml.ScalarNode {
			w.Errs.Add(n.Line, path, "want a single value, got %s", Describe(n))
			return
		}
		if k := t.Kind(); k == reflect.Float64 || k == reflect.Float32 {
			var f float64
			if n.Decode(&f) == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
				w.Errs.Add(n.Line, path, "must be a finite number (got %s)", n.Value)
			}
		}
	}
}

// Describe names a node's kind for messages.
func Describe(n *yaml.Node) string {
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

// Fields maps the YAML keys of a struct (inline members flattened) to
// their field types.
func Fields(t reflect.Type) map[string]reflect.Type {
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
			for k, v := range Fields(ft) {
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

func keys(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Suggest proposes the closest of names when one is near ("; did you mean
// x?"), or lists them all.
func Suggest(got string, names []string) string {
	names = append([]string(nil), names...)
	sort.Strings(names)
	best, bestD := "", 3
	for _, k := range names {
		if d := editDistance(got, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return fmt.Sprintf(" (known: %s)", strings.Join(names, ", "))
}

// editDistance counts the edits from a to b: insertions, deletions,
// substitutions and transpositions of neighbours ("maen" is one from
// "mean"), the optimal string alignment distance.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// SyntaxMessage turns a yaml.v3 error into "line N: message".
//
// yaml.v3 numbers the lines of parser errors (as opposed to scanner
// errors) from 0, so that they point one line early; it gives the line
// where the construct that failed starts (an unclosed list, a mapping).
// SyntaxMessage counts them from 1 and says what the line is.
func SyntaxMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines := make([]string, len(te.Errors))
		for i, e := range te.Errors {
			lines[i] = strings.TrimSpace(e)
		}
		return strings.Join(lines, "; ")
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	for _, pe := range parserErrors {
		if strings.HasPrefix(msg, pe.problem) {
			line++
			if pe.what != "" {
				msg = fmt.Sprintf("%s opened on this line is not closed (%s)", pe.what, msg)
			}
			break
		}
	}
	if line == 0 {
		return msg
	}
	return fmt.Sprintf("line %d: %s", line, msg)
}

var lineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// parserErrors are the problems yaml.v3's parser (not its scanner)
// reports, with what the line they point at holds.
var parserErrors = []struct{ problem, what string }{
	{"did not find expected ',' or ']'", "the list"},
	{"did not find expected ',' or '}'", "the mapping"},
	{"did not find expected '-' indicator", "the list"},
	{"did not find expected key", "the mapping"},
	{"did not find expected node content", ""},
	{"did not find expected <document start>", ""},
	{"found duplicate", ""},
	{"found incompatible", ""},
	{"found undefined tag handle", ""},
}
