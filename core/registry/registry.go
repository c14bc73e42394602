// Package registry maps variant names to constructors, so that benchmarks,
// scenarios and the CLI can pick a primitive's variant by the name they print
// (impl=<name>).
package registry

import (
	"fmt"
	"strings"
)

// Registry holds the constructors of one primitive family, in registration order.
type Registry[F any] struct {
	family string
	names  []string
	ctors  map[string]F
	docs   map[string]string
}

// New returns an empty registry for family (used in error messages).
func New[F any](family string) *Registry[F] {
	return &Registry[F]{family: family, ctors: map[string]F{}, docs: map[string]string{}}
}

// Register adds a variant. It panics on a duplicate name: registrations are
// static, so a duplicate is a programming error caught by any test.
func (r *Registry[F]) Register(name, doc string, ctor F) {
	if _, dup := r.ctors[name]; dup {
		panic(fmt.Sprintf("registry: %s variant %q registered twice", r.family, name))
	}
	r.names = append(r.names, name)
	r.ctors[name] = ctor
	r.docs[name] = doc
}

// Get returns the constructor of name, or an error listing the known names.
func (r *Registry[F]) Get(name string) (F, error) {
	f, ok := r.ctors[name]
	if !ok {
		var zero F
		return zero, fmt.Errorf("unknown %s variant %q (known: %s)", r.family, name, strings.Join(r.names, ", "))
	}
	return f, nil
}

// Family is the family's name.
func (r *Registry[F]) Family() string { return r.family }

// Names lists the variants in registration order (the seed-faithful one first).
func (r *Registry[F]) Names() []string { return append([]string(nil), r.names...) }

// Doc is the one-line description of a variant.
func (r *Registry[F]) Doc(name string) string { return r.docs[name] }
