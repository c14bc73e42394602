package plan

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/llmbench/llmbench/mockprovider"
	"github.com/llmbench/llmbench/scenarios/results"
	"github.com/llmbench/llmbench/scenarios/spec"
)

// build checks every value of s and builds the plan; files are read from
// dir. All problems are reported at once, each with its line.
func build(s *spec.Scenario, dir string) (*Plan, error) {
	errs := &spec.Problems{}
	at := func(path, format string, args ...any) { errs.Add(s.Line(path), path, format, args...) }
	abs := dir // "" for a scenario that has no folder (a ready one)
	if dir != "" {
		if a, err := filepath.Abs(dir); err == nil {
			abs = a
		}
	}
	p := &Plan{Name: s.Name, Description: s.Description, Path: s.Path, Dir: abs, Seed: s.Seed, Repeat: 1}
	if p.Name == "" {
		p.Name = strings.TrimSuffix(filepath.Base(s.Path), filepath.Ext(s.Path))
	}
	if p.Seed == 0 {
		p.Seed = 1
	}
	if s.Repeat != nil {
		p.Repeat = *s.Repeat
		if p.Repeat < 1 {
			at("repeat", "must be at least 1 (got %d)", p.Repeat)
		}
	}
	var files []string
	p.buildProviders(s, dir, errs, &files)
	p.buildLoad(s, dir, at, &files)
	p.buildPipeline(s, at)
	p.buildVariants(s, at)
	p.buildSLO(s, at)
	p.Thresholds = checks(s, s.Thresholds, "thresholds", errs)
	p.buildSweep(s, errs)
	// A schedule that cannot send one measured request measures nothing:
	// refuse it now rather than report a run of nothing.
	if l := &p.Load; errs.Len() == 0 && l.Open() && l.Requests == 0 {
		if n := l.scheduled(); n < 1 {
			at("workload", "the schedule sends %.3g requests in its measured %s: nothing would be measured; raise the rate or the duration", n, l.Window())
		}
	}
	if err := errs.Err(s.Path); err != nil {
		return nil, err
	}
	var err error
	if p.Files, err = fileRefs(dir, files); err != nil {
		return nil, &spec.Error{Msg: fmt.Sprintf("%s: %v", s.Path, err)}
	}
	// Build every variant once: what fails, fails now.
	for _, v := range p.Variants {
		for _, f := range Families {
			if f.staged(&p.Pipeline) {
				if err := f.build(p, v); err != nil {
					at("variants", "%s: %v", v.Name, err)
				}
			}
		}
	}
	if err := errs.Err(s.Path); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Plan) buildProviders(s *spec.Scenario, dir string, errs *spec.Problems, files *[]string) {
	p.Providers = map[string]*Provider{}
	if len(s.Providers) == 0 {
		m, err := mockprovider.Default().Build("", dir)
		if err != nil {
			panic(err) // the default model always builds
		}
		p.Providers["mock"] = &Provider{Name: "mock", Kind: spec.KindMock, Model: m}
		return
	}
	for _, name := range sortedKeys(s.Providers) {
		ps := s.Providers[name]
		path := "providers." + name
		at := func(path, format string, args ...any) { errs.Add(s.Line(path), path, format, args...) }
		switch ps.Kind {
		case spec.KindOpenAI:
			c := ps.OpenAI
			if c.BaseURL == "" {
				at(path, "base_url is required for kind openai")
			} else if !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
				at(path+".base_url", "%q must start with http:// or https://", c.BaseURL)
			}
			if c.Model == "" {
				at(path, "model is required for kind openai")
			}
			if c.APIKeyEnv != "" && os.Getenv(c.APIKeyEnv) == "" {
				at(path+".api_key_env", "the environment variable %s is empty or unset", c.APIKeyEnv)
			}
			p.Providers[name] = &Provider{Name: name, Kind: ps.Kind, OpenAI: c}
		default:
			cfg := ps.Mock
			if cfg.Name == "" {
				cfg.Name = name
			}
			m, err := cfg.Build(path, dir)
			if err != nil {
				var fes mockprovider.FieldErrors
				if !errors.As(err, &fes) {
					fes = mockprovider.FieldErrors{{Path: path, Msg: err.Error()}}
				}
				for _, fe := range fes {
					line := fe.Line
					if line == 0 {
						line = s.Line(fe.Path)
					}
					errs.Add(line, fe.Path, "%s", fe.Msg)
				}
				continue
			}
			*files = append(*files, cfg.Files()...)
			p.Providers[name] = &Provider{Name: name, Kind: ps.Kind, Model: m, seedSet: ps.Mock.Seed != 0}
		}
	}
}

