package strictyaml

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSyntaxLines: a syntax error names the line of the culprit, counted
// from 1 (yaml.v3 counts its parser's lines from 0).
func TestSyntaxLines(t *testing.T) {
	for doc, want := range map[string]string{
		"a: 1\nb: [1, 2\nc: 3\n":                    "line 2: the list opened on this line is not closed",
		"a: 1\nb: 2\nc: {x: 1\nd: 4\n":              "line 3: the mapping opened on this line is not closed",
		"a: 1\nb: 2\n  c: 3\n":                      "line 3: mapping values are not allowed in this context",
		"a: 1\nb c\nd: 3\n":                         "line 2: could not find expected ':'",
		"a: 1\n\tb: 2\n":                            "line 2: a tab in the indentation",
		"name: x\nworkload:\n\tarrival: constant\n": "line 3: a tab in the indentation",
		"name: x\nseed: 1\nworkload:\n  arrival: constant\n  rate: 5\n\tduration: 1s\n": "line 6: a tab in the indentation",
		"name: x\nworkload:\n  arrival: constant\n  rate: 5\n  - a\n":                   `line 5: want a "key: value" at this indentation (the mapping that starts on line 3)`,
		"name: \"x\nseed: 1\nrepeat: 2\n":                                               "line 1: a quoted string opened on this line is not closed",
		"name: x\nvariants:\n  a: [1]\n  cache: [seed,\n":                               "line 4: the list opened on this line is not closed",
	} {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(doc), &n)
		require.Error(t, err, doc)
		assert.Contains(t, SourceError(err, []byte(doc)), want, doc)
	}
}

func TestSuggest(t *testing.T) {
	assert.Equal(t, `; did you mean "mean"?`, Suggest("maen", []string{"max", "mean", "min"}))
	assert.Equal(t, `; did you mean "capacity"?`, Suggest("capacty", []string{"capacity", "seed"}))
	assert.Equal(t, " (known: a, b)", Suggest("zzzzzz", []string{"b", "a"}))
}

func TestWalkerRefusesNonFiniteNumbers(t *testing.T) {
	var cfg struct {
		Rate float64 `yaml:"rate"`
		N    int     `yaml:"n"`
	}
	for doc, want := range map[string]string{"rate: .nan\n": "rate: must be a finite number (got .nan)", "rate: -.inf\n": "got -.inf", "rte: 1\n": `unknown field "rte"; did you mean "rate"?`} {
		var n yaml.Node
		require.NoError(t, yaml.Unmarshal([]byte(doc), &n))
		errs := &Problems{}
		NewWalker(errs).Walk(&n, reflect.TypeOf(cfg), "")
		assert.ErrorContains(t, errs.Err("f.yaml"), want)
	}
}
