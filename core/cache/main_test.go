package cache

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"

	"github.com/llmbench/llmbench/core/domain"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func conv(s string) []domain.Message {
	return []domain.Message{domain.NewTextMessage(domain.RoleUser, s)}
}

func resp(s string) domain.Response { return domain.Response{Content: s} }

func keyN(i int) Key { return KeyOf(conv(fmt.Sprint("q", i)), nil) }

func forEachVariant(t *testing.T, fn func(t *testing.T, variant string)) {
	for _, v := range Registry.Names() {
		t.Run("impl="+v, func(t *testing.T) { fn(t, v) })
	}
}

func mustNew(t *testing.T, variant string, cfg Config) Cache {
	t.Helper()
	c, err := New(variant, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
