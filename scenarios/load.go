package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/llmbench/llmbench/core/cache"
	"github.com/llmbench/llmbench/core/fanout"
	"github.com/llmbench/llmbench/core/messages"
	"github.com/llmbench/llmbench/core/stream"
	"github.com/llmbench/llmbench/core/validate"
	"github.com/llmbench/llmbench/core/workerpool"
	"github.com/llmbench/llmbench/mockprovider"
	"github.com/llmbench/llmbench/mockprovider/openai"
)

// Defaults applied to what a scenario leaves out.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultMaxInFlight   = 10000
	DefaultPromptTokens  = 64
	DefaultCacheKeys     = 1000
	DefaultConversations = 64
	DefaultModelTokens   = 4096
	DefaultPoolLimit     = 64
	DefaultSendTimeout   = time.Second
)

// Load reads and checks a scenario file.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &InputError{Msg: err.Error(), Count: 1}
	}
	return Parse(data, path)
}

// Parse checks a scenario given as YAML text; path names it in messages
// and anchors relative file names.
func Parse(data []byte, path string) (*Scenario, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &InputError{Msg: path + ": " + strings.TrimPrefix(err.Error(), "yaml: "), Count: 1}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, &InputError{Msg: path + ": the file is empty", Count: 1}
	}
	errs := &problems{}
	w := &walker{lines: map[string]int{}, errs: errs, special: map[reflect.Type]func(*walker, *yaml.Node, string){
		reflect.TypeFor[ProviderSpec](): walkProvider,
	}}
	w.walk(&root, reflect.TypeFor[Scenario](), "")
	if err := errs.err(path); err != nil {
		return nil, err
	}
	s := &Scenario{Path: path, Source: string(data), lines: w.lines}
	if err := root.Decode(s); err != nil {
		errs.add(0, "", "%s", yamlMessage(err))
		return nil, errs.err(path)
	}
	s.applyDefaults()
	s.check(errs)
	if err := errs.err(path); err != nil {
		return nil, err
	}
	return s, nil
}

// yamlMessage strips yaml's prefixes: "yaml: unmarshal errors:\n  line 3: x".
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// walkProvider checks a provider entry against the type its kind selects.
func walkProvider(w *walker, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		w.errs.add(n.Line, path, "want a mapping (a mock configuration, or kind: openai with base_url and model), got %s", describe(n))
		return
	}
	kind := kindOf(n)
	var t reflect.Type
	switch kind {
	case KindMock, KindMockHTTP:
		t = reflect.TypeFor[mockprovider.Config]()
	case KindOpenAI:
		t = reflect.TypeFor[openai.ClientConfig]()
	default:
		w.errs.add(n.Line, path+".kind", "unknown kind %q (mock, mock-http or openai)", kind)
		return
	}
	// kind is not a field of either type: check a copy without it.
	rest := *n
	rest.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "kind" {
			w.lines[path+".kind"] = n.Content[i].Line
			continue
		}
		rest.Content = append(rest.Content, n.Content[i], n.Content[i+1])
	}
	w.lines[path] = n.Line
	w.walk(&rest, t, path)
}

func kindOf(n *yaml.Node) ProviderKind {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "kind" {
			return ProviderKind(n.Content[i+1].Value)
		}
	}
	return KindMock
}

// UnmarshalYAML decodes a provider by its kind (checked by the walker).
func (p *ProviderSpec) UnmarshalYAML(n *yaml.Node) error {
	p.Kind, p.Line = kindOf(n), n.Line
	rest := *n
	rest.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "kind" {
			rest.Content = append(rest.Content, n.Content[i], n.Content[i+1])
		}
	}
	if p.Kind == KindOpenAI {
		return rest.Decode(&p.OpenAI)
	}
	return rest.Decode(&p.Mock)
}

// UnmarshalYAML reads a matrix (family: [names]) or a list of combinations.
func (v *Variants) UnmarshalYAML(n *yaml.Node) error {
	v.Line = n.Line
	switch n.Kind {
	case yaml.MappingNode:
		v.Matrix = map[string][]string{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			var names []string
			if val.Kind == yaml.ScalarNode {
				names = []string{val.Value}
			} else if err := val.Decode(&names); err != nil {
				return fmt.Errorf("line %d: variants.%s: want a list of variant names", val.Line, k.Value)
			}
			v.Matrix[k.Value] = names
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			var combo map[string]string
			if err := item.Decode(&combo); err != nil {
				return fmt.Errorf("line %d: variants: each item is a mapping such as {cache: seed, stream: safe}", item.Line)
			}
			v.List = append(v.List, combo)
		}
	default:
		return fmt.Errorf("line %d: variants: want a mapping (a matrix) or a list of combinations", n.Line)
	}
	return nil
}