func (p *Plan) buildLoad(s *spec.Scenario, dir string, at func(string, string, ...any), files *[]string) {
	w := &s.Workload
	l := &p.Load
	*l = Load{Arrival: w.Arrival, Rate: w.Rate, Stages: w.Stages, Burst: w.Burst, Users: w.Concurrency, Duration: w.Duration,
		Requests: w.Requests, Warmup: w.Warmup, Timeout: w.Timeout, MaxInFlight: w.MaxInFlight, Multimodal: w.Prompt.Multimodal}
	if l.Timeout == 0 {
		l.Timeout = DefaultTimeout
	}
	if l.MaxInFlight == 0 {
		l.MaxInFlight = DefaultMaxInFlight
	}
	open := w.Arrival != ""
	switch {
	case open && w.Concurrency > 0:
		at("workload.concurrency", "an open loop (arrival: %s) has no concurrency; remove one of them", w.Arrival)
	case !open && w.Concurrency <= 0:
		at("workload", "set arrival (constant, poisson, ramp, burst) for an open loop, or concurrency for a closed loop")
	}
	switch w.Arrival {
	case "", "constant", "poisson", "ramp", "burst":
	default:
		at("workload.arrival", "unknown arrival %q (constant, poisson, ramp, burst)", w.Arrival)
	}
	rateOK := func(path string, r float64, positive bool) {
		switch {
		case positive && !(r > 0):
			at(path, "%s arrival needs rate > 0 (requests per second)", w.Arrival)
		case r < 0:
			at(path, "must not be negative")
		case r > MaxRate:
			at(path, "%g requests/s is beyond what one generator can schedule (at most %g)", r, MaxRate)
		}
	}
	switch w.Arrival {
	case "constant", "poisson":
		rateOK("workload.rate", w.Rate, true)
	case "ramp":
		if len(w.Stages) == 0 {
			at("workload.stages", "ramp arrival needs stages, e.g. [{duration: 10s, rate: 500}]")
		}
		for i, st := range w.Stages {
			path := fmt.Sprintf("workload.stages[%d]", i)
			if st.Duration <= 0 {
				at(path, "duration must be positive")
			}
			rateOK(path, st.Rate, false)
		}
		if w.Duration != 0 || w.Requests != 0 {
			at("workload.duration", "a ramp lasts as long as its stages; leave duration and requests out")
		}
		if w.Rate != 0 {
			at("workload.rate", "a ramp's rates are its stages'; leave rate out")
		}
	case "burst":
		if w.Burst == nil || w.Burst.Size <= 0 || w.Burst.Every <= 0 {
			at("workload.burst", "burst arrival needs burst: {size: N, every: D}")
		} else if w.Burst.Size > MaxInFlight {
			at("workload.burst.size", "at most %d requests at once (got %d)", MaxInFlight, w.Burst.Size)
		} else {
			rateOK("workload.burst", float64(w.Burst.Size)/w.Burst.Every.Seconds(), true)
		}
	}
	if !open {
		if len(w.Stages) > 0 || w.Burst != nil {
			at("workload", "stages and burst belong to an open loop; a closed loop has concurrency (and optionally a rate)")
		}
		rateOK("workload.rate", w.Rate, false)
		if w.ThinkTime != nil {
			d, err := w.ThinkTime.Build(mockprovider.Duration, "workload.think_time", dir)
			if err != nil {
				fieldErr(at, err)
			}
			l.Think = d
			*files = append(*files, w.ThinkTime.Files()...)
		}
	} else if w.ThinkTime != nil {
		at("workload.think_time", "think time belongs to a closed loop")
	}
	if w.Arrival != "ramp" {
		switch {
		case w.Duration == 0 && w.Requests == 0:
			at("workload", "set duration (e.g. 10s) or requests (e.g. 5000) to end the run")
		case w.Duration != 0 && w.Requests != 0:
			at("workload.requests", "set duration or requests, not both")
		case w.Duration < 0:
			at("workload.duration", "must be positive")
		case w.Requests < 0:
			at("workload.requests", "must be positive")
		}
	}
	if w.Warmup < 0 {
		at("workload.warmup", "must not be negative")
	}
	if w.Timeout < 0 {
		at("workload.timeout", "must be positive")
	}
	if w.MaxInFlight < 0 || w.MaxInFlight > MaxInFlight {
		at("workload.max_in_flight", "must be between 0 and %d (got %d); 0 takes the default", MaxInFlight, w.MaxInFlight)
	}
	if w.Concurrency > MaxUsers {
		at("workload.concurrency", "at most %d users (got %d)", MaxUsers, w.Concurrency)
	}
	if !(w.Prompt.Multimodal >= 0 && w.Prompt.Multimodal <= 1) {
		at("workload.prompt.multimodal", "is a share in [0, 1] (got %g)", w.Prompt.Multimodal)
	}
	l.PromptTokens = mockprovider.Constant{V: DefaultPromptTokens}
	if t := w.Prompt.Tokens; t != nil {
		d, err := t.Build(mockprovider.Count, "workload.prompt.tokens", dir)
		if err != nil {
			fieldErr(at, err)
		}
		l.PromptTokens = d
		*files = append(*files, t.Files()...)
	}
	l.PromptTurns = mockprovider.Constant{V: 0}
	if t := w.Prompt.Turns; t != nil {
		d, err := t.Build(mockprovider.Count, "workload.prompt.turns", dir)
		if err != nil {
			fieldErr(at, err)
		}
		l.PromptTurns = d
		*files = append(*files, t.Files()...)
	}
}

