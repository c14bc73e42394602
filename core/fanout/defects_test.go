package fanout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/internal/testkit"
)

// Each TestSeedDefect test runs on the seed, the corrected variant and the
// document's fan-in from one table; a row says why where one does not apply.

const docConsensusOnly = "the document shows a consensus fan-in only"

func TestSeedDefectFanoutFastestWaitsForAll(t *testing.T) {
	type row struct{ waits, na string }
	table := map[string]row{"seed": {waits: "yes"}, "fixed": {waits: "no"}, "document": {na: docConsensusOnly}}
	withDocument(t, func(t *testing.T, v string) {
		w := testkit.Want(t, v, table)
		if w.na != "" {
			t.Skip(w.na)
		}
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			slowSawCancel := make(chan bool, 1)
			slow := fake(func(ctx context.Context) (string, error) {
				select {
				case <-ctx.Done():
					slowSawCancel <- true
					return "", ctx.Err()
				case <-release:
					slowSawCancel <- false
					return "slow", nil
				}
			})
			m := build(t, v, providers(answer("fast"), slow), Config{Strategy: Fastest})
			got := make(chan string, 1)
			go func() {
				s, _ := m.Generate(context.Background(), "q")
				got <- s
			}()
			synctest.Wait() // everything that can happen without the slow provider has
			select {
			case s := <-got:
				assert.Equal(t, "no", w.waits, "answered with the fast provider alone")
				assert.Equal(t, "fast", s)
				synctest.Wait()
				assert.True(t, <-slowSawCancel, "the losing call is cancelled")
			default:
				assert.Equal(t, "yes", w.waits, "still waiting for the slow provider")
				close(release)
				assert.Equal(t, "fast", <-got)
				assert.False(t, <-slowSawCancel, "the slow call was never cancelled")
			}
		})
	})
}

func TestSeedDefectFanoutDocumentDropsAnswersOnDone(t *testing.T) {
	// One provider answers at once, the other hangs until the caller's 1-s
	// deadline. The document's collector returns ctx.Err() the moment the
	// context ends, dropping the answer it has. (The original does not: it
	// waits for every provider, then decides on the answers there are.)
	table := map[string]string{"seed": "42", "fixed": "42", "document": "deadline"}
	withDocument(t, func(t *testing.T, v string) {
		synctest.Test(t, func(t *testing.T) {
			hang := fake(func(ctx context.Context) (string, error) { <-ctx.Done(); return "", ctx.Err() })
			m := build(t, v, providers(answer("42"), hang), Config{Strategy: Consensus})
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			got, err := m.Generate(ctx, "q")
			outcome := got
			if errors.Is(err, context.DeadlineExceeded) {
				outcome = "deadline"
			}
			assert.Equal(t, testkit.Want(t, v, table), outcome, "answer or error: %q, %v", got, err)
		})
	})
}

func TestSeedDefectFanoutAllFailedLosesErrors(t *testing.T) {
	// Every provider fails with errBoom. The document's collector skips
	// failures in silence and returns an empty answer with no error; the
	// original prints the errors into its own (or, for consensus, drops
	// them) without wrapping them, so errors.Is cannot find a rate limit.
	table := map[string]string{"seed": "unwrapped", "fixed": "wrapped", "document": "no error"}
	withDocument(t, func(t *testing.T, v string) {
		for _, strategy := range []Strategy{Fastest, Consensus, Primary} {
			t.Run("strategy="+string(strategy), func(t *testing.T) {
				m := build(t, v, providers(failing(errBoom), failing(errBoom)), Config{Strategy: strategy})
				_, err := m.Generate(context.Background(), "q")
				outcome := "unwrapped"
				switch {
				case err == nil:
					outcome = "no error"
				case errors.Is(err, errBoom):
					outcome = "wrapped"
				}
				assert.Equal(t, testkit.Want(t, v, table), outcome, "%v", err)
			})
		}
	})
}

func TestSeedDefectFanoutStreamFailureAsText(t *testing.T) {
	// Every provider fails to open a stream: the original returns a stream
	// and no error, whose only token reads "[ERROR: All providers failed]".
	type row struct{ outcome, na string }
	table := map[string]row{"seed": {outcome: "text"}, "fixed": {outcome: "error"}, "document": {na: "the document has no streaming fan-out"}}
	withDocument(t, func(t *testing.T, v string) {
		w := testkit.Want(t, v, table)
		if w.na != "" {
			t.Skip(w.na)
		}
		m := build(t, v, providers(failing(errBoom), failing(errBoom)), Config{})
		stream, err := m.Stream(context.Background(), "q")
		outcome := "error"
		if err == nil {
			outcome = "text"
			var text strings.Builder
			testkit.Within(t, testkit.Bound, "reading the stream", func() {
				for tok := range stream {
					text.WriteString(tok.Text)
				}
			})
			t.Logf("the caller read: %q", text.String())
		}
		assert.Equal(t, w.outcome, outcome)
	})
}

// ticker streams n tokens, one every interval, until its context ends.
type ticker struct {
	fake
	n        int
	interval time.Duration
}

