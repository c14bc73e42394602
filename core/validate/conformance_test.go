package validate

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/core/domain"
)

func TestOptionsRejected(t *testing.T) {
	_, err := New("fixed", Options{Regex: "nope"})
	assert.ErrorContains(t, err, `unknown regex cache variant "nope"`)
	_, err = New("fixed", Options{Pool: "nope"})
	assert.ErrorContains(t, err, `unknown validate pool "nope"`)
	_, err = New("nope", Options{})
	assert.ErrorContains(t, err, `unknown validate variant "nope"`)
}

func TestConformance(t *testing.T) {
	person := nestedSchema()
	tags := &domain.Schema{Type: "object", Properties: map[string]domain.Property{
		"tags":  {Type: "array", Items: &domain.Property{Type: "string", Enum: []string{"a", "b"}}},
		"email": {Type: "string", Format: "email"},
		"when":  {Type: "string", Format: "date-time"},
		"id":    {Type: "string", Format: "uuid"},
		"ok":    {Type: "boolean"},
		"score": {Type: "number"},
	}}
	cases := []struct {
		name   string
		schema *domain.Schema
		doc    string
		coerce bool
		errs   []string
	}{
		{"valid", person, validNested, false, nil},
		{"missing required", person, `{"address":{"zip":"12345"}}`, false, []string{"property name is required"}},
		{"nested required", person, `{"name":"A","address":{}}`, false, []string{"property address.zip is required"}},
		{"pattern", person, `{"name":"A","address":{"zip":"1234"}}`, false, []string{`address.zip must match pattern: ^\d{5}$`}},
		{"too short", person, `{"name":"","address":{"zip":"12345"}}`, false, []string{"name must be at least 1 characters long"}},
		{"too long", person, `{"name":"aaaaaaaaaaaaaaaaaaaaa","address":{"zip":"12345"}}`, false, []string{"name must be no more than 20 characters long"}},
		{"integer", person, `{"name":"A","age":1.5,"address":{"zip":"12345"}}`, false, []string{"age must be a integer"}},
		{"maximum", person, `{"name":"A","age":151,"address":{"zip":"12345"}}`, false, []string{"age must be at most 150"}},
		{"minimum", person, `{"name":"A","age":-1,"address":{"zip":"12345"}}`, false, []string{"age must be at least 0"}},
		{"no coercion", person, `{"name":"A","age":"36","address":{"zip":"12345"}}`, false, []string{"age must be a integer"}},
		{"coercion", person, `{"name":"A","age":"36","address":{"zip":"12345"}}`, true, nil},
		{"coerced then checked", person, `{"name":"A","age":"200","address":{"zip":"12345"}}`, true, []string{"age must be at most 150"}},
		{"root type", person, `[1,2]`, false, []string{"value must be a object"}},
		{"items and enum", tags, `{"tags":["a","c"]}`, false, []string{"tags[1] must be one of: a, b"}},
		{"formats valid", tags, `{"email":"a@b.io","when":"2025-05-01T10:00:00Z","id":"123e4567-e89b-12d3-a456-426614174000"}`, false, nil},
		{"formats invalid", tags, `{"email":"nope","when":"yesterday"}`, false, []string{"email must be a valid email address", "when must be a valid ISO8601 date-time"}},
		{"boolean coercion", tags, `{"ok":"true","score":"2.5"}`, true, nil},
		{"boolean", tags, `{"ok":"yes"}`, true, []string{"ok must be a boolean"}},
	}
	for _, vc := range allCases() {
		t.Run(vc.String(), func(t *testing.T) {
			for _, c := range cases {
				o := vc.opts
				o.Coerce = c.coerce
				v := mustNew(t, vc.algo, o)
				res, err := v.Validate(c.schema, c.doc)
				require.NoError(t, err, c.name)
				assert.Equal(t, len(c.errs) == 0, res.Valid, c.name)
				assert.ElementsMatch(t, c.errs, res.Errors, c.name)
				v.Release(res)
			}
			v := mustNew(t, vc.algo, vc.opts)
			_, err := v.Validate(person, `{"name":`)
			assert.ErrorContains(t, err, "invalid JSON")
			res, err := v.Validate(&domain.Schema{Type: "object", Properties: map[string]domain.Property{
				"x": {Type: "string", Pattern: "("}, "y": {Type: "string", Format: "colour"}}}, `{"x":"a","y":"b"}`)
			require.NoError(t, err)
			assert.Len(t, res.Errors, 2)
			assert.Contains(t, res.Errors[0]+res.Errors[1], "invalid pattern")
			assert.Contains(t, res.Errors[0]+res.Errors[1], "unsupported format")
			assert.Contains(t, res.Errors[0]+res.Errors[1], "colour")
		})
	}
}

func TestFixedRejectsAdditionalProperties(t *testing.T) {
	v := mustNew(t, "fixed", Options{})
	no := false
	s := &domain.Schema{Type: "object", AdditionalProperties: &no, Properties: map[string]domain.Property{"a": {Type: "string"}}}
	res, err := v.Validate(s, `{"a":"x","b":1}`)
	require.NoError(t, err)
	assert.Equal(t, []string{"property b is not allowed"}, res.Errors)
}

func TestFixedSharedSchemaConcurrently(t *testing.T) {
	// Under -race: the corrected algorithm only reads the schema.
	v := mustNew(t, "fixed", Options{})
	schema := nestedSchema()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				res, err := v.Validate(schema, validNested)
				if assert.NoError(t, err) {
					assert.True(t, res.Valid)
				}
				v.Release(res)
			}
		})
	}
	wg.Wait()
}

func TestRegexCaches(t *testing.T) {
	for _, name := range RegexCaches.Names() {
		t.Run("impl="+name, func(t *testing.T) {
			resetSeedRegex()
			ctor, _ := RegexCaches.Get(name)
			c := ctor(4)
			re, err := c.Compile(`^a+$`)
			require.NoError(t, err)
			assert.True(t, re.MatchString("aaa"))
			re2, err := c.Compile(`^a+$`)
			require.NoError(t, err)
			assert.True(t, re2.MatchString("a"))
			_, err = c.Compile(`(`)
			assert.Error(t, err)
		})
	}
}
