package scenarios

import (
	"embed"
	"path"
	"sort"
	"strings"
)

//go:embed *.yaml
var builtin embed.FS

// Builtin returns the text of a ready scenario by name ("quickstart").
func Builtin(name string) ([]byte, bool) {
	data, err := builtin.ReadFile(strings.TrimSuffix(name, ".yaml") + ".yaml")
	return data, err == nil
}

// BuiltinScenario is a ready scenario and the first line of its header.
type BuiltinScenario struct {
	Name, Summary string
}

// Builtins lists the ready scenarios.
func Builtins() []BuiltinScenario {
	entries, _ := builtin.ReadDir(".")
	var out []BuiltinScenario
	for _, e := range entries {
		data, _ := builtin.ReadFile(e.Name())
		name := strings.TrimSuffix(e.Name(), path.Ext(e.Name()))
		summary := ""
		if first, _, _ := strings.Cut(string(data), "\n"); strings.HasPrefix(first, "# ") {
			summary = strings.TrimPrefix(strings.TrimPrefix(first, "# "), name+": ")
		}
		out = append(out, BuiltinScenario{name, summary})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
