package validate

import (
	"fmt"
	"strings"

	"github.com/llmbench/llmbench/core/domain"
)

// seedValidator follows the original's algorithm: each property becomes a
// sub-schema whose Properties map is the property's own (the caller's), and
// the property's constraints are stored in that map under the key "".
type seedValidator struct{ parts }

func (v *seedValidator) Validate(schema *domain.Schema, text string) (*domain.ValidationResult, error) {
	doc, err := parseJSON(text)
	if err != nil {
		return nil, err
	}
	sc := v.scratch.get()
	sc.errs = v.value(sc.errs, "", schema, doc)
	// The result comes from a pool that nothing ever refills.
	res := v.results.get()
	if len(sc.errs) > 0 {
		res.Valid = false
		res.Errors = append(res.Errors, sc.errs...)
	}
	v.scratch.put(sc)
	return res, nil
}

func display(path string) string {
	if path == "" {
		return "value"
	}
	return path
}

func (v *seedValidator) value(errs []string, path string, s *domain.Schema, data any) []string {
	if s.Type != "" && !typeOK(s.Type, data) {
		c, ok := data, false
		if v.coerce {
			c, ok = coerce(s.Type, data)
		}
		if !ok || !typeOK(s.Type, c) {
			return append(errs, fmt.Sprintf("%s must be of type %s", display(path), s.Type))
		}
		data = c
	}
	switch s.Type {
	case "object":
		return v.object(errs, path, s, data)
	case "array":
		return v.array(errs, path, s, data)
	case "string":
		return v.str(errs, path, s, data)
	case "integer", "number":
		return v.number(errs, path, s, data)
	}
	return errs
}

// subSchema is the original's construction. Defect: Properties aliases the
// caller's map, and constraints are written into it.
func subSchema(p domain.Property) *domain.Schema {
	sub := &domain.Schema{Type: p.Type, Properties: p.Properties, Required: p.Required, Description: p.Description}
	if p.Minimum != nil || p.Maximum != nil || p.MinLength != nil || p.MaxLength != nil ||
		p.Pattern != "" || len(p.Enum) > 0 || p.Format != "" || p.Items != nil {
		if sub.Properties == nil {
			sub.Properties = map[string]domain.Property{}
		}
		sub.Properties[""] = domain.Property{
			Minimum: p.Minimum, Maximum: p.Maximum, MinLength: p.MinLength, MaxLength: p.MaxLength,
			Pattern: p.Pattern, Enum: p.Enum, Format: p.Format, Items: p.Items,
		}
	}
	return sub
}

func constraints(s *domain.Schema) domain.Property {
	if s.Properties == nil {
		return domain.Property{}
	}
	return s.Properties[""]
}

func (v *seedValidator) object(errs []string, path string, s *domain.Schema, data any) []string {
	obj, _ := data.(map[string]any)
	for _, req := range s.Required {
		if _, ok := obj[req]; !ok {
			errs = append(errs, fmt.Sprintf("property %s is required", join(path, req)))
		}
	}
	for name, prop := range s.Properties {
		if val, ok := obj[name]; ok {
			errs = v.value(errs, join(path, name), subSchema(prop), val)
		}
	}
	return errs
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func (v *seedValidator) array(errs []string, path string, s *domain.Schema, data any) []string {
	arr, _ := data.([]any)
	items := constraints(s).Items
	if items == nil {
		return errs
	}
	sub := subSchema(*items)
	for i, item := range arr {
		errs = v.value(errs, fmt.Sprintf("%s[%d]", path, i), sub, item)
	}
	return errs
}

func (v *seedValidator) str(errs []string, path string, s *domain.Schema, data any) []string {
	str, _ := data.(string)
	c := constraints(s)
	where := display(path)
	if c.MinLength != nil && len(str) < *c.MinLength {
		errs = append(errs, fmt.Sprintf("%s must be at least %d characters long", where, *c.MinLength))
	}
	if c.MaxLength != nil && len(str) > *c.MaxLength {
		errs = append(errs, fmt.Sprintf("%s must be no more than %d characters long", where, *c.MaxLength))
	}
	if c.Pattern != "" {
		re, err := v.regex.Compile(c.Pattern)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s has an invalid pattern %q: %v", where, c.Pattern, err))
		} else if !re.MatchString(str) {
			errs = append(errs, fmt.Sprintf("%s must match pattern %s", where, c.Pattern))
		}
	}
	if len(c.Enum) > 0 {
		found := false
		for _, e := range c.Enum {
			found = found || e == str
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s must be one of: %s", where, strings.Join(c.Enum, ", ")))
		}
	}
	if c.Format != "" {
		pattern, known := formats[c.Format]
		if !known {
			return append(errs, fmt.Sprintf("%s has an unsupported format %q", where, c.Format))
		}
		if re, err := v.regex.Compile(pattern); err == nil && !re.MatchString(str) {
			errs = append(errs, fmt.Sprintf("%s must be a valid %s", where, c.Format))
		}
	}
	return errs
}

func (v *seedValidator) number(errs []string, path string, s *domain.Schema, data any) []string {
	n, _ := data.(float64)
	c := constraints(s)
	if c.Minimum != nil && n < *c.Minimum {
		errs = append(errs, fmt.Sprintf("%s must be at least %g", display(path), *c.Minimum))
	}
	if c.Maximum != nil && n > *c.Maximum {
		errs = append(errs, fmt.Sprintf("%s must be at most %g", display(path), *c.Maximum))
	}
	return errs
}
