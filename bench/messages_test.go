package bench

import (
	"fmt"
	"strings"
	"testing"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/messages"
)

// BenchmarkMessages: a history kept at `history` messages, with token
// truncation and system messages kept, so every add truncates. op=add adds
// a turn; op=model reads the view for a 4k-token model. mode=parallel runs
// the op from every goroutine on one shared history.
func BenchmarkMessages(b *testing.B) {
	turns := make([]domain.Message, 256)
	for i := range turns {
		turns[i] = domain.NewTextMessage(domain.RoleUser, fmt.Sprintf("turn %d: %s", i, strings.Repeat("words ", 20)))
	}
	for _, impl := range messages.Registry.Names() {
		for _, history := range []int{100, 1000} {
			for _, op := range []string{"add", "model"} {
				for _, mode := range []string{"serial", "parallel"} {
					b.Run(fmt.Sprintf("impl=%s/history=%d/op=%s/mode=%s", impl, history, op, mode), func(b *testing.B) {
						m, _ := messages.New(impl, messages.Config{MaxMessages: history, MaxTokens: history * 40,
							UseTokenTruncation: true, KeepAllSystemMessages: true})
						m.SetSystemPrompt("You are a helpful assistant.")
						for i := range history {
							m.AddMessage(turns[i%len(turns)])
						}
						do := func(i int) {
							if op == "add" {
								m.AddMessage(turns[i%len(turns)])
							} else {
								m.GetMessagesForModel(4096)
							}
						}
						b.ReportAllocs()
						if mode == "serial" {
							i := 0
							for b.Loop() {
								do(i)
								i++
							}
							return
						}
						b.RunParallel(func(pb *testing.PB) {
							i := 0
							for pb.Next() {
								do(i)
								i++
							}
						})
					})
				}
			}
		}
	}
}

var userMsg = []domain.Message{domain.NewTextMessage(domain.RoleUser, "q")}
