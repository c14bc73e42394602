package bench

import (
	"fmt"
	"testing"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/validate"
)

func ptr[T any](v T) *T { return &v }

// schemas: small is a flat object of four fields; large nests objects and
// arrays with patterns and formats, about what an extraction task asks for.
func benchSchema(size string) (*domain.Schema, string) {
	if size == "small" {
		return &domain.Schema{Type: "object", Required: []string{"name", "age"}, Properties: map[string]domain.Property{
			"name":  {Type: "string", MinLength: ptr(1)},
			"age":   {Type: "integer", Minimum: ptr(0.0)},
			"email": {Type: "string", Format: "email"},
			"mood":  {Type: "string", Enum: []string{"happy", "sad", "neutral"}},
		}}, `{"name":"Ada","age":36,"email":"ada@example.org","mood":"happy"}`
	}
	item := domain.Property{Type: "object", Required: []string{"sku"}, Properties: map[string]domain.Property{
		"sku":   {Type: "string", Pattern: `^[A-Z]{3}-\d{4}$`},
		"qty":   {Type: "integer", Minimum: ptr(1.0)},
		"price": {Type: "number", Minimum: ptr(0.0)},
	}}
	s := &domain.Schema{Type: "object", Required: []string{"id", "customer", "items"}, Properties: map[string]domain.Property{
		"id":      {Type: "string", Format: "uuid"},
		"created": {Type: "string", Format: "date-time"},
		"customer": {Type: "object", Required: []string{"name", "email"}, Properties: map[string]domain.Property{
			"name":  {Type: "string", MinLength: ptr(1), MaxLength: ptr(100)},
			"email": {Type: "string", Format: "email"},
			"site":  {Type: "string", Format: "uri"},
			"zip":   {Type: "string", Pattern: `^\d{5}$`},
		}},
		"items": {Type: "array", Items: &item},
		"notes": {Type: "string", MaxLength: ptr(500)},
	}}
	doc := `{"id":"123e4567-e89b-12d3-a456-426614174000","created":"2025-05-01T10:00:00Z",
"customer":{"name":"Ada","email":"ada@example.org","site":"https://example.org","zip":"12345"},
"items":[{"sku":"ABC-1234","qty":2,"price":9.5},{"sku":"DEF-5678","qty":1,"price":20},{"sku":"GHI-9012","qty":5,"price":1.25}],
"notes":"leave at the door"}`
	return s, doc
}

// BenchmarkValidate: validating one document from every goroutine. The
// regex caches are compared with pooled buffers, the pools with the
// loadorstore cache; impl=seed is the original (its regex cache and its
// pool). Each goroutine has its own copy of the schema: the seed writes
// into it, and sharing one crashes it (TestSeedDefectValidateSharedSchemaRace).
// result-allocs/op counts results allocated because no pooled one was
// available (1 for the seed's never-refilled pool). Duplicate compiles
// happen only while a pattern is new, so they are shown by
// TestSeedDefectValidateDuplicateCompiles, not here.
func BenchmarkValidate(b *testing.B) {
	type variant struct{ algo, regex, pool string }
	variants := []variant{{"seed", "seed", "seed"}}
	for _, rc := range validate.RegexCaches.Names() {
		variants = append(variants, variant{"fixed", rc, "pooled"})
	}
	for _, pool := range validate.Pools {
		if pool != "pooled" {
			variants = append(variants, variant{"fixed", "loadorstore", pool})
		}
	}
	for _, v := range variants {
		for _, size := range []string{"small", "large"} {
			b.Run(fmt.Sprintf("impl=%s/regex=%s/pool=%s/schema=%s", v.algo, v.regex, v.pool, size), func(b *testing.B) {
				val, err := validate.New(v.algo, validate.Options{Regex: v.regex, Pool: v.pool})
				if err != nil {
					b.Fatal(err)
				}
				_, doc := benchSchema(size)
				// One validation before the timer compiles the patterns and
				// fills the pools (the seed's stays empty whatever is done).
				warm, _ := benchSchema(size)
				r, err := val.Validate(warm, doc)
				if err != nil || !r.Valid {
					b.Fatalf("invalid: %v %v", err, r)
				}
				val.Release(r)
				before := val.Stats()
				slow := slowdownFor(b)
				b.ReportAllocs()
				b.ResetTimer() // the validator and its warm-up are setup
				b.RunParallel(func(pb *testing.PB) {
					schema, _ := benchSchema(size)
					extra := counter{s: slow}
					for pb.Next() {
						for again := true; again; again = extra.extra() {
							r, err := val.Validate(schema, doc)
							if err != nil || !r.Valid {
								b.Errorf("invalid: %v %v", err, r)
								return
							}
							val.Release(r)
						}
					}
				})
				b.StopTimer()
				st := val.Stats()
				b.ReportMetric(float64(st.ResultAllocs-before.ResultAllocs)/float64(b.N), "result-allocs/op")
			})
		}
	}
}
