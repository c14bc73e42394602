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

// Each TestSeedDefect test runs on every variant from one table: the seed
// shows the defect, the corrected variant does not. testkit.Want fails the
// test for a variant the table does not mention.

func TestSeedDefectMessagesTokenBudgetIgnoredUnderCount(t *testing.T) {
	overBudget := map[string]int{"seed": 150, "fixed": 0}
	forEachVariant(t, func(t *testing.T, v string) {
		m := mustNew(t, v, Config{MaxMessages: 100, MaxTokens: 50, UseTokenTruncation: true})
		m.AddMessages(userMsgs(10, 20)) // 200 tokens, 10 messages
		over := max(m.GetTokenCount()-50, 0)
		t.Logf("tokens over budget: %d", over)
		assert.Equal(t, testkit.Want(t, v, overBudget), over, "the seed never looks at tokens while under the message count")
	})
}

func TestSeedDefectMessagesCountLimitIgnoredInTokenMode(t *testing.T) {
	kept := map[string]int{"seed": 100, "fixed": 10}
	forEachVariant(t, func(t *testing.T, v string) {
		m := mustNew(t, v, Config{MaxMessages: 10, UseTokenTruncation: true}) // 16000-token budget
		m.AddMessages(userMsgs(100, 10))                                      // 1000 tokens
		t.Logf("messages kept with MaxMessages 10: %d", m.GetMessageCount())
		assert.Equal(t, testkit.Want(t, v, kept), m.GetMessageCount(), "under the token budget the seed ignores the count")
	})
}

func TestSeedDefectMessagesTokenLoopKeepsExcess(t *testing.T) {
	// The seed keeps newest messages while the running total is over
	// budget: 7 × 25 = 175 of 275, about total − budget.
	kept := map[string]int{"seed": 175, "fixed": 100}
	forEachVariant(t, func(t *testing.T, v string) {
		m := mustNew(t, v, Config{MaxMessages: 10, MaxTokens: 100, UseTokenTruncation: true})
		m.AddMessages(userMsgs(11, 25)) // 275 tokens: over both budgets
		t.Logf("tokens kept: %d (budget 100)", m.GetTokenCount())
		assert.Equal(t, testkit.Want(t, v, kept), m.GetTokenCount())
	})
}

func TestSeedDefectMessagesModelViewNewestFirst(t *testing.T) {
	order := map[string][]string{"seed": {"u2", "a1", "u1"}, "fixed": {"u1", "a1", "u2"}}
	forEachVariant(t, func(t *testing.T, v string) {
		m := mustNew(t, v, Config{})
		for _, s := range []string{"u1", "a1", "u2"} {
			m.AddMessage(text(domain.RoleUser, s))
		}
		assert.Equal(t, testkit.Want(t, v, order), texts(m.GetMessagesForModel(1000)))
	})
}

func TestSeedDefectMessagesModelViewOverLimitWithMedia(t *testing.T) {
	// A message with a long text and an image, viewed with room for 200
	// tokens: the seed cuts the text and keeps the image, 1000 tokens alone.
	fits := map[string]bool{"seed": false, "fixed": true}
	forEachVariant(t, func(t *testing.T, v string) {
		m := mustNew(t, v, Config{})
		m.AddMessage(domain.Message{Role: domain.RoleUser, Content: []domain.ContentPart{
			{Type: domain.ContentText, Text: strings.Repeat("word ", 200)},
			{Type: domain.ContentImage, Image: &domain.ImageContent{Source: domain.SourceInfo{Type: domain.SourceURL, URL: "https://x/cat.png"}}},
		}})
		view := m.GetMessagesForModel(200)
		total := 0
		for _, msg := range view {
			total += EstimateTokens(msg.Content)
		}
		t.Logf("tokens in a view limited to 200: %d", total)
		assert.Equal(t, testkit.Want(t, v, fits), total <= 200)
	})
}

func TestSeedDefectMessagesSystemMovedLast(t *testing.T) {
	// Count truncation prepends the kept messages in front of the system
	// messages it collected first.
	order := map[string][]string{"seed": {"u2", "u3", "sys"}, "fixed": {"sys", "u2", "u3"}}
	forEachVariant(t, func(t *testing.T, v string) {
		m := mustNew(t, v, Config{MaxMessages: 3, KeepAllSystemMessages: true})
		m.AddMessage(text(domain.RoleSystem, "sys"))
		for _, s := range []string{"u1", "u2", "u3"} {
			m.AddMessage(text(domain.RoleUser, s))
		}
		assert.Equal(t, testkit.Want(t, v, order), texts(m.GetMessages()))
	})
}

