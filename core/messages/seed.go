package messages

import (
	"strings"
	"sync"
	"time"

	"github.com/llmbench/llmbench/core/domain"
)

// seedManager keeps the original's algorithms, including their defects; the
// comments name each one.
type seedManager struct {
	cfg        Config
	mu         sync.RWMutex
	messages   []domain.Message
	timestamps []time.Time
	// tokenCounts memoises estimates by content. Defect: readers write it
	// under the read lock, and nothing ever removes an entry.
	tokenCounts map[string]int
}

// testHookNestedRLock runs between the two read locks of
// GetMessagesForModel(<=0), so a test can park a writer there.
var testHookNestedRLock func()

func newSeed(cfg Config) *seedManager {
	cfg = cfg.withDefaults()
	return &seedManager{
		cfg:         cfg,
		messages:    make([]domain.Message, 0, cfg.MaxMessages),
		timestamps:  make([]time.Time, 0, cfg.MaxMessages),
		tokenCounts: map[string]int{},
	}
}

func (m *seedManager) AddMessage(msg domain.Message) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := msg.Clone()
	m.messages = append(m.messages, c)
	m.timestamps = append(m.timestamps, time.Now())
	m.estimate(c.Content)
	m.applyTruncation()
}

func (m *seedManager) AddMessages(msgs []domain.Message) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	for _, msg := range msgs {
		c := msg.Clone()
		m.messages = append(m.messages, c)
		m.timestamps = append(m.timestamps, now)
		m.estimate(c.Content)
	}
	m.applyTruncation()
}

func (m *seedManager) GetMessages() []domain.Message {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]domain.Message, len(m.messages))
	for i, msg := range m.messages {
		out[i] = msg.Clone()
	}
	return out
}

func (m *seedManager) GetMessagesForModel(limit int) []domain.Message {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if limit <= 0 {
		// Defect: a second RLock while holding one. A writer that queues
		// between the two blocks the inner RLock, and the writer waits for
		// the outer one: deadlock.
		if testHookNestedRLock != nil {
			testHookNestedRLock()
		}
		return m.GetMessages()
	}
	var system, others []domain.Message
	for _, msg := range m.messages {
		if msg.Role == domain.RoleSystem {
			system = append(system, msg.Clone())
		} else {
			others = append(others, msg.Clone())
		}
	}
	remaining := limit
	for _, msg := range system {
		remaining -= m.estimate(msg.Content)
	}
	result := system
	// Newest first, and never reversed afterwards: defect.
	for i := len(others) - 1; i >= 0 && remaining > 0; i-- {
		tokens := m.estimate(others[i].Content)
		if tokens <= remaining {
			result = append(result, others[i])
			remaining -= tokens
		} else if tokens > 32 && remaining > 32 {
			cut := truncateToTokens(others[i], remaining)
			// Defect: a new content, memoised under the read lock.
			m.estimate(cut.Content)
			result = append(result, cut)
			break
		}
	}
	return systemFirst(result)
}

// systemFirst is the original's sortMessagesInOrder: system messages first,
// the rest in the order given (so newest first, as they were collected).
func systemFirst(msgs []domain.Message) []domain.Message {
	out := make([]domain.Message, 0, len(msgs))
	for _, msg := range msgs {
		if msg.Role == domain.RoleSystem {
			out = append(out, msg)
		}
	}
	for _, msg := range msgs {
		if msg.Role != domain.RoleSystem {
			out = append(out, msg)
		}
	}
	return out
}

func (m *seedManager) SetSystemPrompt(prompt string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	msgs := make([]domain.Message, 0, len(m.messages)+1)
	stamps := make([]time.Time, 0, len(m.messages)+1)
	for i, msg := range m.messages {
		if msg.Role != domain.RoleSystem {
			msgs = append(msgs, msg)
			stamps = append(stamps, m.timestamps[i])
		}
	}
	if prompt != "" {
		sys := domain.NewTextMessage(domain.RoleSystem, prompt)
		msgs = append([]domain.Message{sys}, msgs...)
		stamps = append([]time.Time{time.Now()}, stamps...)
		m.estimate(sys.Content)
	}
	m.messages, m.timestamps = msgs, stamps
}

