package validate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/llmbench/llmbench/core/domain"
)

// fixedValidator walks the schema without writing to it. Paths are built in
// a reused buffer and turned into strings only for an error; errors are
// sorted so that the same input always gives the same result.
type fixedValidator struct{ parts }

func (v *fixedValidator) Validate(schema *domain.Schema, text string) (*domain.ValidationResult, error) {
	doc, err := parseJSON(text)
	if err != nil {
		return nil, err
	}
	sc := v.scratch.get()
	root := domain.Property{Type: schema.Type, Properties: schema.Properties, Required: schema.Required}
	v.value(sc, &root, doc)
	if schema.AdditionalProperties != nil && !*schema.AdditionalProperties {
		if obj, ok := doc.(map[string]any); ok {
			for name := range obj {
				if _, known := schema.Properties[name]; !known {
					sc.errs = append(sc.errs, fmt.Sprintf("property %s is not allowed", name))
				}
			}
		}
	}
	res := v.results.get()
	if len(sc.errs) > 0 {
		slices.Sort(sc.errs)
		res.Valid = false
		res.Errors = append(res.Errors, sc.errs...)
	}
	v.scratch.put(sc)
	return res, nil
}

func (sc *scratch) where() string {
	if len(sc.path) == 0 {
		return "value"
	}
	return string(sc.path)
}

func (sc *scratch) fail(format string, args ...any) {
	sc.errs = append(sc.errs, sc.where()+" "+fmt.Sprintf(format, args...))
}

func (v *fixedValidator) value(sc *scratch, p *domain.Property, data any) {
	if !typeOK(p.Type, data) {
		c, ok := data, false
		if v.coerce {
			c, ok = coerce(p.Type, data)
		}
		if !ok || !typeOK(p.Type, c) {
			sc.fail("must be a %s", p.Type)
			return
		}
		data = c
	}
	switch x := data.(type) {
	case map[string]any:
		v.object(sc, p, x)
	case []any:
		if p.Items != nil {
			mark := len(sc.path)
			for i, item := range x {
				sc.path = append(sc.path, '[')
				sc.path = strconv.AppendInt(sc.path, int64(i), 10)
				sc.path = append(sc.path, ']')
				v.value(sc, p.Items, item)
				sc.path = sc.path[:mark]
			}
		}
	case string:
		v.str(sc, p, x)
	case float64:
		if p.Minimum != nil && x < *p.Minimum {
			sc.fail("must be at least %g", *p.Minimum)
		}
		if p.Maximum != nil && x > *p.Maximum {
			sc.fail("must be at most %g", *p.Maximum)
		}
	}
}

func (v *fixedValidator) object(sc *scratch, p *domain.Property, obj map[string]any) {
	mark := len(sc.path)
	for _, req := range p.Required {
		if _, ok := obj[req]; !ok {
			sc.path = appendName(sc.path, req)
			sc.errs = append(sc.errs, "property "+string(sc.path)+" is required")
			sc.path = sc.path[:mark]
		}
	}
	for name, prop := range p.Properties {
		val, ok := obj[name]
		if !ok {
			continue
		}
		sc.path = appendName(sc.path, name)
		v.value(sc, &prop, val)
		sc.path = sc.path[:mark]
	}
}

func appendName(path []byte, name string) []byte {
	if len(path) > 0 {
		path = append(path, '.')
	}
	return append(path, name...)
}

func (v *fixedValidator) str(sc *scratch, p *domain.Property, s string) {
	if p.MinLength != nil || p.MaxLength != nil {
		n := utf8.RuneCountInString(s)
		if p.MinLength != nil && n < *p.MinLength {
			sc.fail("must be at least %d characters long", *p.MinLength)
		}
		if p.MaxLength != nil && n > *p.MaxLength {
			sc.fail("must be no more than %d characters long", *p.MaxLength)
		}
	}
	if p.Pattern != "" {
		re, err := v.regex.Compile(p.Pattern)
		switch {
		case err != nil:
			sc.fail("has an invalid pattern %q: %v", p.Pattern, err)
		case !re.MatchString(s):
			sc.fail("must match pattern: %s", p.Pattern)
		}
	}
	if len(p.Enum) > 0 && !slices.Contains(p.Enum, s) {
		sc.fail("must be one of: %s", strings.Join(p.Enum, ", "))
	}
	if p.Format != "" {
		f, known := formats[p.Format]
		if !known {
			sc.fail("has an unsupported format %q", p.Format)
			return
		}
		re, err := v.regex.Compile(f.pattern)
		if err == nil && !re.MatchString(s) {
			sc.fail("must be %s", f.message)
		}
	}
}
