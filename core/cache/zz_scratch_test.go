package cache

import (
	"fmt"
	"testing"

	"github.com/llmbench/llmbench/core/domain"
)

func BenchmarkScratchKeyOf(b *testing.B) {
	for _, h := range []int{1, 16} {
		var msgs []domain.Message
		for j := range h {
			msgs = append(msgs, domain.NewTextMessage(domain.RoleUser, fmt.Sprintf("turn %d of conversation %d, with some words in it", j, 3)))
		}
		opts := []domain.Option{domain.WithTemperature(0.2)}
		b.Run(fmt.Sprint("history=", h), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				KeyOf(msgs, opts)
			}
		})
	}
}
