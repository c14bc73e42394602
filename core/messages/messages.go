// Package messages is the thread-safe conversation history of Go-LLMs'
// MessageManager: add messages, read them back as deep copies, and keep the
// history inside a message-count and a token budget, optionally never
// dropping system messages.
//
// Variants (Registry):
//   - seed:  the original's code paths and defects: token truncation only when
//     over the message count (and then the count limit is ignored), a token
//     loop that keeps about (total − budget) tokens, O(n²) prepends,
//     newest-first output from GetMessagesForModel, whose cut of an
//     oversized message keeps its images (and so breaks the limit), a
//     recursive RLock when the limit is <= 0 (deadlocks behind a waiting
//     writer), a token memo that is never pruned and whose keys let a text
//     and an image share an estimate. The memo is written under the read
//     lock on a miss, but no public call sequence misses (every stored
//     message's key is memoised when it is added): that race is latent.
//   - fixed: both budgets enforced on every add, chronological order, amortised
//     O(1) append and drop, token counts stored with each message (memory bounded
//     by the history), no lock taken twice.
package messages

import (
	"strings"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/registry"
)

// Manager is the MessageManager API every variant implements.
type Manager interface {
	AddMessage(domain.Message)
	AddMessages([]domain.Message)
	// GetMessages returns deep copies of the whole history.
	GetMessages() []domain.Message
	// GetMessagesForModel returns system messages plus the most recent others
	// that fit in tokenLimit; tokenLimit <= 0 means everything.
	GetMessagesForModel(tokenLimit int) []domain.Message
	// SetSystemPrompt replaces every system message with one, placed first.
	SetSystemPrompt(prompt string)
	Reset()
	GetTokenCount() int
	GetMessageCount() int
}

// Config holds the budgets. Zero values take the original's defaults.
type Config struct {
	MaxMessages           int  `yaml:"max_messages" json:"max_messages"`
	MaxTokens             int  `yaml:"max_tokens" json:"max_tokens"`
	UseTokenTruncation    bool `yaml:"use_token_truncation" json:"use_token_truncation"`
	KeepAllSystemMessages bool `yaml:"keep_system" json:"keep_system"`
}

// Defaults of the original library.
const (
	DefaultMaxMessages = 100
	DefaultMaxTokens   = 16000
)

func (c Config) withDefaults() Config {
	if c.MaxMessages <= 0 {
		c.MaxMessages = DefaultMaxMessages
	}
	if c.MaxTokens <= 0 {
		c.MaxTokens = DefaultMaxTokens
	}
	return c
}

// Registry holds the variants by name.
var Registry = registry.New[func(Config) Manager]("messages")

func init() {
	Registry.Register("seed", "Go-LLMs MessageManager, defects kept", func(c Config) Manager { return newSeed(c) })
	Registry.Register("fixed", "budgets enforced, chronological, O(1) append, bounded memory", func(c Config) Manager { return newFixed(c) })
}

// New builds the named variant.
func New(variant string, cfg Config) (Manager, error) {
	ctor, err := Registry.Get(variant)
	if err != nil {
		return nil, err
	}
	return ctor(cfg), nil
}

// Token costs of the original's estimate (estimateTokens and
// estimateTokensFromContentParts).
const (
	textOverhead = 5    // added to every text part's len/4
	partOverhead = 10   // per part, when a message has more than one
	imageTokens  = 1000 // an image part
	mediaTokens  = 500  // a file, audio or video part
)

// EstimateTokens is the original's heuristic, without its memo: a text part
// costs len/4 + 5, an image 1000, a file, audio or video part 500, and a
// message of several parts 10 more per part. An empty message costs 0.
func EstimateTokens(parts []domain.ContentPart) int {
	n := 0
	for _, p := range parts {
		n += partTokens(p)
	}
	if len(parts) > 1 {
		n += partOverhead * len(parts)
	}
	return n
}

func partTokens(p domain.ContentPart) int {
	switch p.Type {
	case domain.ContentText:
		return len(p.Text)/4 + textOverhead
	case domain.ContentImage:
		return imageTokens
	case domain.ContentFile, domain.ContentAudio, domain.ContentVideo:
		return mediaTokens
	}
	return 0
}

// truncateToTokens is the corrected variant's cut: the message's text, cut
// at a space near the end where there is one and marked with "...", so that
// its estimate fits in limit. Non-text parts are dropped: they cannot be
// cut, and an image alone costs 1000 tokens, which would break the limit
// the cut is for (the seed keeps them and does break it).
func truncateToTokens(msg domain.Message, limit int) domain.Message {
	keep := (limit - textOverhead) * 4
	if keep < 0 {
		keep = 0
	}
	text := msg.Text()
	if len(text) > keep {
		if keep > 20 {
			if i := strings.LastIndexByte(text[keep-19:keep], ' '); i >= 0 {
				keep = keep - 19 + i
			}
		}
		text = text[:keep] + "..."
	}
	return domain.NewTextMessage(msg.Role, text)
}