func (m *seedManager) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.messages = m.messages[:0]
	m.timestamps = m.timestamps[:0]
	m.tokenCounts = map[string]int{}
}

func (m *seedManager) GetTokenCount() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	total := 0
	for _, msg := range m.messages {
		total += m.estimate(msg.Content)
	}
	return total
}

func (m *seedManager) GetMessageCount() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.messages)
}

// applyTruncation is the original's, defects included.
func (m *seedManager) applyTruncation() {
	// Defect: the token budget is only looked at once the message count is
	// exceeded, so a short history may hold any number of tokens.
	if len(m.messages) <= m.cfg.MaxMessages {
		return
	}
	keepSystem := m.cfg.KeepAllSystemMessages
	if m.cfg.UseTokenTruncation {
		total := 0
		for _, msg := range m.messages {
			total += m.estimate(msg.Content)
		}
		if total <= m.cfg.MaxTokens {
			return
		}
		var msgs []domain.Message
		var stamps []time.Time
		if keepSystem {
			for i, msg := range m.messages {
				if msg.Role == domain.RoleSystem {
					msgs = append(msgs, msg)
					stamps = append(stamps, m.timestamps[i])
					total -= m.estimate(msg.Content)
				}
			}
		}
		// Defect: this loop keeps adding messages while the running total
		// is over budget, so it keeps about (total − budget) tokens rather
		// than the budget. Each prepend copies the slice: O(n²).
		for i := len(m.messages) - 1; i >= 0 && total > m.cfg.MaxTokens; i-- {
			if keepSystem && m.messages[i].Role == domain.RoleSystem {
				continue
			}
			msgs = append([]domain.Message{m.messages[i]}, msgs...)
			stamps = append([]time.Time{m.timestamps[i]}, stamps...)
			total -= m.estimate(m.messages[i].Content)
		}
		m.messages, m.timestamps = msgs, stamps
		return
	}
	excess := len(m.messages) - m.cfg.MaxMessages
	if !keepSystem {
		m.messages = m.messages[excess:]
		m.timestamps = m.timestamps[excess:]
		return
	}
	var msgs []domain.Message
	var stamps []time.Time
	for i, msg := range m.messages {
		if msg.Role == domain.RoleSystem {
			msgs = append(msgs, msg)
			stamps = append(stamps, m.timestamps[i])
		}
	}
	room := m.cfg.MaxMessages - len(msgs)
	if room <= 0 {
		m.messages = m.messages[:m.cfg.MaxMessages]
		m.timestamps = m.timestamps[:m.cfg.MaxMessages]
		return
	}
	kept := 0
	for i := len(m.messages) - 1; i >= 0 && kept < room; i-- {
		if m.messages[i].Role != domain.RoleSystem {
			msgs = append([]domain.Message{m.messages[i]}, msgs...)
			stamps = append([]time.Time{m.timestamps[i]}, stamps...)
			kept++
		}
	}
	m.messages, m.timestamps = msgs, stamps
}

// estimate memoises EstimateTokens by content. It writes the map whatever
// lock the caller holds: under a read lock that is a data race.
func (m *seedManager) estimate(parts []domain.ContentPart) int {
	key := contentKey(parts)
	if n, ok := m.tokenCounts[key]; ok {
		return n
	}
	n := EstimateTokens(parts)
	m.tokenCounts[key] = n
	return n
}

func contentKey(parts []domain.ContentPart) string {
	if len(parts) == 1 && parts[0].Type == domain.ContentText {
		return parts[0].Text
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(string(p.Type))
		b.WriteByte(':')
		b.WriteString(p.Text)
		b.WriteByte('|')
	}
	return b.String()
}

// memoSize reports how many estimates the memo holds (tests).
func (m *seedManager) memoSize() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.tokenCounts)
}
