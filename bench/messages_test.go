package bench

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/messages"
)

// historyTurns are the turns a history is made of: 256 texts of one length,
// so that every turn is estimated at turnTokens tokens.
func historyTurns() []domain.Message {
	turns := make([]domain.Message, 256)
	for i := range turns {
		turns[i] = domain.NewTextMessage(domain.RoleUser, fmt.Sprintf("turn %03d: %s", i, strings.Repeat("words ", 20)))
	}
	return turns
}

var turnTokens = messages.EstimateTokens(historyTurns()[0].Content)

// historyConfig is the configuration under which variant impl holds a
// history of `history` messages (a system prompt and history−1 turns)
// and truncates on every add.
//
// The seed truncates only above the message count, and its token loop then
// keeps about total − budget tokens (TestSeedDefectMessagesTokenLoopKeeps-
// Excess): with a budget of one turn, history+1 messages are above the
// count and over the budget, and the loop prepends history−1 turns back,
// every add. With a budget of history × 40 tokens (the corrected
// variant's), the seed's history would instead grow to about 1080 messages
// before it truncates, then fall to a few and grow again.
func historyConfig(impl string, history int) messages.Config {
	cfg := messages.Config{MaxMessages: history, MaxTokens: history * 40, UseTokenTruncation: true, KeepAllSystemMessages: true}
	if impl == "seed" {
		cfg.MaxTokens = turnTokens
	}
	return cfg
}

// newHistory builds a manager holding its stated history: a system prompt
// and history−1 turns.
func newHistory(b *testing.B, impl string, cfg messages.Config, turns []domain.Message) messages.Manager {
	m, err := messages.New(impl, cfg)
	if err != nil {
		b.Fatal(err)
	}
	m.SetSystemPrompt("You are a helpful assistant.")
	for i := range cfg.MaxMessages - 1 {
		m.AddMessage(turns[i%len(turns)])
	}
	return m
}

// historySampler reports the mean history length, read every 16th op
// (GetMessageCount takes the read lock; sampled, it costs under 2 % of the
// cheapest op measured).
type historySampler struct{ sum, n atomic.Int64 }

func (h *historySampler) maybe(m messages.Manager, i int) {
	if i%16 == 0 {
		h.sum.Add(int64(m.GetMessageCount()))
		h.n.Add(1)
	}
}

func (h *historySampler) report(b *testing.B) {
	if n := h.n.Load(); n > 0 {
		b.ReportMetric(float64(h.sum.Load())/float64(n), "history-len")
	}
}

// BenchmarkMessages: a history held at `history` messages (system prompt
// kept, token truncation on, see historyConfig), so that every add
// truncates. op=add adds a turn; op=model reads the view for a 4k-token
// model. mode=parallel runs the op from every goroutine on one shared
// history. history-len is the mean length of the history, sampled while
// timed: it is the stated size for every variant. history=10000 is run
// for serial adds only, where the seed's O(n²) prepends are the subject.
func BenchmarkMessages(b *testing.B) {
	turns := historyTurns()
	for _, impl := range messages.Registry.Names() {
		for _, history := range []int{100, 1000, 10000} {
			for _, op := range []string{"add", "model"} {
				for _, mode := range []string{"serial", "parallel"} {
					if history > 1000 && (op != "add" || mode != "serial") {
						continue
					}
					b.Run(fmt.Sprintf("impl=%s/history=%d/op=%s/mode=%s", impl, history, op, mode), func(b *testing.B) {
						if history > 1000 && raceEnabled {
							b.Skip("under the race detector one seed add of 10 000 messages takes minutes")
						}
						m := newHistory(b, impl, historyConfig(impl, history), turns)
						// One seed add of 10 000 messages takes seconds: b.N
						// is 1 at any benchtime, and a warm-up would double
						// the suite's longest benchmark for nothing.
						benchHistory(b, m, op, mode, turns, impl != "seed" || history <= 1000)
					})
				}
			}
		}
	}
}

// benchHistory runs op on m, serially or from every goroutine, after a
// warm-up (see warmHistory).
func benchHistory(b *testing.B, m messages.Manager, op, mode string, turns []domain.Message, warm bool) {
	if warm {
		warmHistory(m, op, turns)
	}
	var h historySampler
	do := func(i int) {
		if op == "add" {
			m.AddMessage(turns[i%len(turns)])
		} else {
			m.GetMessagesForModel(4096)
		}
		h.maybe(m, i)
	}
	b.ReportAllocs()
	b.ResetTimer() // building and warming the history is setup
	if mode == "serial" {
		i := 0
		for b.Loop() {
			do(i)
			i++
		}
	} else {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				do(i)
				i++
			}
		})
	}
	b.StopTimer()
	h.report(b)
}

// warmHistory runs op before the timer for one cycle of the history (as
// many adds as it holds) or 20 ms, whichever ends first. A history reaches
// its steady state after a cycle: the corrected variant's queue has grown
// to the capacity its compaction keeps, the seed's re-sliced history has
// been reallocated once, and the heap has grown to what the seed's
// prepends need. A short run would otherwise measure that first cycle.
func warmHistory(m messages.Manager, op string, turns []domain.Message) {
	start := time.Now()
	for i := range m.GetMessageCount() {
		if op == "add" {
			m.AddMessage(turns[i%len(turns)])
		} else {
			m.GetMessagesForModel(4096)
		}
		if time.Since(start) > 20*time.Millisecond {
			return
		}
	}
}

// BenchmarkMessagesSeedSteps separates what a seed add costs, on histories
// held at `history` messages, serially (BenchmarkMessages's history=10000
// shows the growth; one add takes seconds there):
//   - path=append-drop: count truncation without keeping system messages
//     (the original re-slices off the oldest: O(1));
//   - path=prepend: count truncation keeping system messages (the
//     original rebuilds the history by prepending each kept message to a
//     new slice: O(n²) copying, no token counting);
//   - path=recount-prepend: token truncation (BenchmarkMessages's seed):
//     every message's tokens re-counted, then the same prepend loop, which
//     looks each kept message's estimate up again.
//
// prepend − append-drop is the prepends' cost; recount-prepend − prepend
// the token counting's.
func BenchmarkMessagesSeedSteps(b *testing.B) {
	turns := historyTurns()
	for _, path := range []string{"append-drop", "prepend", "recount-prepend"} {
		for _, history := range []int{100, 1000} {
			b.Run(fmt.Sprintf("impl=seed/path=%s/history=%d", path, history), func(b *testing.B) {
				cfg := historyConfig("seed", history)
				if path != "recount-prepend" {
					cfg.UseTokenTruncation = false
					cfg.KeepAllSystemMessages = path == "prepend"
				}
				benchHistory(b, newHistory(b, "seed", cfg, turns), "add", "serial", turns, true)
			})
		}
	}
}

var userMsg = []domain.Message{domain.NewTextMessage(domain.RoleUser, "q")}
