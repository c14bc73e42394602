package bench

import (
	"encoding/binary"
	"fmt"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/maypok86/otter/v2"

	"github.com/llmbench/llmbench/core/cache"
	"github.com/llmbench/llmbench/core/domain"
)

// The peer caches hold what a core cache's entry holds, the response and
// its source, and are configured like the core caches: at most `capacity`
// entries, each expiring cache.DefaultTTL after its Set. The map peers
// (sync.Map, xsync) have neither bound nor TTL.

// peerValue is what a peer cache stores per key.
type peerValue struct {
	resp   domain.Response
	source string
}

var peerAnswer = peerValue{answer, "bench"}

// closer is a kv whose goroutines must be stopped when it is dropped.
type closer interface{ close() }

// settler is a kv whose writes land asynchronously: settle makes every key
// written so far readable, or says why it cannot.
type settler interface{ settle() error }

func newOtter(capacity int) *otter.Cache[cache.Key, peerValue] {
	return otter.Must(&otter.Options[cache.Key, peerValue]{
		MaximumSize:      capacity,
		ExpiryCalculator: otter.ExpiryWriting[cache.Key, peerValue](cache.DefaultTTL),
	})
}

type otterKV struct {
	c    *otter.Cache[cache.Key, peerValue]
	keys []cache.Key
}

func (a otterKV) get(i int) bool { _, ok := a.c.GetIfPresent(a.keys[i]); return ok }
func (a otterKV) set(i int)      { a.c.Set(a.keys[i], peerAnswer) }
func (a otterKV) close()         { a.c.StopAllGoroutines() }

// ristretto admits by cost: each entry costs 1 and MaxCost is the capacity
// (IgnoreInternalCost, or its per-entry overhead would count against it).
// NumCounters at 10 × capacity is its documentation's advice. Its keys are
// strings, and it hashes them itself unless told how: KeyToHash takes the
// first two words of the SHA-256 key, as the lockfree variant does, so that
// it pays for no hashing the core caches do not.
func newRistretto(capacity int, metrics bool) *ristretto.Cache[string, peerValue] {
	c, err := ristretto.NewCache(&ristretto.Config[string, peerValue]{
		NumCounters:        int64(10 * capacity),
		MaxCost:            int64(capacity),
		BufferItems:        64,
		IgnoreInternalCost: true,
		Metrics:            metrics,
		KeyToHash: func(k string) (uint64, uint64) {
			return binary.LittleEndian.Uint64([]byte(k[:8])), binary.LittleEndian.Uint64([]byte(k[8:16]))
		},
	})
	if err != nil {
		panic(err) // the configuration above is constant
	}
	return c
}

func stringKeys(keys []cache.Key) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = string(k[:])
	}
	return out
}

type ristrettoKV struct {
	c    *ristretto.Cache[string, peerValue]
	keys []string
}

func (a ristrettoKV) get(i int) bool { _, ok := a.c.Get(a.keys[i]); return ok }
func (a ristrettoKV) set(i int)      { a.c.SetWithTTL(a.keys[i], peerAnswer, 1, cache.DefaultTTL) }
func (a ristrettoKV) close()         { a.c.Close() }

// settle waits for ristretto's buffered Sets, then sets again any key that
// is still missing (a Set is dropped when its buffer is full), a few times.
func (a ristrettoKV) settle() error {
	for range 10 {
		a.c.Wait()
		missing := 0
		for i := range a.keys {
			if !a.get(i) {
				missing++
				a.set(i)
			}
		}
		if missing == 0 {
			return nil
		}
	}
	return fmt.Errorf("ristretto: keys still missing after 10 rounds of Set and Wait (%d keys)", len(a.keys))
}

func peerCacheImpls() []cacheImpl {
	return []cacheImpl{
		{"peer-otter", func(capacity int, keys []cache.Key) kv { return otterKV{newOtter(capacity), keys} }},
		{"peer-ristretto", func(capacity int, keys []cache.Key) kv {
			return ristrettoKV{newRistretto(capacity, false), stringKeys(keys)}
		}},
	}
}

// closeKV stops m's goroutines, if it has any.
func closeKV(m kv) {
	if c, ok := m.(closer); ok {
		c.close()
	}
}