func TestSeedDefectMessagesRecursiveRLockDeadlock(t *testing.T) {
	outcome := map[string]testkit.Outcome{"seed": testkit.Deadlocked, "fixed": testkit.Finished}
	forEachVariant(t, func(t *testing.T, v string) {
		res := testkit.RunHelper(t, "nested-rlock:"+v, 3*time.Second)
		want := testkit.Want(t, v, outcome)
		assert.Equal(t, want, res.Outcome(), "%s", res)
		if want == testkit.Deadlocked && res.TimedOut {
			assert.True(t, res.ParkedIn("sync.RWMutex.RLock"), "the inner RLock waits behind the writer: %s", res)
		}
	})
}

func TestSeedDefectMessagesMemoKeyCollides(t *testing.T) {
	// The seed keys a one-part text by its text and an image by
	// "image:"+URL: the text "image:https://x" and an image of https://x
	// share a memo entry, so the image is counted as 8 tokens, not 1000.
	imageTokens := map[string]int{"seed": 8, "fixed": 1000}
	forEachVariant(t, func(t *testing.T, v string) {
		m := mustNew(t, v, Config{})
		m.AddMessage(text(domain.RoleUser, "image:https://x"))
		before := m.GetTokenCount()
		m.AddMessage(domain.Message{Role: domain.RoleUser, Content: []domain.ContentPart{
			{Type: domain.ContentImage, Image: &domain.ImageContent{Source: domain.SourceInfo{Type: domain.SourceURL, URL: "https://x"}}},
		}})
		t.Logf("tokens counted for an image: %d", m.GetTokenCount()-before)
		assert.Equal(t, testkit.Want(t, v, imageTokens), m.GetTokenCount()-before)
	})
}

func TestSeedDefectMessagesMemoNeverPruned(t *testing.T) {
	type want struct {
		retainsAll bool
	}
	table := map[string]want{"seed": {retainsAll: true}, "fixed": {retainsAll: false}}
	forEachVariant(t, func(t *testing.T, v string) {
		w := testkit.Want(t, v, table)
		const n, size = 20000, 1024
		before := testkit.LiveHeap()
		m := mustNew(t, v, Config{MaxMessages: 10})
		for i := range n {
			body := strings.Repeat("y", size-8) + strings.Repeat("0", 8-len(itoa(i))) + itoa(i)
			m.AddMessage(text(domain.RoleUser, body))
		}
		retained := int64(testkit.LiveHeap()) - int64(before)
		runtime.KeepAlive(m)
		t.Logf("heap retained by a 10-message history after %d messages: %d KiB", n, retained/1024)
		assert.Equal(t, 10, m.GetMessageCount())
		if w.retainsAll {
			assert.Greater(t, retained, int64(n*size/2), "the memo keeps every message ever seen")
		} else {
			assert.Less(t, retained, int64(n*size/10))
		}
	})
}

// TestSeedLatentMessagesMemoWriteUnderReadLock: the original's estimate
// writes its memo on a miss, and GetMessagesForModel and GetTokenCount
// estimate under the read lock. The write is latent: every stored message's
// key is memoised when it is added, and the cut copy is never estimated, so
// no public call sequence misses under the read lock. The seed keeps it
// latent, and this test holds it there: on every variant, the workload that
// raced when the cut copy was memoised runs clean under the race detector,
// and read-locked calls leave the memo unchanged.
func TestSeedLatentMessagesMemoWriteUnderReadLock(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v string) {
		res := testkit.RunHelper(t, "memo-readers:"+v, 60*time.Second)
		assert.Equal(t, testkit.Finished, res.Outcome(), "%s", res)
		if v != "seed" {
			return
		}
		m := newSeed(Config{MaxMessages: 5, UseTokenTruncation: true, MaxTokens: 200})
		m.SetSystemPrompt("be brief")
		m.AddMessages(userMsgs(8, 40))
		m.AddMessage(domain.Message{Role: domain.RoleUser, Content: []domain.ContentPart{
			{Type: domain.ContentText, Text: strings.Repeat("long ", 100)},
			{Type: domain.ContentFile, File: &domain.FileContent{FileName: "f"}},
		}})
		assert.Zero(t, m.memoMissing(), "every stored message's key is memoised")
		size := m.memoSize()
		for limit := 0; limit < 2000; limit += 7 {
			m.GetMessagesForModel(limit)
		}
		m.GetTokenCount()
		assert.Equal(t, size, m.memoSize(), "read-locked calls wrote the memo")
	})
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
