package validate

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/internal/testkit"
)

// Each TestSeedDefect test runs on every variant of the part it concerns
// (algorithms, regex caches or pools) from one table; testkit.Want fails
// for a variant the table does not mention.

func TestSeedDefectValidateWritesCallerSchema(t *testing.T) {
	writes := map[string]bool{"seed": true, "fixed": false}
	for _, algo := range Registry.Names() {
		t.Run("impl="+algo, func(t *testing.T) {
			v := mustNew(t, algo, Options{})
			schema := nestedSchema()
			res, err := v.Validate(schema, validNested)
			require.NoError(t, err)
			require.True(t, res.Valid, res.Errors)
			_, written := schema.Properties["address"].Properties[""]
			assert.Equal(t, testkit.Want(t, algo, writes), written, `constraints stored in the caller's nested map under ""`)
			if !written {
				assert.Equal(t, nestedSchema(), schema, "the schema is unchanged")
			}
		})
	}
}

func TestSeedDefectValidateSharedSchemaRace(t *testing.T) {
	// Four goroutines validate with one schema: the race detector reports
	// the seed's writes, and without it the runtime's "concurrent map
	// writes" ends the child.
	outcome := map[string]testkit.Outcome{"seed": testkit.Raced, "fixed": testkit.Finished}
	for _, algo := range Registry.Names() {
		t.Run("impl="+algo, func(t *testing.T) {
			res := testkit.RunHelper(t, "shared-schema:"+algo, 8*time.Second)
			assert.Equal(t, testkit.Want(t, algo, outcome), res.Outcome(), "%s", res)
		})
	}
}

func TestSeedDefectValidateDuplicateCompiles(t *testing.T) {
	// Two callers ask for one new pattern at once. The compile hook holds
	// the first at regexp.Compile until the second gets there too (the
	// seed: both missed the Load) or is parked on the first's sync.Once
	// (the corrected caches), so the interleaving is forced, not hoped for.
	compiles := map[string]int64{
		"seed":        2,
		"loadorstore": 1,
		"bounded":     1,
		"none":        2, // not a cache: compiling on every use is what it is for
	}
	for _, name := range RegexCaches.Names() {
		t.Run("impl="+name, func(t *testing.T) {
			resetSeedRegex()
			testHookCompile = testkit.Rendezvous(2, "sync.Mutex.Lock")
			defer func() { testHookCompile = nil }()
			ctor, _ := RegexCaches.Get(name)
			c := ctor(100)
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					_, err := c.Compile(`^dup-[0-9]+$`)
					assert.NoError(t, err)
				})
			}
			wg.Wait()
			assert.Equal(t, testkit.Want(t, name, compiles), c.Compiles(), "compiles of one pattern by two callers")
		})
	}
}

func TestSeedDefectValidateRegexCacheGlobal(t *testing.T) {
	shared := map[string]bool{"seed": true, "loadorstore": false, "bounded": false, "none": false}
	for _, name := range RegexCaches.Names() {
		t.Run("impl="+name, func(t *testing.T) {
			resetSeedRegex()
			ctor, _ := RegexCaches.Get(name)
			_, err := ctor(100).Compile(`^global$`)
			require.NoError(t, err)
			assert.Equal(t, testkit.Want(t, name, shared), ctor(100).Len() > 0, "a new validator's cache already holds another validator's pattern")
		})
	}
}

func TestSeedDefectValidateRegexCacheUnbounded(t *testing.T) {
	const patterns, limit = 3000, 100
	type row struct {
		held int
		why  string // set where the bound does not apply
	}
	table := map[string]row{
		"seed":        {held: patterns},
		"bounded":     {held: limit},
		"loadorstore": {why: "per validator, holding the patterns of the schemas it validates: unbounded by design, and freed with the validator"},
		"none":        {held: 0},
	}
	for _, name := range RegexCaches.Names() {
		t.Run("impl="+name, func(t *testing.T) {
			w := testkit.Want(t, name, table)
			if w.why != "" {
				t.Skip(w.why)
			}
			resetSeedRegex()
			ctor, _ := RegexCaches.Get(name)
			c := ctor(limit)
			for i := range patterns {
				_, err := c.Compile(fmt.Sprintf("^q%d$", i))
				require.NoError(t, err)
			}
			t.Logf("patterns held after %d distinct: %d", patterns, c.Len())
			assert.Equal(t, w.held, c.Len())
		})
	}
}

func TestSeedDefectValidateResultPoolNeverRefilled(t *testing.T) {
	const calls = 400
	type row struct {
		allocs    int64 // exactly, when fewThan is 0
		fewerThan int64
	}
	table := map[string]row{
		"seed":     {allocs: calls},        // nothing is ever put back
		"pooled":   {fewerThan: calls / 2}, // sync.Pool may drop items (at random under -race)
		"unpooled": {allocs: calls},        // no pool: one result per call is what it means
	}
	for _, pool := range Pools {
		t.Run("pool="+pool, func(t *testing.T) {
			w := testkit.Want(t, pool, table)
			v := mustNew(t, "fixed", Options{Pool: pool})
			schema := &domain.Schema{Type: "object"}
			for range calls {
				res, err := v.Validate(schema, `{}`)
				require.NoError(t, err)
				v.Release(res) // a well-behaved caller
			}
			allocs := v.Stats().ResultAllocs
			t.Logf("results allocated for %d validations: %d", calls, allocs)
			if w.fewerThan > 0 {
				assert.Less(t, allocs, w.fewerThan)
			} else {
				assert.Equal(t, w.allocs, allocs)
			}
		})
	}
}
