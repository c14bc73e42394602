package main

import (
	"github.com/llmbench/llmbench/core/compute"
	"github.com/llmbench/llmbench/core/lifecycle"
	"github.com/llmbench/llmbench/core/lockorder"
)

// lister is what every registry offers.
type lister interface {
	Family() string
	Names() []string
}

type benchFamily struct {
	name  string
	names []string
}

// benchFamilies are the registries a scenario cannot vary: the
// microbenchmarks compare them (go test -bench ./bench).
func benchFamilies() []benchFamily {
	regs := []lister{compute.Registry, lockorder.Registry, lifecycle.Singletons, lifecycle.Counters, lifecycle.Configs}
	out := make([]benchFamily, 0, len(regs))
	for _, r := range regs {
		out = append(out, benchFamily{r.Family(), r.Names()})
	}
	return out
}
