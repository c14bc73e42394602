package messages

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/internal/testkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestHelperProcess runs, in a child process, what the parent cannot survive.
func TestHelperProcess(t *testing.T) {
	name := testkit.HelperName()
	if name == "" {
		return
	}
	kind, variant, _ := strings.Cut(name, ":")
	m, err := New(variant, Config{MaxMessages: 1000, MaxTokens: 1 << 20})
	if err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	switch kind {
	case "nested-rlock":
		m.AddMessage(domain.NewTextMessage(domain.RoleUser, "hello"))
		// For the seed, park a writer between the two read locks; the
		// corrected variant takes one read lock and never calls the hook,
		// so the same writers only wait their turn.
		testHookNestedRLock = func() {
			go m.AddMessage(domain.NewTextMessage(domain.RoleUser, "writer"))
			testkit.WaitParkedOrExit("sync.RWMutex.Lock")
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			for range 1000 {
				m.AddMessage(domain.NewTextMessage(domain.RoleUser, "w"))
			}
		})
		for range 1000 {
			m.GetMessagesForModel(0)
		}
		wg.Wait()
		testkit.Returned()
	case "memo-readers":
		// The workload that, with the truncated copy memoised under the read
		// lock, raced: concurrent model views that cut an oversized message.
		m.AddMessage(domain.NewTextMessage(domain.RoleUser, strings.Repeat("lorem ipsum ", 2000)))
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for limit := 40 + g; limit < 4000; limit += 4 {
					m.GetMessagesForModel(limit)
				}
			})
		}
		wg.Wait()
		testkit.Returned()
	}
	os.Exit(3)
}

func text(role domain.Role, s string) domain.Message { return domain.NewTextMessage(role, s) }

// userMsgs returns n user messages of exactly tokens tokens each.
func userMsgs(n, tokens int) []domain.Message {
	out := make([]domain.Message, n)
	for i := range out {
		body := fmt.Sprintf("m%04d", i)
		body += strings.Repeat("x", (tokens-textOverhead)*4-len(body))
		out[i] = text(domain.RoleUser, body)
	}
	return out
}

func texts(msgs []domain.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text()
	}
	return out
}

func forEachVariant(t *testing.T, fn func(t *testing.T, variant string)) {
	for _, v := range Registry.Names() {
		t.Run("impl="+v, func(t *testing.T) { fn(t, v) })
	}
}

func mustNew(t *testing.T, variant string, cfg Config) Manager {
	t.Helper()
	m, err := New(variant, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
