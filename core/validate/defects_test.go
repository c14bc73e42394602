package validate

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/internal/testkit"
)

func TestSeedDefectValidateWritesCallerSchema(t *testing.T) {
	for _, algo := range Registry.Names() {
		t.Run("impl="+algo, func(t *testing.T) {
			v := mustNew(t, algo, Options{})
			schema := nestedSchema()
			res, err := v.Validate(schema, validNested)
			require.NoError(t, err)
			require.True(t, res.Valid, res.Errors)
			_, written := schema.Properties["address"].Properties[""]
			if algo == "seed" {
				assert.True(t, written, `the seed stores constraints in the caller's nested map under ""`)
			} else {
				assert.Equal(t, nestedSchema(), schema, "the schema is unchanged")
			}
		})
	}
}

func TestSeedDefectValidateSharedSchemaRace(t *testing.T) {
	for _, algo := range Registry.Names() {
		t.Run("impl="+algo, func(t *testing.T) {
			res := testkit.RunHelper(t, "shared-schema:"+algo, 60*time.Second)
			raced := strings.Contains(res.Output, "DATA RACE") || strings.Contains(res.Output, "concurrent map")
			if algo == "seed" {
				assert.True(t, raced, "no race seen; output:\n%s", res.Output)
			} else {
				assert.False(t, raced, res.Output)
				assert.Contains(t, res.Output, "returned")
			}
		})
	}
}

func TestSeedDefectValidateDuplicateCompiles(t *testing.T) {
	const pattern = `^dup-[0-9]+$`
	t.Run("impl=seed", func(t *testing.T) {
		resetSeedRegex()
		// Both callers miss the Load before either Stores.
		testHookSeedCompile = testkit.NewBarrier(2).Await
		defer func() { testHookSeedCompile = nil }()
		c := seedRegex{}
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				_, err := c.Compile(pattern)
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		assert.Equal(t, int64(2), c.Compiles(), "one pattern compiled twice")
	})
	for _, name := range []string{"loadorstore", "bounded"} {
		t.Run("impl="+name, func(t *testing.T) {
			ctor, _ := RegexCaches.Get(name)
			c := ctor(1000)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					<-start
					for i := range 100 {
						_, err := c.Compile(fmt.Sprintf("^p%d$", i))
						assert.NoError(t, err)
					}
				})
			}
			close(start)
			wg.Wait()
			assert.Equal(t, int64(100), c.Compiles(), "exactly one compile per pattern")
		})
	}
}

func TestSeedDefectValidateRegexCacheUnboundedAndGlobal(t *testing.T) {
	const patterns = 3000
	for _, name := range RegexCaches.Names() {
		t.Run("impl="+name, func(t *testing.T) {
			resetSeedRegex()
			ctor, _ := RegexCaches.Get(name)
			c := ctor(100)
			for i := range patterns {
				_, err := c.Compile(fmt.Sprintf("^q%d$", i))
				require.NoError(t, err)
			}
			t.Logf("patterns held after %d distinct: %d", patterns, c.Len())
			switch name {
			case "seed":
				assert.Equal(t, patterns, c.Len())
				assert.Equal(t, patterns, ctor(100).Len(), "a new validator shares the process-wide cache")
			case "bounded":
				assert.Equal(t, 100, c.Len())
			}
		})
	}
}

func TestSeedDefectValidateResultPoolNeverRefilled(t *testing.T) {
	const calls = 400
	for _, pool := range Pools {
		t.Run("pool="+pool, func(t *testing.T) {
			v := mustNew(t, "fixed", Options{Pool: pool})
			schema := &domain.Schema{Type: "object"}
			for range calls {
				res, err := v.Validate(schema, `{}`)
				require.NoError(t, err)
				v.Release(res) // a well-behaved caller
			}
			allocs := v.Stats().ResultAllocs
			t.Logf("results allocated for %d validations: %d", calls, allocs)
			switch pool {
			case "seed":
				assert.Equal(t, int64(calls), allocs, "nothing is ever put back")
			case "pooled":
				// sync.Pool may drop items (and does at random under -race).
				assert.Less(t, allocs, int64(calls/2))
			}
		})
	}
}
