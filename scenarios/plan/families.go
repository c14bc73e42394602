package plan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/llmbench/llmbench/core/cache"
	"github.com/llmbench/llmbench/core/fanout"
	"github.com/llmbench/llmbench/core/messages"
	"github.com/llmbench/llmbench/core/stream"
	"github.com/llmbench/llmbench/core/validate"
	"github.com/llmbench/llmbench/core/workerpool"
)

// lister is what every core registry offers.
type lister interface {
	Names() []string
	Doc(string) string
}

// Family is a family of primitives a scenario can vary: its name (in
// variants:, --variant and results), the pipeline stage it varies, its
// registry, and how a variant is built. This table is the one list of
// families: the parser, the engine and `llmbench list` read it.
type Family struct {
	Name  string
	Stage string
	Doc   string
	reg   lister
	// staged says whether the pipeline has the family's stage.
	staged func(*Pipeline) bool
	// build makes the variant once, so that a plan that builds cannot
	// fail later for the same reason.
	build func(p *Plan, v Variant) error
}

// Families are the families a scenario can vary, in the order variant
// names print.
var Families = []Family{
	{Name: "messages", Stage: "messages", Doc: "conversation history (MessageManager)", reg: messages.Registry,
		staged: func(p *Pipeline) bool { return p.Messages != nil },
		build:  func(p *Plan, v Variant) error { _, err := p.NewHistories(v); return err }},
	{Name: "cache", Stage: "cache", Doc: "response cache", reg: cache.Registry,
		staged: func(p *Pipeline) bool { return p.Cache != nil },
		build:  func(p *Plan, v Variant) error { _, err := p.NewCache(v); return err }},
	{Name: "workerpool", Stage: "workerpool", Doc: "bound on provider calls (a variant may set its limit: fixed:16)", reg: workerpool.Registry,
		staged: func(p *Pipeline) bool { return p.WorkerPool != nil },
		build: func(p *Plan, v Variant) error {
			e, err := p.NewExecutor(v)
			if err == nil {
				e.Close()
			}
			return err
		}},
	{Name: "fanout", Stage: "fanout", Doc: "fan-out over providers (MultiProvider)", reg: fanout.Registry,
		staged: func(p *Pipeline) bool { return p.Fanout != nil },
		build:  func(p *Plan, v Variant) error { return p.checkFanout(v) }},
	{Name: "stream", Stage: "stream", Doc: "channel pool of streamed answers", reg: stream.Pools,
		staged: func(p *Pipeline) bool { return p.Stream != nil },
		build:  func(p *Plan, v Variant) error { _, err := p.NewStreamPool(v); return err }},
	{Name: "sender", Stage: "stream", Doc: "per-token send of a streamed answer", reg: stream.Senders,
		staged: func(p *Pipeline) bool { return p.Stream != nil },
		build: func(p *Plan, v Variant) error {
			s, err := p.NewSender(v)
			if err == nil {
				s.Stop()
			}
			return err
		}},
	{Name: "validate", Stage: "validate", Doc: "schema validation of the answer; stage options regex: " + strings.Join(validate.RegexCaches.Names(), ", ") +
		"; pool: " + strings.Join(validate.Pools, ", "), reg: validate.Registry,
		staged: func(p *Pipeline) bool { return p.Validate != nil },
		build:  func(p *Plan, v Variant) error { _, err := p.NewValidator(v); return err }},
}

// FamilyByName finds a family.
func FamilyByName(name string) (*Family, bool) {
	for i := range Families {
		if Families[i].Name == name {
			return &Families[i], true
		}
	}
	return nil, false
}

// FamilyNames lists the families.
func FamilyNames() []string {
	out := make([]string, len(Families))
	for i, f := range Families {
		out[i] = f.Name
	}
	return out
}

// Names lists the family's variants.
func (f *Family) Names() []string { return f.reg.Names() }

// VariantDoc is a line about one variant.
func (f *Family) VariantDoc(name string) string { return f.reg.Doc(name) }

// checkName says what is wrong with a variant name of the family, or nil.
func (f *Family) checkName(name string) error {
	impl := name
	if f.Name == "workerpool" {
		var err error
		if impl, _, err = splitPoolVariant(name); err != nil {
			return err
		}
	}
	for _, n := range f.reg.Names() {
		if n == impl {
			return nil
		}
	}
	return fmt.Errorf("unknown %s variant %q (known: %s)", f.Name, name, strings.Join(f.reg.Names(), ", "))
}

// splitPoolVariant reads a workerpool variant, "impl" or "impl:limit".
func splitPoolVariant(v string) (impl string, limit int, err error) {
	impl, l, ok := strings.Cut(v, ":")
	if !ok {
		return impl, 0, nil
	}
	limit, err = strconv.Atoi(l)
	if err != nil || limit < 1 || limit > MaxPoolLimit {
		return "", 0, fmt.Errorf("workerpool variant %q: the limit after the colon must be a number from 1 to %d", v, MaxPoolLimit)
	}
	return impl, limit, nil
}
