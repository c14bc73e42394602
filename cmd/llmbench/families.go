package main

import (
	"github.com/llmbench/llmbench/core/cache"
	"github.com/llmbench/llmbench/core/compute"
	"github.com/llmbench/llmbench/core/fanout"
	"github.com/llmbench/llmbench/core/lifecycle"
	"github.com/llmbench/llmbench/core/lockorder"
	"github.com/llmbench/llmbench/core/messages"
	"github.com/llmbench/llmbench/core/stream"
	"github.com/llmbench/llmbench/core/validate"
	"github.com/llmbench/llmbench/core/workerpool"
)

type family struct {
	name     string
	variants [][2]string // name, doc
}

// lister is what every registry offers.
type lister interface {
	Family() string
	Names() []string
	Doc(string) string
}

func families() []family {
	regs := []lister{messages.Registry, cache.Registry, workerpool.Registry, fanout.Registry, stream.Pools, stream.Senders,
		validate.Registry, validate.RegexCaches, compute.Registry, lockorder.Registry, lifecycle.Singletons, lifecycle.Counters, lifecycle.Configs}
	out := make([]family, 0, len(regs))
	for _, r := range regs {
		f := family{name: r.Family()}
		for _, n := range r.Names() {
			f.variants = append(f.variants, [2]string{n, r.Doc(n)})
		}
		out = append(out, f)
	}
	return out
}
