package validate

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/internal/testkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestHelperProcess(t *testing.T) {
	name := testkit.HelperName()
	if name == "" {
		return
	}
	kind, variant, _ := strings.Cut(name, ":")
	if kind != "shared-schema" {
		os.Exit(3)
	}
	v, err := New(variant, Options{})
	if err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	schema := nestedSchema()
	// Without the race detector, the runtime notices concurrent map writes
	// only when two of them overlap, which JSON parsing between them makes
	// rare: keep going for a few seconds rather than a fixed count.
	deadline := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				r, _ := v.Validate(schema, validNested)
				v.Release(r)
			}
		})
	}
	wg.Wait()
	testkit.Returned()
}

func resetSeedRegex() {
	seedRegexCache.Clear()
	seedRegexCompiles.Store(0)
}

func ptr[T any](v T) *T { return &v }

// nestedSchema has a nested object that carries a constraint beside its own
// properties, as schemas generated from Go structs often do.
func nestedSchema() *domain.Schema {
	return &domain.Schema{
		Type:     "object",
		Required: []string{"name", "address"},
		Properties: map[string]domain.Property{
			"name": {Type: "string", MinLength: ptr(1), MaxLength: ptr(20)},
			"age":  {Type: "integer", Minimum: ptr(0.0), Maximum: ptr(150.0)},
			"address": {
				Type:      "object",
				MinLength: ptr(1),
				Required:  []string{"zip"},
				Properties: map[string]domain.Property{
					"zip":  {Type: "string", Pattern: `^\d{5}$`},
					"city": {Type: "string"},
				},
			},
		},
	}
}

const validNested = `{"name":"Ada","age":36,"address":{"zip":"12345","city":"London"}}`

type variantCase struct {
	algo string
	opts Options
}

func (c variantCase) String() string {
	return fmt.Sprintf("impl=%s/regex=%s/pool=%s", c.algo, c.opts.Regex, c.opts.Pool)
}

// allCases is every algorithm with every regex cache and pool.
func allCases() []variantCase {
	var out []variantCase
	for _, algo := range Registry.Names() {
		for _, rc := range RegexCaches.Names() {
			for _, pool := range Pools {
				out = append(out, variantCase{algo, Options{Regex: rc, Pool: pool}})
			}
		}
	}
	return out
}

func mustNew(t *testing.T, algo string, o Options) Validator {
	t.Helper()
	v, err := New(algo, o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
