package scenarios

import (
	"testing"
)

// FuzzParse: no input makes the loader panic, and whatever it accepts can
// be expanded into variants. The seed corpus is the ready scenarios, the
// bad inputs of TestParseBad's shape, and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, b := range Builtins() {
		data, _ := Builtin(b.Name)
		f.Add(data)
	}
	for _, s := range []string{
		minimal,
		"workload: {arrival: ramp, stages: [{duration: 1s, rate: 5}]}\nvariants: [{cache: seed}]\n",
		"providers: {a: {kind: openai}}\n",
		"providers: {a: {ttft: {dist: mixture, components: [{weight: 1, dist: constant, value: 1ms}]}}}\n",
		"thresholds: [{metric: 5}]\nvariants: {stream: 7}\n",
		"&a [*a]",
		"workload: &w {arrival: constant, rate: 1, duration: 1s}\npipeline: *w\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml")
		if err != nil {
			return
		}
		if len(s.Expand()) == 0 {
			t.Fatal("an accepted scenario has no variant")
		}
	})
}