func (p ticker) Stream(ctx context.Context, _ string, _ ...domain.Option) (domain.ResponseStream, error) {
	ch := make(chan domain.Token)
	go func() {
		defer close(ch)
		for i := range p.n {
			select {
			case <-time.After(p.interval):
			case <-ctx.Done():
				return
			}
			select {
			case ch <- domain.Token{Text: fmt.Sprint(i), Finished: i == p.n-1}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

func TestSeedDefectFanoutStreamCutAtDefaultTimeout(t *testing.T) {
	// A 60-s stream (6 tokens, 10 s apart) through a caller context without
	// a deadline: the original's 30-s default timeout ends it half-way,
	// with no error and no Finished token.
	complete := map[string]bool{"seed": false, "fixed": true, "document": true}
	withDocument(t, func(t *testing.T, v string) {
		synctest.Test(t, func(t *testing.T) {
			m := build(t, v, []domain.Provider{ticker{fake: answer("x"), n: 6, interval: 10 * time.Second}}, Config{})
			stream, err := m.Stream(context.Background(), "q")
			require.NoError(t, err)
			var got []domain.Token
			for tok := range stream {
				got = append(got, tok)
			}
			finished := len(got) > 0 && got[len(got)-1].Finished
			t.Logf("tokens received: %d of 6, finished: %v", len(got), finished)
			assert.Equal(t, testkit.Want(t, v, complete), len(got) == 6 && finished)
		})
	})
}

func TestSeedDefectFanoutTieByMapOrder(t *testing.T) {
	// Two providers, two answers, equal weight: over 200 calls the
	// original answers both ways (map iteration order).
	type row struct {
		winners int
		na      string
	}
	table := map[string]row{"seed": {winners: 2}, "fixed": {winners: 1}, "document": {na: "findConsensus is left open by the document"}}
	withDocument(t, func(t *testing.T, v string) {
		w := testkit.Want(t, v, table)
		if w.na != "" {
			t.Skip(w.na)
		}
		for _, method := range []Method{Majority, Weighted} {
			t.Run("method="+string(method), func(t *testing.T) {
				m := build(t, v, providers(answer("alpha"), answer("beta")), Config{Strategy: Consensus, Method: method, Weights: []float64{1, 1}})
				seen := map[string]int{}
				for range 200 {
					got, err := m.Generate(context.Background(), "q")
					require.NoError(t, err)
					seen[got]++
				}
				t.Logf("winners of a 1-1 tie over 200 calls: %v", seen)
				assert.Len(t, seen, w.winners)
			})
		}
	})
}

func TestSeedDefectFanoutGlobalConsensusConfig(t *testing.T) {
	// A's consensus is a majority vote; B's is weighted. B's call runs while
	// A's answers are in and not yet decided on. The original keeps the
	// settings in one process-wide variable that every call writes, so A
	// decides with B's method: its heavy third provider wins.
	type row struct{ answer, na string }
	table := map[string]row{"seed": {answer: "green pear"}, "fixed": {answer: "red apple"}, "document": {na: "the document's consensus has no settings"}}
	withDocument(t, func(t *testing.T, v string) {
		w := testkit.Want(t, v, table)
		if w.na != "" {
			t.Skip(w.na)
		}
		resetSeedGlobals()
		synctest.Test(t, func(t *testing.T) {
			// The pear arrives first, so that every answer is in before a
			// majority can be called (the corrected variant calls it early).
			a := build(t, v, providers(after(3*time.Millisecond, "red apple"), after(2*time.Millisecond, "red apple"),
				after(time.Millisecond, "green pear")), Config{Strategy: Consensus, Method: Majority, Weights: []float64{1, 1, 5}})
			b := build(t, v, providers(answer("x"), answer("y")), Config{Strategy: Consensus, Method: Weighted, Weights: []float64{1, 2}})
			var ran atomic.Bool
			testHookBeforeConsensus = func() {
				if ran.CompareAndSwap(false, true) { // B's own call passes here too
					_, err := b.Generate(context.Background(), "q")
					assert.NoError(t, err)
				}
			}
			defer func() { testHookBeforeConsensus = nil }()
			got, err := a.Generate(context.Background(), "q")
			require.NoError(t, err)
			assert.Equal(t, w.answer, got)
		})
	})
}

func TestSeedDefectFanoutSimilarityStaleGroups(t *testing.T) {
	// The first call sees "red fox jumps" three times. The second sees
	// "cats nap" first, then "red fox jumps" twice. The original's group
	// cache numbers groups for the process, not the call: the second call
	// finds "red fox jumps" in group 0 of the cache and puts it into its
	// own group 0, the one "cats nap" opened, and answers with the shortest
	// member of that mixed group.
	type row struct{ answer, na string }
	table := map[string]row{"seed": {answer: "cats nap"}, "fixed": {answer: "red fox jumps"}, "document": {na: docConsensusOnly}}
	withDocument(t, func(t *testing.T, v string) {
		w := testkit.Want(t, v, table)
		if w.na != "" {
			t.Skip(w.na)
		}
		resetSeedGlobals()
		cfg := Config{Strategy: Consensus, Method: Similarity}
		synctest.Test(t, func(t *testing.T) {
			first := build(t, v, providers(answer("red fox jumps"), answer("red fox jumps"), answer("red fox jumps")), cfg)
			_, err := first.Generate(context.Background(), "q")
			require.NoError(t, err)
			second := build(t, v, providers(after(1*time.Millisecond, "cats nap"),
				after(2*time.Millisecond, "red fox jumps"), after(3*time.Millisecond, "red fox jumps")), cfg)
			got, err := second.Generate(context.Background(), "q")
			require.NoError(t, err)
			assert.Equal(t, w.answer, got)
		})
	})
}

func TestSeedDefectFanoutGroupCacheKeyCollides(t *testing.T) {
	// The original keys answers by their first 64 characters and length:
	// "approve…" and "reject…" share both, so the second joins the first's
	// group unseen, and the group answers with its first member although
	// two of its three said "reject".
	pad := strings.Repeat("a ", 32) // 64 characters of a word too short to count
	approve, reject := pad+"approve grant allow accept!", pad+"reject denied refuse block!"
	require.Equal(t, len(approve), len(reject))
	other := "something else entirely here"
	type row struct{ answer, na string }
	table := map[string]row{"seed": {answer: approve}, "fixed": {answer: reject}, "document": {na: docConsensusOnly}}
	withDocument(t, func(t *testing.T, v string) {
		w := testkit.Want(t, v, table)
		if w.na != "" {
			t.Skip(w.na)
		}
		resetSeedGlobals()
		synctest.Test(t, func(t *testing.T) {
			m := build(t, v, providers(after(1*time.Millisecond, approve), after(2*time.Millisecond, reject),
				after(3*time.Millisecond, reject), after(4*time.Millisecond, other), after(5*time.Millisecond, other)),
				Config{Strategy: Consensus, Method: Similarity})
			got, err := m.Generate(context.Background(), "q")
			require.NoError(t, err)
			assert.Equal(t, w.answer, got)
		})
	})
}

func TestSeedDefectFanoutGroupCacheGrows(t *testing.T) {
	// 2000 similarity consensus calls, each with three new 1-KB answers:
	// the original's process-wide group cache keeps every answer.
	grows := map[string]bool{"seed": true, "fixed": false, "document": false}
	withDocument(t, func(t *testing.T, v string) {
		resetSeedGlobals()
		defer resetSeedGlobals()
		const calls = 2000
		long := strings.Repeat("word ", 200)
		before := testkit.LiveHeap()
		for i := range calls {
			m := build(t, v, providers(answer(fmt.Sprint(i, "a ", long)), answer(fmt.Sprint(i, "b ", long)), answer(fmt.Sprint(i, "c ", long))),
				Config{Strategy: Consensus, Method: Similarity})
			_, err := m.Generate(context.Background(), "q")
			require.NoError(t, err)
		}
		retained := int64(testkit.LiveHeap()) - int64(before)
		t.Logf("heap retained after %d calls: %d KiB", calls, retained/1024)
		assert.Equal(t, testkit.Want(t, v, grows), retained > 3<<20, "retains more than 3 MiB")
	})
}

func TestSeedDefectFanoutWeightedIgnoresThreshold(t *testing.T) {
	// Weighted consensus with a strict threshold (0.95). Two answers that
	// differ in one word (similarity 0.75) should count apart; the original
	// merges them at its own 0.65 whatever is configured, and their summed
	// weight beats the heaviest single answer.
	x, a1, a2 := "no idea at all really", "the quick brown fox jumps over dogs", "the quick brown fox leaps over dogs"
	type row struct{ answer, na string }
	table := map[string]row{"seed": {answer: a1}, "fixed": {answer: x}, "document": {na: "the document's consensus has no weights"}}
	withDocument(t, func(t *testing.T, v string) {
		w := testkit.Want(t, v, table)
		if w.na != "" {
			t.Skip(w.na)
		}
		resetSeedGlobals()
		m := build(t, v, providers(answer(x), answer(a1), answer(a2)),
			Config{Strategy: Consensus, Method: Weighted, SimilarityThreshold: 0.95, Weights: []float64{1.6, 1.1, 1.0}})
		got, err := m.Generate(context.Background(), "q")
		require.NoError(t, err)
		assert.Equal(t, w.answer, got)
	})
}

func TestSeedDefectFanoutConsensusMessageAlwaysFails(t *testing.T) {
	// The original's GenerateMessage results carry a response and no
	// content; its consensus keeps only results with content, so consensus
	// over messages fails every time, even when all providers agree.
	works := map[string]bool{"seed": false, "fixed": true, "document": true}
	withDocument(t, func(t *testing.T, v string) {
		m := build(t, v, providers(answer("yes"), answer("yes"), answer("yes")), Config{Strategy: Consensus})
		r, err := m.GenerateMessage(context.Background(), []domain.Message{domain.NewTextMessage(domain.RoleUser, "q")})
		t.Logf("answer %q, error %v", r.Content, err)
		assert.Equal(t, testkit.Want(t, v, works), err == nil && r.Content == "yes")
	})
}

var _ domain.Provider = fake(nil)