// UnmarshalYAML reads "metric op value", or {metric: ..., variant: {...}}.
func (t *Threshold) UnmarshalYAML(n *yaml.Node) error {
	t.Line = n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		t.Expr = n.Value
		return nil
	case yaml.MappingNode:
		var raw struct {
			Metric  string            `yaml:"metric"`
			Variant map[string]string `yaml:"variant"`
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; k != "metric" && k != "variant" {
				return fmt.Errorf("line %d: thresholds: unknown field %q (metric, variant)", n.Content[i].Line, k)
			}
		}
		if err := n.Decode(&raw); err != nil {
			return fmt.Errorf("line %d: thresholds: %s", n.Line, yamlMessage(err))
		}
		t.Expr, t.Variant = raw.Metric, raw.Variant
		return nil
	}
	return fmt.Errorf("line %d: thresholds: each item is a string such as \"ttft.p99 < 800ms\" or {metric: ..., variant: {...}}", n.Line)
}

// lineOf is the line of path or of its nearest recorded ancestor.
func (s *Scenario) lineOf(path string) int {
	for p := path; p != ""; {
		if l, ok := s.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

func (s *Scenario) applyDefaults() {
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(s.Path), filepath.Ext(s.Path))
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	if s.Repeat == 0 {
		s.Repeat = 1
	}
	if len(s.Providers) == 0 {
		s.Providers = map[string]ProviderSpec{"mock": {Kind: KindMock, Mock: mockprovider.Default()}}
	}
	if s.Pipeline.Provider == "" && s.Pipeline.Fanout == nil && len(s.Providers) == 1 {
		for name := range s.Providers {
			s.Pipeline.Provider = name
		}
	}
	w := &s.Workload
	if w.Timeout == 0 {
		w.Timeout = DefaultTimeout
	}
	if w.MaxInFlight == 0 {
		w.MaxInFlight = DefaultMaxInFlight
	}
	if w.Prompt.Tokens == nil {
		w.Prompt.Tokens = &mockprovider.DistSpec{Dist: "constant", Value: &mockprovider.Quantity{V: DefaultPromptTokens, Text: "64"}}
	}
	if w.Prompt.Turns == nil {
		w.Prompt.Turns = &mockprovider.DistSpec{Dist: "constant", Value: &mockprovider.Quantity{V: 0, Text: "0"}}
	}
	p := &s.Pipeline
	if p.Messages != nil {
		def(&p.Messages.Impl, "fixed")
		if p.Messages.Conversations == 0 {
			p.Messages.Conversations = DefaultConversations
		}
		if p.Messages.ModelTokens == 0 {
			p.Messages.ModelTokens = DefaultModelTokens
		}
	}
	if p.Cache != nil {
		def(&p.Cache.Impl, "sharded")
		if p.Cache.Keys == 0 {
			p.Cache.Keys = DefaultCacheKeys
		}
	}
	if p.Fanout != nil {
		def(&p.Fanout.Impl, "fixed")
	}
	if p.Stream != nil {
		def(&p.Stream.Impl, "safe")
		def(&p.Stream.Sender, "timer")
		if p.Stream.SendTimeout == 0 {
			p.Stream.SendTimeout = DefaultSendTimeout
		}
	}
	if p.Validate != nil {
		def(&p.Validate.Impl, "fixed")
		def(&p.Validate.Schema, "small")
	}
	if p.WorkerPool != nil {
		def(&p.WorkerPool.Impl, "fixed")
		if p.WorkerPool.Limit == 0 {
			p.WorkerPool.Limit = DefaultPoolLimit
		}
	}
}

func def(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

var mockLine = regexp.MustCompile(`^line (\d+): (.*)$`)

func (s *Scenario) check(errs *problems) {
	at := func(path, format string, args ...any) { errs.add(s.lineOf(path), path, format, args...) }
	if s.Repeat < 1 {
		at("repeat", "must be at least 1 (got %d)", s.Repeat)
	}
	dir := filepath.Dir(s.Path)
	names := make([]string, 0, len(s.Providers))
	for name := range s.Providers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := s.Providers[name]
		path := "providers." + name
		switch p.Kind {
		case KindOpenAI:
			if p.OpenAI.BaseURL == "" {
				at(path, "base_url is required for kind openai")
			} else if !strings.HasPrefix(p.OpenAI.BaseURL, "http://") && !strings.HasPrefix(p.OpenAI.BaseURL, "https://") {
				at(path+".base_url", "%q must start with http:// or https://", p.OpenAI.BaseURL)
			}
			if p.OpenAI.Model == "" {
				at(path, "model is required for kind openai")
			}
		default:
			if p.Mock.Name == "" {
				p.Mock.Name = name
				s.Providers[name] = p
			}
			if err := p.Mock.Check(path, dir); err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					if m := mockLine.FindStringSubmatch(line); m != nil {
						n, _ := strconv.Atoi(m[1])
						errs.add(n, "", "%s", m[2])
					} else {
						field, msg, _ := strings.Cut(line, ": ")
						at(field, "%s", msg)
					}
				}
			}
		}
	}
	s.checkWorkload(at, dir)
	s.checkPipeline(at)
	s.checkVariants(at)
	for i := range s.Thresholds {
		th := &s.Thresholds[i]
		path := fmt.Sprintf("thresholds[%d]", i)
		c, err := parseCheck(th.Expr)
		if err != nil {
			errs.add(th.Line, path, "%v", err)
			continue
		}
		th.check = c
		for fam := range th.Variant {
			if !slices.Contains(s.variedFamilies(), fam) {
				errs.add(th.Line, path+".variant", "%q is not a varied family (varied: %s)", fam, strings.Join(s.variedFamilies(), ", "))
			}
		}
	}
}

