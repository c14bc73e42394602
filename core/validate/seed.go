package validate

// Seed-faithful port of Go-LLMs v0.2.6 pkg/schema/validation/validator.go:
// Validator.Validate, validateValue, isCorrectType, validateObject,
// validateArray, validateString, validateNumber, statement for statement
// (the package-level RegexCache and the never-refilled result pool are the
// "seed" regex cache and pool of this package). Coercion uses this
// package's coerce, a subset of the original's coercion.go (see README,
// "Departures from the original"); no defect depends on it.

import (
	"fmt"
	"strings"

	"github.com/llmbench/llmbench/core/domain"
)

type seedValidator struct{ parts }

func (v *seedValidator) Validate(schema *domain.Schema, jsonStr string) (*domain.ValidationResult, error) {
	data, err := parseJSON(jsonStr)
	if err != nil {
		return nil, err
	}
	// The result comes from a pool that nothing ever refills (defect).
	result := v.results.get()
	sc := v.scratch.get()
	sc.errs = v.validateValue("", schema, data, sc.errs)
	if len(sc.errs) > 0 {
		result.Valid = false
		result.Errors = append(result.Errors, sc.errs...)
	}
	v.scratch.put(sc)
	return result, nil
}

func displayPath(path string) string {
	if path == "" {
		return "value"
	}
	return path
}

func (v *seedValidator) validateValue(path string, schema *domain.Schema, data any, errors []string) []string {
	if schema == nil || schema.Type == "" {
		return errors
	}
	if v.coerce {
		if coerced, ok := coerce(schema.Type, data); ok {
			data = coerced
		}
	}
	if !isCorrectType(schema.Type, data) {
		return append(errors, fmt.Sprintf("%s must be a %s", displayPath(path), schema.Type))
	}
	switch schema.Type {
	case "object":
		errors = v.validateObject(path, schema, data, errors)
	case "array":
		errors = v.validateArray(path, schema, data, errors)
	case "string":
		errors = v.validateString(path, schema, data, errors)
	case "integer", "number":
		errors = v.validateNumber(path, schema, data, errors)
	}
	return errors
}

// isCorrectType is the original's: nil and unknown types never match.
func isCorrectType(expectedType string, value any) bool {
	if value == nil {
		return false
	}
	switch expectedType {
	case "string":
		_, ok := value.(string)
		return ok
	case "integer":
		f, ok := value.(float64)
		return ok && float64(int(f)) == f
	case "number":
		_, ok := value.(float64)
		return ok
	case "boolean":
		_, ok := value.(bool)
		return ok
	case "object":
		_, ok := value.(map[string]any)
		return ok
	case "array":
		_, ok := value.([]any)
		return ok
	}
	return false
}

func hasConstraints(p *domain.Property) bool {
	return p.MinLength != nil || p.MaxLength != nil || p.Pattern != "" || len(p.Enum) > 0 ||
		p.Format != "" || p.Minimum != nil || p.Maximum != nil || p.Items != nil
}

func (v *seedValidator) validateObject(path string, schema *domain.Schema, data any, errors []string) []string {
	obj, ok := data.(map[string]any)
	if !ok {
		return errors
	}
	for _, req := range schema.Required {
		if _, exists := obj[req]; !exists {
			propPath := req
			if path != "" {
				propPath = path + "." + req
			}
			errors = append(errors, fmt.Sprintf("property %s is required", propPath))
		}
	}
	for name, prop := range schema.Properties {
		value, exists := obj[name]
		if !exists {
			continue
		}
		propPath := name
		if path != "" {
			propPath = path + "." + name
		}
		subSchema := &domain.Schema{
			Type:        prop.Type,
			Properties:  prop.Properties,
			Required:    prop.Required,
			Description: prop.Description,
		}
		if hasConstraints(&prop) {
			if subSchema.Properties == nil {
				subSchema.Properties = map[string]domain.Property{}
			}
			// Defect: Properties is the caller's map when the property has
			// nested properties, so this writes into the caller's schema
			// (a data race when goroutines share it).
			subSchema.Properties[""] = prop
		}
		errors = v.validateValue(propPath, subSchema, value, errors)
	}
	return errors
}

