package validate

import (
	"container/list"
	"regexp"
	"sync"
	"sync/atomic"

	"github.com/llmbench/llmbench/core/registry"
)

// RegexCache compiles patterns, reusing earlier compilations where it can.
type RegexCache interface {
	Compile(pattern string) (*regexp.Regexp, error)
	// Len is the number of patterns held.
	Len() int
	// Compiles counts calls to regexp.Compile, duplicates included.
	Compiles() int64
}

// DefaultRegexLimit bounds the bounded cache when no limit is given.
const DefaultRegexLimit = 1024

// RegexCaches holds the regex cache variants by name.
var RegexCaches = registry.New[func(limit int) RegexCache]("regex cache")

func init() {
	RegexCaches.Register("seed", "global sync.Map, Load then Compile then Store (unbounded, duplicate compiles)", func(int) RegexCache { return seedRegex{} })
	RegexCaches.Register("loadorstore", "sync.Map of once-compiled entries: one compile per pattern", func(int) RegexCache { return &onceRegex{} })
	RegexCaches.Register("bounded", "LRU of once-compiled entries, at most limit patterns", func(limit int) RegexCache { return newBoundedRegex(limit) })
	RegexCaches.Register("none", "compile on every use", func(int) RegexCache { return &noRegexCache{} })
}

// seedRegexCache is the original's package-level RegexCache
// (pkg/schema/validation/validator.go: var RegexCache = sync.Map{}, used by
// validateString as Load, then Compile, then Store): shared by every
// validator of the process and never trimmed.
var (
	seedRegexCache    sync.Map
	seedRegexCompiles atomic.Int64
)

// testHookCompile runs before every regexp.Compile of every cache, so that
// a test can hold two callers at the point where a pattern is compiled.
var testHookCompile func()

// compile counts and compiles; every cache compiles through it.
func compile(pattern string, compiles *atomic.Int64) (*regexp.Regexp, error) {
	if testHookCompile != nil {
		testHookCompile()
	}
	compiles.Add(1)
	return regexp.Compile(pattern)
}

type seedRegex struct{}

func (seedRegex) Compile(pattern string) (*regexp.Regexp, error) {
	if re, ok := seedRegexCache.Load(pattern); ok {
		return re.(*regexp.Regexp), nil
	}
	// Defect: between this Load and the Store below every concurrent caller
	// that missed compiles the same pattern again.
	re, err := compile(pattern, &seedRegexCompiles)
	if err != nil {
		return nil, err
	}
	seedRegexCache.Store(pattern, re)
	return re, nil
}

func (seedRegex) Len() int {
	n := 0
	seedRegexCache.Range(func(_, _ any) bool { n++; return true })
	return n
}

func (seedRegex) Compiles() int64 { return seedRegexCompiles.Load() }

// lazyRegex compiles its pattern once, whoever asks first.
type lazyRegex struct {
	once    sync.Once
	re      *regexp.Regexp
	err     error
	pattern string
}

func (l *lazyRegex) get(compiles *atomic.Int64) (*regexp.Regexp, error) {
	l.once.Do(func() { l.re, l.err = compile(l.pattern, compiles) })
	return l.re, l.err
}

type onceRegex struct {
	m        sync.Map // pattern → *lazyRegex
	compiles atomic.Int64
}

func (c *onceRegex) Compile(pattern string) (*regexp.Regexp, error) {
	x, ok := c.m.Load(pattern)
	if !ok {
		x, _ = c.m.LoadOrStore(pattern, &lazyRegex{pattern: pattern})
	}
	return x.(*lazyRegex).get(&c.compiles)
}

func (c *onceRegex) Len() int {
	n := 0
	c.m.Range(func(_, _ any) bool { n++; return true })
	return n
}

func (c *onceRegex) Compiles() int64 { return c.compiles.Load() }

// boundedRegex is an LRU of lazy entries. Compiles happen outside the lock;
// the lock only guards the list and map, so a slow pattern never blocks
// lookups of others.
type boundedRegex struct {
	mu       sync.Mutex
	limit    int
	order    *list.List // front = most recently used; values are *lazyRegex
	index    map[string]*list.Element
	compiles atomic.Int64
}

func newBoundedRegex(limit int) *boundedRegex {
	if limit <= 0 {
		limit = DefaultRegexLimit
	}
	return &boundedRegex{limit: limit, order: list.New(), index: map[string]*list.Element{}}
}

func (c *boundedRegex) Compile(pattern string) (*regexp.Regexp, error) {
	c.mu.Lock()
	el, ok := c.index[pattern]
	if ok {
		c.order.MoveToFront(el)
	} else {
		el = c.order.PushFront(&lazyRegex{pattern: pattern})
		c.index[pattern] = el
		if c.order.Len() > c.limit {
			old := c.order.Back()
			c.order.Remove(old)
			delete(c.index, old.Value.(*lazyRegex).pattern)
		}
	}
	lazy := el.Value.(*lazyRegex)
	c.mu.Unlock()
	return lazy.get(&c.compiles)
}

func (c *boundedRegex) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

func (c *boundedRegex) Compiles() int64 { return c.compiles.Load() }

type noRegexCache struct{ compiles atomic.Int64 }

func (c *noRegexCache) Compile(pattern string) (*regexp.Regexp, error) {
	return compile(pattern, &c.compiles)
}

func (c *noRegexCache) Len() int        { return 0 }
func (c *noRegexCache) Compiles() int64 { return c.compiles.Load() }