func (s *Scenario) checkWorkload(at func(string, string, ...any), dir string) {
	w := &s.Workload
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
	switch w.Arrival {
	case "constant", "poisson":
		if w.Rate <= 0 {
			at("workload.rate", "%s arrival needs rate > 0 (requests per second)", w.Arrival)
		}
	case "ramp":
		if len(w.Stages) == 0 {
			at("workload.stages", "ramp arrival needs stages, e.g. [{duration: 10s, rate: 500}]")
		}
		for i, st := range w.Stages {
			if st.Duration <= 0 {
				at(fmt.Sprintf("workload.stages[%d]", i), "duration must be positive")
			}
			if st.Rate < 0 {
				at(fmt.Sprintf("workload.stages[%d]", i), "rate must not be negative")
			}
		}
		if w.Duration != 0 || w.Requests != 0 {
			at("workload.duration", "a ramp lasts as long as its stages; leave duration and requests out")
		}
	case "burst":
		if w.Burst == nil || w.Burst.Size <= 0 || w.Burst.Every <= 0 {
			at("workload.burst", "burst arrival needs burst: {size: N, every: D}")
		}
	}
	if !open {
		if len(w.Stages) > 0 || w.Burst != nil {
			at("workload", "stages and burst belong to an open loop; a closed loop has concurrency (and optionally a rate)")
		}
		if w.Rate < 0 {
			at("workload.rate", "must not be negative")
		}
		if w.ThinkTime != nil {
			if _, err := w.ThinkTime.Build(mockprovider.Duration, "workload.think_time", dir); err != nil {
				at("workload.think_time", "%v", err)
			}
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
	if w.MaxInFlight < 0 {
		at("workload.max_in_flight", "must not be negative")
	}
	if _, err := w.Prompt.Tokens.Build(mockprovider.Count, "workload.prompt.tokens", dir); err != nil {
		at("workload.prompt.tokens", "%v", err)
	}
	if _, err := w.Prompt.Turns.Build(mockprovider.Count, "workload.prompt.turns", dir); err != nil {
		at("workload.prompt.turns", "%v", err)
	}
	if w.Prompt.Multimodal < 0 || w.Prompt.Multimodal > 1 {
		at("workload.prompt.multimodal", "is a share in [0, 1] (got %g)", w.Prompt.Multimodal)
	}
}

func (s *Scenario) checkPipeline(at func(string, string, ...any)) {
	p := &s.Pipeline
	known := func(path, name string) {
		if _, ok := s.Providers[name]; !ok {
			at(path, "no provider named %q (providers: %s)", name, strings.Join(s.providerNames(), ", "))
		}
	}
	switch {
	case p.Fanout != nil && p.Provider != "":
		at("pipeline.provider", "with fanout, name the providers in fanout.providers instead")
	case p.Fanout != nil:
		if len(p.Fanout.Providers) < 2 {
			at("pipeline.fanout.providers", "fan-out needs at least two providers")
		}
		for i, name := range p.Fanout.Providers {
			known(fmt.Sprintf("pipeline.fanout.providers[%d]", i), name)
		}
		if err := p.Fanout.Config.Validate(len(p.Fanout.Providers)); err != nil {
			at("pipeline.fanout", "%s", strings.TrimPrefix(err.Error(), "fanout: "))
		}
		if p.Stream != nil {
			at("pipeline.stream", "streams are not fanned out (a vote over partial tokens means nothing); use fanout or stream, not both")
		}
	case p.Provider == "":
		at("pipeline.provider", "name the provider to call (providers: %s)", strings.Join(s.providerNames(), ", "))
	default:
		known("pipeline.provider", p.Provider)
	}
	impl := func(path, name string, names []string) {
		if !slices.Contains(names, name) {
			at(path, "unknown variant %q (known: %s)", name, strings.Join(names, ", "))
		}
	}
	if m := p.Messages; m != nil {
		impl("pipeline.messages.impl", m.Impl, messages.Registry.Names())
		if m.Conversations < 1 {
			at("pipeline.messages.conversations", "must be at least 1")
		}
	}
	if c := p.Cache; c != nil {
		impl("pipeline.cache.impl", c.Impl, cache.Registry.Names())
		if c.Keys < 1 || c.Keys > 1_000_000 {
			at("pipeline.cache.keys", "must be between 1 and 1000000 (got %d)", c.Keys)
		}
		if c.Skew < 0 {
			at("pipeline.cache.skew", "must not be negative (0 is uniform; 1.1 a typical Zipf skew)")
		}
	}
	if f := p.Fanout; f != nil {
		impl("pipeline.fanout.impl", f.Impl, fanout.Registry.Names())
	}
	if st := p.Stream; st != nil {
		impl("pipeline.stream.impl", st.Impl, stream.Pools.Names())
		impl("pipeline.stream.sender", st.Sender, stream.Senders.Names())
	}
	if v := p.Validate; v != nil {
		impl("pipeline.validate.impl", v.Impl, validate.Registry.Names())
		if _, err := validate.New(v.Impl, validate.Options{Regex: v.Regex, Pool: v.Pool}); err != nil {
			at("pipeline.validate", "%v", err)
		}
		if v.Schema != "small" && v.Schema != "large" {
			at("pipeline.validate.schema", "unknown schema %q (small, large)", v.Schema)
		}
	}
	if wp := p.WorkerPool; wp != nil {
		impl("pipeline.workerpool.impl", wp.Impl, workerpool.Registry.Names())
		if wp.Limit < 1 {
			at("pipeline.workerpool.limit", "must be at least 1")
		}
		if wp.Timeout < 0 {
			at("pipeline.workerpool.timeout", "must not be negative")
		}
	}
}

func (s *Scenario) providerNames() []string {
	names := make([]string, 0, len(s.Providers))
	for n := range s.Providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// familyNames lists the variants of a family, and whether the pipeline has
// the stage the family varies.
func (s *Scenario) familyNames(family string) ([]string, bool) {
	p := s.Pipeline
	switch family {
	case "messages":
		return messages.Registry.Names(), p.Messages != nil
	case "cache":
		return cache.Registry.Names(), p.Cache != nil
	case "workerpool":
		return workerpool.Registry.Names(), p.WorkerPool != nil
	case "fanout":
		return fanout.Registry.Names(), p.Fanout != nil
	case "stream":
		return stream.Pools.Names(), p.Stream != nil
	case "sender":
		return stream.Senders.Names(), p.Stream != nil
	case "validate":
		return validate.Registry.Names(), p.Validate != nil
	}
	return nil, false
}

func (s *Scenario) checkVariants(at func(string, string, ...any)) {
	checkOne := func(path, family, name string) {
		names, staged := s.familyNames(family)
		if family == "workerpool" {
			impl, _, err := splitPoolVariant(name)
			if err != nil {
				at(path, "%v", err)
				return
			}
			name = impl
		}
		switch {
		case names == nil:
			at(path, "unknown family %q (families: %s)", family, strings.Join(Families, ", "))
		case !staged:
			at(path, "the pipeline has no %s stage to vary", stageOf(family))
		case !slices.Contains(names, name):
			at(path, "unknown %s variant %q (known: %s)", family, name, strings.Join(names, ", "))
		}
	}
	for fam, names := range s.Variants.Matrix {
		if len(names) == 0 {
			at("variants."+fam, "an empty list of variants")
		}
		for _, n := range names {
			checkOne("variants."+fam, fam, n)
		}
	}
	for i, combo := range s.Variants.List {
		for fam, n := range combo {
			checkOne(fmt.Sprintf("variants[%d].%s", i, fam), fam, n)
		}
	}
}

func stageOf(family string) string {
	if family == "sender" {
		return "stream"
	}
	return family
}

// Variant is one combination of variant names; Params holds the varied
// families only, and Name prints them as key=value parts.
type Variant struct {
	Name   string
	Params map[string]string
}

// variedFamilies lists the families the variants vary, in Families order.
func (s *Scenario) variedFamilies() []string {
	seen := map[string]bool{}
	for f := range s.Variants.Matrix {
		seen[f] = true
	}
	for _, c := range s.Variants.List {
		for f := range c {
			seen[f] = true
		}
	}
	var out []string
	for _, f := range Families {
		if seen[f] {
			out = append(out, f)
		}
	}
	return out
}

// Expand lists the variants to run: the cartesian product of the matrix
// (in Families order, names in the order written), or the list; a single
// "default" variant when nothing varies.
func (s *Scenario) Expand() []Variant {
	fams := s.variedFamilies()
	var combos []map[string]string
	if len(s.Variants.List) > 0 {
		combos = s.Variants.List
	} else if len(fams) > 0 {
		combos = []map[string]string{{}}
		for _, f := range fams {
			var next []map[string]string
			for _, c := range combos {
				for _, n := range s.Variants.Matrix[f] {
					m := make(map[string]string, len(c)+1)
					for k, v := range c {
						m[k] = v
					}
					m[f] = n
					next = append(next, m)
				}
			}
			combos = next
		}
	}
	if len(combos) == 0 {
		return []Variant{{Name: "default", Params: map[string]string{}}}
	}
	out := make([]Variant, len(combos))
	for i, c := range combos {
		var parts []string
		for _, f := range fams {
			if n, ok := c[f]; ok {
				parts = append(parts, f+"="+n)
			}
		}
		out[i] = Variant{Name: strings.Join(parts, "/"), Params: c}
	}
	return out
}

// splitPoolVariant reads a workerpool variant, "impl" or "impl:limit".
func splitPoolVariant(v string) (impl string, limit int, err error) {
	impl, l, ok := strings.Cut(v, ":")
	if !ok {
		return impl, 0, nil
	}
	limit, err = strconv.Atoi(l)
	if err != nil || limit < 1 {
		return "", 0, fmt.Errorf("workerpool variant %q: the limit after the colon must be a positive number", v)
	}
	return impl, limit, nil
}

// Override forces a family to one variant (the --variant flag).
func (s *Scenario) Override(family, name string) error {
	names, staged := s.familyNames(family)
	check := name
	if family == "workerpool" {
		impl, _, err := splitPoolVariant(name)
		if err != nil {
			return fmt.Errorf("--variant %s=%s: %v", family, name, err)
		}
		check = impl
	}
	switch {
	case names == nil:
		return fmt.Errorf("--variant %s=%s: unknown family %q (families: %s)", family, name, family, strings.Join(Families, ", "))
	case !staged:
		return fmt.Errorf("--variant %s=%s: the scenario's pipeline has no %s stage", family, name, stageOf(family))
	case !slices.Contains(names, check):
		return fmt.Errorf("--variant %s=%s: unknown variant (known: %s)", family, name, strings.Join(names, ", "))
	}
	if len(s.Variants.List) > 0 {
		var kept []map[string]string
		for _, c := range s.Variants.List {
			if v, ok := c[family]; !ok || v == name {
				c[family] = name
				kept = append(kept, c)
			}
		}
		if len(kept) == 0 {
			return fmt.Errorf("--variant %s=%s: no combination of the scenario's variants list has it", family, name)
		}
		s.Variants.List = kept
		return nil
	}
	if s.Variants.Matrix == nil {
		s.Variants.Matrix = map[string][]string{}
	}
	s.Variants.Matrix[family] = []string{name}
	return nil
}

// SetDuration replaces the measured duration (the --duration flag).
func (s *Scenario) SetDuration(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("--duration %s: must be positive", d)
	}
	if s.Workload.Arrival == "ramp" {
		return fmt.Errorf("--duration: a ramp lasts as long as its stages")
	}
	s.Workload.Duration, s.Workload.Requests = d, 0
	return nil
}

// SetRate replaces the rate (the --rate flag).
func (s *Scenario) SetRate(r float64) error {
	switch {
	case r <= 0:
		return fmt.Errorf("--rate %g: must be positive", r)
	case s.Workload.Arrival == "ramp" || s.Workload.Arrival == "burst":
		return fmt.Errorf("--rate: a %s arrival has no single rate", s.Workload.Arrival)
	}
	s.Workload.Rate = r
	return nil
}
