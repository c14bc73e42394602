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
	"time"

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
			if k.Value == "<<" && k.Tag == "!!merge" {
				// A YAML merge key: its mappings' fields are this one's.
				merged := []*yaml.Node{v}
				if v.Kind == yaml.SequenceNode {
					merged = v.Content
				}
				for _, m := range merged {
					w.Walk(m, t, path)
				}
				continue
			}
			if strings.HasPrefix(k.Value, "x-") {
				continue // an extension field: a place for anchors, ignored
			}
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
		w.scalar(n, t, path)
	}
}

var durationType = reflect.TypeFor[time.Duration]()

// scalar checks that a value decodes into t exactly: no fraction dropped
// from a whole number, no number wrapped around, no duration without a
// unit (yaml.v3 reads "timeout: 5" as 5 ns), no NaN or infinity.
func (w *Walker) scalar(n *yaml.Node, t reflect.Type, path string) {
	v := n.Value
	switch k := t.Kind(); {
	case t == durationType:
		if _, err := time.ParseDuration(v); err != nil && v != "0" {
			w.Errs.Add(n.Line, path, "want a duration with a unit, such as 500ms or 2s, got %q", v)
		}
	case k >= reflect.Int && k <= reflect.Int64:
		bits := t.Bits()
		if _, err := strconv.ParseInt(v, 0, bits); err != nil || n.Tag != "!!int" {
			w.Errs.Add(n.Line, path, "want a whole number from %d to %d, got %q", int64(-1)<<(bits-1), int64(^uint64(0)>>(65-bits)), v)
		}
	case k >= reflect.Uint && k <= reflect.Uint64:
		if _, err := strconv.ParseUint(v, 0, t.Bits()); err != nil || n.Tag != "!!int" {
			w.Errs.Add(n.Line, path, "want a whole number from 0 to %d, got %q", ^uint64(0)>>(64-t.Bits()), v)
		}
	case k == reflect.Float64 || k == reflect.Float32:
		var f float64
		if err := n.Decode(&f); err != nil {
			w.Errs.Add(n.Line, path, "want a number, got %q", v)
		} else if math.IsNaN(f) || math.IsInf(f, 0) {
			w.Errs.Add(n.Line, path, "must be a finite number (got %s)", v)
		}
	case k == reflect.Bool:
		var b bool
		if err := n.Decode(&b); err != nil {
			w.Errs.Add(n.Line, path, "want true or false, got %q", v)
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

// SyntaxMessage turns a yaml.v3 decoding error into "line N: message".
func SyntaxMessage(err error) string { return SourceError(err, nil) }

// SourceError turns a yaml.v3 error of parsing src into "line N:
// message", with N the line of the culprit where it can be found.
//
// yaml.v3 numbers the lines of its parser's errors from 0, and gives for
// many errors the line where the construct that failed starts (a mapping,
// an unclosed list or quote) rather than the line at fault. SourceError
// counts lines from 1 and, with the source, looks for the culprit: the
// first tab in an indentation, the line of an unclosed bracket or quote,
// the line that breaks a mapping.
func SourceError(err error, src []byte) string {
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
		if strings.HasPrefix(msg, pe) {
			line++ // the parser's lines count from 0
			break
		}
	}
	text := strings.Split(string(src), "\n")
	switch {
	case src == nil:
	case strings.Contains(msg, "tab character"), strings.Contains(msg, "cannot start any token") && line > 0 && line <= len(text) && strings.HasPrefix(strings.TrimLeft(text[line-1], " "), "\t"):
		if l := firstLine(text, max(line, 1), func(s string) bool {
			return strings.ContainsRune(s[:len(s)-len(strings.TrimLeft(s, " \t"))], '\t')
		}); l > 0 {
			return fmt.Sprintf("line %d: a tab in the indentation (YAML indents with spaces)", l)
		}
	case strings.HasPrefix(msg, "did not find expected ',' or"), strings.HasPrefix(msg, "did not find expected node content"):
		if l, what := unclosed(text, line); l > 0 {
			return fmt.Sprintf("line %d: %s opened on this line is not closed", l, what)
		}
	case strings.HasPrefix(msg, "found unexpected end of stream"):
		if l := unclosedQuote(text); l > 0 {
			return fmt.Sprintf("line %d: a quoted string opened on this line is not closed", l)
		}
	case strings.HasPrefix(msg, "did not find expected key") && line > 0 && line <= len(text):
		indent := indentOf(text[line-1])
		if l := firstLine(text, line+1, func(s string) bool {
			t := strings.TrimSpace(s)
			return t != "" && !strings.HasPrefix(t, "#") && indentOf(s) == indent && !keyRE.MatchString(t)
		}); l > 0 {
			return fmt.Sprintf("line %d: want a \"key: value\" at this indentation (the mapping that starts on line %d)", l, line)
		}
	}
	if line == 0 {
		return msg
	}
	return fmt.Sprintf("line %d: %s", line, msg)
}

var (
	lineRE = regexp.MustCompile(`^line (\d+): (.*)$`)
	keyRE  = regexp.MustCompile(`^("[^"]*"|'[^']*'|[^\s#"'-][^:#]*|<<)\s*:(\s|$)`)
)

// parserErrors are the problems yaml.v3's parser (not its scanner)
// reports; their lines count from 0.
var parserErrors = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'", "did not find expected '-' indicator",
	"did not find expected key", "did not find expected node content", "did not find expected <document start>",
	"found duplicate", "found incompatible", "found undefined tag handle",
}

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// firstLine is the first line, from line from (1-based) on, that ok
// accepts; 0 if none.
func firstLine(text []string, from int, ok func(string) bool) int {
	for i := max(from, 1) - 1; i < len(text); i++ {
		if ok(text[i]) {
			return i + 1
		}
	}
	return 0
}

// unclosed finds the line of the last flow list or mapping still open at
// the end of the text (or at line stop, when given), outside quotes and
// comments.
func unclosed(text []string, stop int) (int, string) {
	type open struct {
		line int
		c    rune
	}
	var stack []open
	for i, l := range text {
		quote := rune(0)
		for _, c := range l {
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '#':
				goto next
			case c == '[' || c == '{':
				stack = append(stack, open{i + 1, c})
			case (c == ']' || c == '}') && len(stack) > 0:
				stack = stack[:len(stack)-1]
			}
		}
	next:
	}
	if len(stack) == 0 {
		return 0, ""
	}
	o := stack[len(stack)-1]
	if o.c == '[' {
		return o.line, "the list"
	}
	return o.line, "the mapping"
}

// unclosedQuote finds the line of a double or single quote left open.
func unclosedQuote(text []string) int {
	for i, l := range text {
		quote, at := rune(0), 0
		for _, c := range l {
			switch {
			case quote != 0 && c == quote:
				quote = 0
			case quote == 0 && c == '#':
				goto next
			case quote == 0 && (c == '"' || c == '\''):
				quote, at = c, i+1
			}
		}
		if quote != 0 {
			return at
		}
	next:
	}
	return 0
}
