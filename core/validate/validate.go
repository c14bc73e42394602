// Package validate checks LLM output (JSON) against a schema, as Go-LLMs'
// validator does: type, properties, required, enum, pattern, format, min/max
// length and value, items, and optional coercion of strings to numbers and
// booleans.
//
// A Validator is an algorithm (Registry) combined with a regex cache
// (RegexCaches) and a pooling mode (Pools):
//   - algorithm seed: the original's; it builds sub-schemas whose Properties
//     map is the caller's and stores constraints in it under the key "", so
//     validating writes into the caller's schema (a data race when two
//     goroutines validate with one schema). algorithm fixed: reads only.
//   - regex caches seed (global, Load then Store), loadorstore, bounded, none.
//   - pools seed (results taken from a pool that is never refilled), pooled
//     (scratch and results reused; callers Release results), unpooled.
package validate

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/registry"
)

// Validator validates JSON text against a schema.
type Validator interface {
	Validate(schema *domain.Schema, jsonText string) (*domain.ValidationResult, error)
	// Release hands a result back for reuse; it must not be used afterwards.
	Release(*domain.ValidationResult)
	Stats() Stats
}

// Stats counts what a validator spent.
type Stats struct {
	Compiles     int64 // regexp.Compile calls, duplicates included
	RegexEntries int   // patterns the regex cache holds
	ResultAllocs int64 // results allocated because no pooled one was available
}

// Options choose the regex cache and the pooling; empty fields take the
// algorithm's own defaults (the seed's for seed, loadorstore/pooled for fixed).
type Options struct {
	Regex      string `yaml:"regex" json:"regex"`
	Pool       string `yaml:"pool" json:"pool"`
	RegexLimit int    `yaml:"regex_limit" json:"regex_limit"`
	Coerce     bool   `yaml:"coerce" json:"coerce"`
}

// Registry holds the algorithms by name.
var Registry = registry.New[func(Options) (Validator, error)]("validate")

// Pools lists the pooling modes.
var Pools = []string{"seed", "pooled", "unpooled"}

func init() {
	Registry.Register("seed", "Go-LLMs validator: writes into the caller's schema", func(o Options) (Validator, error) {
		return build(o, "seed", "seed", func(p parts) Validator { return &seedValidator{parts: p} })
	})
	Registry.Register("fixed", "read-only walk of the schema, errors in a stable order", func(o Options) (Validator, error) {
		return build(o, "loadorstore", "pooled", func(p parts) Validator { return &fixedValidator{parts: p} })
	})
}

// New builds the named algorithm with its options.
func New(variant string, o Options) (Validator, error) {
	ctor, err := Registry.Get(variant)
	if err != nil {
		return nil, err
	}
	return ctor(o)
}

// parts are what both algorithms share: regex cache, pools, coercion.
type parts struct {
	regex   RegexCache
	results *resultSource
	scratch *scratchSource
	coerce  bool
}

func build(o Options, defRegex, defPool string, mk func(parts) Validator) (Validator, error) {
	if o.Regex == "" {
		o.Regex = defRegex
	}
	if o.Pool == "" {
		o.Pool = defPool
	}
	rc, err := RegexCaches.Get(o.Regex)
	if err != nil {
		return nil, err
	}
	switch o.Pool {
	case "seed", "pooled", "unpooled":
	default:
		return nil, fmt.Errorf("unknown validate pool %q (known: seed, pooled, unpooled)", o.Pool)
	}
	return mk(parts{
		regex:   rc(o.RegexLimit),
		results: newResultSource(o.Pool),
		scratch: newScratchSource(o.Pool != "unpooled"),
		coerce:  o.Coerce,
	}), nil
}

func (p *parts) Release(r *domain.ValidationResult) { p.results.release(r) }

func (p *parts) Stats() Stats {
	return Stats{Compiles: p.regex.Compiles(), RegexEntries: p.regex.Len(), ResultAllocs: p.results.allocs.Load()}
}

func parseJSON(text string) (any, error) {
	var doc any
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	return doc, nil
}

// resultSource hands out results. Mode seed takes them from a pool and never
// puts one back, as the original does, so every call allocates anyway.
type resultSource struct {
	mode   string
	pool   sync.Pool
	allocs atomic.Int64
}

func newResultSource(mode string) *resultSource {
	r := &resultSource{mode: mode}
	r.pool.New = func() any {
		r.allocs.Add(1)
		return new(domain.ValidationResult)
	}
	return r
}

func (r *resultSource) get() *domain.ValidationResult {
	if r.mode == "unpooled" {
		r.allocs.Add(1)
		return &domain.ValidationResult{Valid: true}
	}
	res := r.pool.Get().(*domain.ValidationResult)
	res.Valid, res.Errors = true, res.Errors[:0]
	return res
}

func (r *resultSource) release(res *domain.ValidationResult) {
	if r.mode == "pooled" && res != nil {
		clear(res.Errors)
		r.pool.Put(res)
	}
}

// scratch is per-call working memory: the errors found and the path buffer.
type scratch struct {
	errs []string
	path []byte
}

type scratchSource struct {
	pooled bool
	pool   sync.Pool
}

func newScratchSource(pooled bool) *scratchSource {
	s := &scratchSource{pooled: pooled}
	s.pool.New = func() any { return &scratch{path: make([]byte, 0, 64)} }
	return s
}

func (s *scratchSource) get() *scratch {
	if !s.pooled {
		return &scratch{}
	}
	return s.pool.Get().(*scratch)
}

func (s *scratchSource) put(sc *scratch) {
	if s.pooled {
		clear(sc.errs)
		sc.errs, sc.path = sc.errs[:0], sc.path[:0]
		s.pool.Put(sc)
	}
}

// coerce converts v to the expected JSON type where the conversion is
// lossless: numeric strings to numbers, "true"/"false" to booleans, numbers
// and booleans to strings.
func coerce(expected string, v any) (any, bool) {
	switch expected {
	case "number", "integer":
		if s, ok := v.(string); ok {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				return f, true
			}
		}
	case "boolean":
		if s, ok := v.(string); ok {
			if b, err := strconv.ParseBool(s); err == nil {
				return b, true
			}
		}
	case "string":
		switch x := v.(type) {
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), true
		case bool:
			return strconv.FormatBool(x), true
		}
	}
	return v, false
}

// typeOK reports whether v has the JSON type t ("" matches anything).
func typeOK(t string, v any) bool {
	switch t {
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "number":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	}
	return true
}

// Format patterns of the corrected algorithm, compiled through the
// validator's regex cache: the original's, with upper-case hex accepted in
// UUIDs (RFC 4122: case-insensitive on input), plus date and ipv4.
var formats = map[string]struct{ pattern, message string }{
	"email":     seedFormats["email"],
	"date-time": seedFormats["date-time"],
	"uri":       seedFormats["uri"],
	"url":       seedFormats["url"],
	"uuid":      {`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`, "a valid UUID"},
	"date":      {`^\d{4}-\d{2}-\d{2}$`, "a valid date"},
	"ipv4":      {`^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$`, "a valid IPv4 address"},
}
