package cache

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/core/domain"
)

// The ablation entry points must run the seed's own paths: the key its Set
// stores under, the upgrade that counts a use, and nothing more without it.
func TestSeedReadyKeysRunTheSeedsPaths(t *testing.T) {
	msgs, opts := conv("hello"), []domain.Option{domain.WithTemperature(0.2)}
	s := NewSeedReadyKeys(Config{Capacity: 10})
	s.c.Set(msgs, opts, resp("hi"), "test")
	k := SeedKey(msgs, opts)
	require.Equal(t, int64(1), s.Usage(k), "SeedKey must be the key the seed's Set stores under")

	r, ok := s.GetNoUpgrade(k)
	require.True(t, ok)
	require.Equal(t, "hi", r.Content)
	require.Equal(t, int64(1), s.Usage(k), "GetNoUpgrade must not write back a usage count")

	r, ok = s.Get(k)
	require.True(t, ok)
	require.Equal(t, "hi", r.Content)
	require.Equal(t, int64(2), s.Usage(k), "Get must run the seed's upgrade and write-back")

	s.Set(k, resp("again"), "test")
	got, ok := s.c.Get(msgs, opts)
	require.True(t, ok)
	require.Equal(t, "again", got.Content, "Set by string key must reach the entry Get by messages finds")
	_, ok = s.GetNoUpgrade("absent")
	require.False(t, ok)
}