// fieldErr files a distribution's FieldError under its own line and path.
func fieldErr(at func(string, string, ...any), err error) {
	var fe *mockprovider.FieldError
	if errors.As(err, &fe) {
		at(fe.Path, "%s", fe.Msg)
		return
	}
	at("", "%v", err)
}

func (p *Plan) buildPipeline(s *spec.Scenario, at func(string, string, ...any)) {
	sp := s.Pipeline
	pl := &p.Pipeline
	pl.Provider = sp.Provider
	if pl.Provider == "" && sp.Fanout == nil && len(p.Providers) == 1 && len(s.Providers) <= 1 {
		pl.Provider = sortedKeys(p.Providers)[0] // the only provider
	}
	names := sortedKeys(s.Providers)
	if len(names) == 0 {
		names = []string{"mock"}
	}
	known := func(path, name string) {
		if !slices.Contains(names, name) {
			at(path, "no provider named %q (providers: %s)", name, strings.Join(names, ", "))
		}
	}
	switch {
	case sp.Fanout != nil && sp.Provider != "":
		at("pipeline.provider", "with fanout, name the providers in fanout.providers instead")
	case sp.Fanout != nil:
		if len(sp.Fanout.Providers) < 2 {
			at("pipeline.fanout.providers", "fan-out needs at least two providers")
		}
		for i, name := range sp.Fanout.Providers {
			known(fmt.Sprintf("pipeline.fanout.providers[%d]", i), name)
		}
		if err := sp.Fanout.Config.Validate(len(sp.Fanout.Providers)); err != nil {
			at("pipeline.fanout", "%s", strings.TrimPrefix(err.Error(), "fanout: "))
		}
		if sp.Stream != nil {
			at("pipeline.stream", "streams are not fanned out (a vote over partial tokens means nothing); use fanout or stream, not both")
		}
	case pl.Provider == "":
		at("pipeline.provider", "name the provider to call (providers: %s)", strings.Join(names, ", "))
	default:
		known("pipeline.provider", pl.Provider)
	}
	impl := func(path, family, name string) {
		f, _ := FamilyByName(family)
		if err := f.checkName(name); err != nil {
			at(path, "%v", err)
		}
	}
	if m := sp.Messages; m != nil {
		c := *m
		def(&c.Impl, "fixed")
		if c.Conversations == 0 {
			c.Conversations = DefaultConversations
		}
		if c.ModelTokens == 0 {
			c.ModelTokens = DefaultModelTokens
		}
		impl("pipeline.messages.impl", "messages", c.Impl)
		if c.Conversations < 1 || c.Conversations > MaxConversations {
			at("pipeline.messages.conversations", "must be between 1 and %d (got %d)", MaxConversations, c.Conversations)
		}
		pl.Messages = &c
	}
	if cs := sp.Cache; cs != nil {
		c := *cs
		def(&c.Impl, "sharded")
		if c.Keys == 0 {
			c.Keys = DefaultCacheKeys
		}
		impl("pipeline.cache.impl", "cache", c.Impl)
		if c.Keys < 1 || c.Keys > 1_000_000 {
			at("pipeline.cache.keys", "must be between 1 and 1000000 (got %d)", c.Keys)
		}
		if c.Skew < 0 {
			at("pipeline.cache.skew", "must not be negative (0 is uniform; 1.1 a typical Zipf skew)")
		}
		if c.Capacity < 0 || c.Capacity > MaxCacheCapacity {
			at("pipeline.cache.capacity", "must be between 0 and %d (got %d); 0 takes the default", MaxCacheCapacity, c.Capacity)
		}
		pl.Cache = &c
	}
	if f := sp.Fanout; f != nil {
		c := *f
		def(&c.Impl, "fixed")
		impl("pipeline.fanout.impl", "fanout", c.Impl)
		pl.Fanout = &c
	}
	if st := sp.Stream; st != nil {
		c := *st
		def(&c.Impl, "safe")
		def(&c.Sender, "timer")
		if c.SendTimeout == 0 {
			c.SendTimeout = DefaultSendTimeout
		}
		impl("pipeline.stream.impl", "stream", c.Impl)
		impl("pipeline.stream.sender", "sender", c.Sender)
		pl.Stream = &c
	}
	if v := sp.Validate; v != nil {
		c := *v
		def(&c.Impl, "fixed")
		def(&c.Schema, "small")
		impl("pipeline.validate.impl", "validate", c.Impl)
		if c.Schema != "small" && c.Schema != "large" {
			at("pipeline.validate.schema", "unknown schema %q (small, large)", c.Schema)
		}
		pl.Validate = &c
	}
	if wp := sp.WorkerPool; wp != nil {
		c := *wp
		def(&c.Impl, "fixed")
		if c.Limit == 0 {
			c.Limit = DefaultPoolLimit
		}
		impl("pipeline.workerpool.impl", "workerpool", c.Impl)
		if c.Limit < 1 || c.Limit > MaxPoolLimit {
			at("pipeline.workerpool.limit", "must be between 1 and %d (got %d)", MaxPoolLimit, c.Limit)
		}
		if c.Timeout < 0 {
			at("pipeline.workerpool.timeout", "must not be negative")
		}
		pl.WorkerPool = &c
	}
}