func (v *seedValidator) validateArray(path string, schema *domain.Schema, data any, errors []string) []string {
	arr, ok := data.([]any)
	if !ok {
		return errors
	}
	var itemsSchema *domain.Schema
	if schema.Properties != nil {
		if prop, exists := schema.Properties[""]; exists && prop.Items != nil {
			items := prop.Items
			itemsSchema = &domain.Schema{
				Type:        items.Type,
				Properties:  items.Properties,
				Required:    items.Required,
				Description: items.Description,
			}
			if hasConstraints(items) {
				if itemsSchema.Properties == nil {
					itemsSchema.Properties = map[string]domain.Property{}
				}
				itemsSchema.Properties[""] = *items // the caller's map again
			}
		}
	}
	if itemsSchema == nil {
		return errors
	}
	pathPrefix := "["
	if path != "" {
		pathPrefix = path + "["
	}
	for i, item := range arr {
		errors = v.validateValue(fmt.Sprintf("%s%d]", pathPrefix, i), itemsSchema, item, errors)
	}
	return errors
}

// Format patterns of the original, by format name.
var seedFormats = map[string]struct{ pattern, message string }{
	"email":     {`^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$`, "a valid email address"},
	"date-time": {`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`, "a valid ISO8601 date-time"},
	"uri":       {`^(https?|ftp)://[^\s/$.?#].[^\s]*$`, "a valid URI"},
	"url":       {`^(https?|ftp)://[^\s/$.?#].[^\s]*$`, "a valid URI"},
	"uuid":      {`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, "a valid UUID"},
}

func (v *seedValidator) validateString(path string, schema *domain.Schema, data any, errors []string) []string {
	str, ok := data.(string)
	if !ok {
		return errors
	}
	where := displayPath(path)
	var c domain.Property
	if schema.Properties != nil {
		c = schema.Properties[""]
	}
	if c.MinLength != nil && len(str) < *c.MinLength {
		errors = append(errors, fmt.Sprintf("%s must be at least %d characters long", where, *c.MinLength))
	}
	if c.MaxLength != nil && len(str) > *c.MaxLength {
		errors = append(errors, fmt.Sprintf("%s must be no more than %d characters long", where, *c.MaxLength))
	}
	if c.Pattern != "" {
		re, err := v.regex.Compile(c.Pattern)
		if err != nil {
			return append(errors, fmt.Sprintf("invalid pattern: %s", c.Pattern))
		}
		if !re.MatchString(str) {
			errors = append(errors, fmt.Sprintf("%s must match pattern: %s", where, c.Pattern))
		}
	}
	if len(c.Enum) > 0 {
		valid := false
		for _, e := range c.Enum {
			if str == e {
				valid = true
				break
			}
		}
		if !valid {
			errors = append(errors, fmt.Sprintf("%s must be one of: %s", where, strings.Join(c.Enum, ", ")))
		}
	}
	if c.Format != "" {
		f, known := seedFormats[c.Format]
		if !known {
			return append(errors, fmt.Sprintf("unsupported format: %s", c.Format))
		}
		re, err := v.regex.Compile(f.pattern)
		if err != nil {
			return append(errors, fmt.Sprintf("invalid %s pattern: %v", c.Format, err))
		}
		if !re.MatchString(str) {
			errors = append(errors, fmt.Sprintf("%s must be %s", where, f.message))
		}
	}
	return errors
}

func (v *seedValidator) validateNumber(path string, schema *domain.Schema, data any, errors []string) []string {
	num, ok := data.(float64)
	if !ok {
		return errors
	}
	var c domain.Property
	if schema.Properties != nil {
		c = schema.Properties[""]
	}
	if c.Minimum != nil && num < *c.Minimum {
		errors = append(errors, fmt.Sprintf("%s must be at least %g", displayPath(path), *c.Minimum))
	}
	if c.Maximum != nil && num > *c.Maximum {
		errors = append(errors, fmt.Sprintf("%s must be at most %g", displayPath(path), *c.Maximum))
	}
	return errors
}
