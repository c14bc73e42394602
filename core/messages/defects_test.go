package messages

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/internal/testkit"
)

// Each TestSeedDefect test measures the defect on every variant: the seed
// shows it, the corrected variants do not.

func TestSeedDefectMessagesTokenBudgetIgnoredUnderCount(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		m := mustNew(t, v, Config{MaxMessages: 100, MaxTokens: 50, UseTokenTruncation: true})
		m.AddMessages(userMsgs(10, 20)) // 200 tokens, 10 messages
		over := m.GetTokenCount() - 50
		t.Logf("tokens over budget: %d", max(over, 0))
		if v == "seed" {
			assert.Equal(t, 150, over, "seed never looks at tokens while under the message count")
		} else {
			assert.LessOrEqual(t, over, 0)
		}
	})
}

func TestSeedDefectMessagesTokenLoopKeepsExcess(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		m := mustNew(t, v, Config{MaxMessages: 10, MaxTokens: 100, UseTokenTruncation: true})
		m.AddMessages(userMsgs(11, 25)) // 275 tokens: over both budgets
		kept := m.GetTokenCount()
		t.Logf("tokens kept: %d (budget 100)", kept)
		if v == "seed" {
			// It keeps newest messages while the running total is over
			// budget: 7 × 25 = 175, about total − budget.
			assert.Equal(t, 175, kept)
		} else {
			assert.Equal(t, 100, kept)
		}
	})
}

func TestSeedDefectMessagesModelViewNewestFirst(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		m := mustNew(t, v, Config{})
		for _, s := range []string{"u1", "a1", "u2"} {
			m.AddMessage(text(domain.RoleUser, s))
		}
		got := texts(m.GetMessagesForModel(1000))
		if v == "seed" {
			assert.Equal(t, []string{"u2", "a1", "u1"}, got)
		} else {
			assert.Equal(t, []string{"u1", "a1", "u2"}, got)
		}
	})
}

func TestSeedDefectMessagesSystemMovedLast(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		m := mustNew(t, v, Config{MaxMessages: 3, KeepAllSystemMessages: true})
		m.AddMessage(text(domain.RoleSystem, "sys"))
		for _, s := range []string{"u1", "u2", "u3"} {
			m.AddMessage(text(domain.RoleUser, s))
		}
		got := texts(m.GetMessages())
		if v == "seed" {
			// Count truncation prepends the kept messages in front of the
			// system messages it collected first.
			assert.Equal(t, []string{"u2", "u3", "sys"}, got)
		} else {
			assert.Equal(t, []string{"sys", "u2", "u3"}, got)
		}
	})
}

func TestSeedDefectMessagesRecursiveRLockDeadlock(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		res := testkit.RunHelper(t, "nested-rlock:"+v, 2*time.Second)
		returned := strings.Contains(res.Output, "returned")
		if v == "seed" {
			assert.False(t, returned, "the seed must deadlock with a writer parked between its read locks")
			assert.True(t, res.TimedOut || strings.Contains(res.Output, "deadlock"), res.Output)
		} else {
			assert.True(t, returned, res.Output)
		}
	})
}

func TestSeedDefectMessagesMemoWrittenUnderReadLock(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		res := testkit.RunHelper(t, "memo-race:"+v, 60*time.Second)
		// A race-enabled child reports the race; a plain one usually dies
		// of "concurrent map writes".
		raced := strings.Contains(res.Output, "DATA RACE") || strings.Contains(res.Output, "concurrent map")
		if v == "seed" {
			assert.True(t, raced, "no race seen; output:\n%s", res.Output)
		} else {
			assert.False(t, raced, res.Output)
			assert.Equal(t, 0, res.ExitCode, res.Output)
		}
	})
}

func TestSeedDefectMessagesMemoNeverPruned(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		const n, size = 20000, 1024
		before := liveHeap()
		m := mustNew(t, v, Config{MaxMessages: 10})
		for i := range n {
			body := strings.Repeat("y", size-8) + strings.Repeat("0", 8-len(itoa(i))) + itoa(i)
			m.AddMessage(text(domain.RoleUser, body))
		}
		retained := int64(liveHeap()) - int64(before)
		runtime.KeepAlive(m)
		t.Logf("heap retained by a 10-message history after %d messages: %d KiB", n, retained/1024)
		assert.Equal(t, 10, m.GetMessageCount())
		if v == "seed" {
			assert.Greater(t, retained, int64(n*size/2), "the memo keeps every message ever seen")
			assert.Equal(t, n, m.(*seedManager).memoSize())
		} else {
			assert.Less(t, retained, int64(n*size/10))
		}
	})
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func itoa(i int) string {
	var b [20]byte
	p := len(b)
	for {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[p:])
		}
	}
}