func def(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

// buildVariants checks the variant matrix or list and expands it: the
// cartesian product of the matrix (families in the table's order, names
// in the order written), or the list; one "default" variant when nothing
// varies.
func (p *Plan) buildVariants(s *spec.Scenario, at func(string, string, ...any)) {
	checkOne := func(path, family, name string) {
		f, ok := FamilyByName(family)
		switch {
		case !ok:
			at(path, "unknown family %q (families: %s)", family, strings.Join(FamilyNames(), ", "))
		case !f.staged(pipelineOf(s)):
			at(path, "the pipeline has no %s stage to vary", f.Stage)
		default:
			if err := f.checkName(name); err != nil {
				at(path, "%v", err)
			}
		}
	}
	vs := s.Variants
	for _, fam := range vs.Order {
		names := vs.Matrix[fam]
		if len(names) == 0 {
			at("variants."+fam, "an empty list of variants")
		}
		for _, n := range names {
			checkOne("variants."+fam, fam, n)
		}
	}
	for i, combo := range vs.List {
		for _, fam := range sortedKeys(combo) {
			checkOne(fmt.Sprintf("variants[%d].%s", i, fam), fam, combo[fam])
		}
	}
	fams := variedFamilies(vs)
	var combos []map[string]string
	if len(vs.List) > 0 {
		combos = vs.List
	} else if len(fams) > 0 {
		combos = []map[string]string{{}}
		for _, f := range fams {
			var next []map[string]string
			for _, c := range combos {
				for _, n := range vs.Matrix[f] {
					m := mapsClone(c)
					m[f] = n
					next = append(next, m)
				}
			}
			combos = next
		}
	}
	if len(combos) == 0 {
		p.Variants = []Variant{{Name: "default", Params: map[string]string{}}}
		return
	}
	seen := map[string]bool{}
	for i, c := range combos {
		var parts []string
		for _, f := range fams {
			if n, ok := c[f]; ok {
				parts = append(parts, f+"="+n)
			}
		}
		name := strings.Join(parts, "/")
		if seen[name] {
			at(fmt.Sprintf("variants[%d]", i), "%s is listed twice", name)
		}
		seen[name] = true
		p.Variants = append(p.Variants, Variant{Name: name, Params: c})
	}
}

// variedFamilies lists the families the variants vary, in table order.
func variedFamilies(vs spec.Variants) []string {
	seen := map[string]bool{}
	for f := range vs.Matrix {
		seen[f] = true
	}
	for _, c := range vs.List {
		for f := range c {
			seen[f] = true
		}
	}
	var out []string
	for _, f := range Families {
		if seen[f.Name] {
			out = append(out, f.Name)
		}
	}
	return out
}

func (p *Plan) buildSLO(s *spec.Scenario, at func(string, string, ...any)) {
	if s.SLO == nil {
		return
	}
	o := s.SLO
	for _, f := range []struct {
		name string
		d    int64
	}{{"ttft", int64(o.TTFT)}, {"itl", int64(o.ITL)}, {"tpot", int64(o.TPOT)}, {"e2e", int64(o.E2E)}} {
		if f.d < 0 {
			at("slo."+f.name, "must be positive")
		}
	}
	if *o == (spec.SLO{}) {
		at("slo", "sets no limit (ttft, itl, tpot, e2e)")
	}
	p.SLO = results.SLO{TTFT: o.TTFT, ITL: o.ITL, TPOT: o.TPOT, E2E: o.E2E}
}

// checks parses thresholds (or a sweep's SLOs) found at field.
func checks(s *spec.Scenario, ths []spec.Threshold, field string, errs *spec.Problems) []results.Threshold {
	var out []results.Threshold
	varied := variedFamilies(s.Variants)
	for i, th := range ths {
		path := fmt.Sprintf("%s[%d]", field, i)
		c, err := results.ParseCheck(th.Expr)
		if err != nil {
			errs.Add(th.Line, path, "%v", err)
			continue
		}
		for _, fam := range sortedKeys(th.Variant) {
			if !slices.Contains(varied, fam) {
				errs.Add(th.Line, path+".variant", "%q is not a varied family (varied: %s)", fam, strings.Join(varied, ", "))
			}
		}
		out = append(out, results.Threshold{Expr: th.Expr, Variant: th.Variant, Check: c})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
