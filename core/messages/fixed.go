package messages

import (
	"sync"

	"github.com/llmbench/llmbench/core/domain"
)

// entry is a stored message with its token estimate, computed once.
type entry struct {
	msg    domain.Message
	tokens int
	seq    int64 // chronological position
}

// queue is a FIFO with amortised O(1) push and pop: popped slots are
// released at once and the backing array is compacted when half is dead.
type queue struct {
	items []entry
	head  int
}

func (q *queue) len() int        { return len(q.items) - q.head }
func (q *queue) at(i int) *entry { return &q.items[q.head+i] }
func (q *queue) push(e entry)    { q.items = append(q.items, e) }

func (q *queue) pop() entry {
	e := q.items[q.head]
	q.items[q.head] = entry{} // let the collector take the message
	q.head++
	if q.head >= 32 && q.head*2 >= len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items = q.items[:n]
		q.head = 0
	}
	return e
}

func (q *queue) reset() { clear(q.items); q.items = q.items[:0]; q.head = 0 }

// fixedManager keeps system messages apart from the rest so that keeping
// them costs nothing when dropping; both lists stay in chronological order
// and are merged by sequence number on the way out.
type fixedManager struct {
	cfg     Config
	mu      sync.RWMutex
	system  []entry
	others  queue
	tokens  int
	nextSeq int64
	minSeq  int64
}

func newFixed(cfg Config) *fixedManager { return &fixedManager{cfg: cfg.withDefaults()} }

func (m *fixedManager) add(msg domain.Message) {
	e := entry{msg: msg.Clone(), tokens: EstimateTokens(msg.Content), seq: m.nextSeq}
	m.nextSeq++
	m.tokens += e.tokens
	if e.msg.Role == domain.RoleSystem {
		m.system = append(m.system, e)
	} else {
		m.others.push(e)
	}
}

func (m *fixedManager) AddMessage(msg domain.Message) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.add(msg)
	m.truncate()
}

func (m *fixedManager) AddMessages(msgs []domain.Message) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, msg := range msgs {
		m.add(msg)
	}
	m.truncate()
}

// truncate drops the oldest droppable message while either budget is
// exceeded. System messages are droppable unless KeepAllSystemMessages. The
// newest message is never dropped: a history without the turn just added
// would answer a question nobody asked.
func (m *fixedManager) truncate() {
	newest := m.nextSeq - 1
	for {
		count := len(m.system) + m.others.len()
		if count <= m.cfg.MaxMessages && (!m.cfg.UseTokenTruncation || m.tokens <= m.cfg.MaxTokens) {
			return
		}
		dropSystem := !m.cfg.KeepAllSystemMessages && len(m.system) > 0 &&
			(m.others.len() == 0 || m.system[0].seq < m.others.at(0).seq)
		switch {
		case dropSystem && m.system[0].seq != newest:
			m.tokens -= m.system[0].tokens
			m.system[0] = entry{}
			m.system = m.system[1:]
		case !dropSystem && m.others.len() > 0 && m.others.at(0).seq != newest:
			m.tokens -= m.others.pop().tokens
		default:
			return // only pinned or newest messages are left
		}
	}
}

// ordered calls fn on every entry in chronological order.
func (m *fixedManager) ordered(fn func(*entry)) {
	i, j := 0, 0
	for i < len(m.system) || j < m.others.len() {
		if j >= m.others.len() || (i < len(m.system) && m.system[i].seq < m.others.at(j).seq) {
			fn(&m.system[i])
			i++
		} else {
			fn(m.others.at(j))
			j++
		}
	}
}

func (m *fixedManager) GetMessages() []domain.Message {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.all()
}

func (m *fixedManager) all() []domain.Message {
	out := make([]domain.Message, 0, len(m.system)+m.others.len())
	m.ordered(func(e *entry) { out = append(out, e.msg.Clone()) })
	return out
}

func (m *fixedManager) GetMessagesForModel(limit int) []domain.Message {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if limit <= 0 {
		return m.all()
	}
	remaining := limit
	for _, e := range m.system {
		remaining -= e.tokens
	}
	// The most recent contiguous run of messages that fits; the first one
	// that does not fit is cut to the room left when that room is worth it.
	// A gap in the middle would show the model a conversation that never was.
	first := m.others.len()
	var cut *domain.Message
	for i := m.others.len() - 1; i >= 0 && remaining > 0; i-- {
		e := m.others.at(i)
		if e.tokens <= remaining {
			remaining -= e.tokens
			first = i
			continue
		}
		if e.tokens > 32 && remaining > 32 {
			c := truncateToTokens(e.msg, remaining)
			cut = &c
		}
		break
	}
	out := make([]domain.Message, 0, len(m.system)+m.others.len()-first+1)
	for _, e := range m.system {
		out = append(out, e.msg.Clone())
	}
	if cut != nil {
		out = append(out, *cut)
	}
	for i := first; i < m.others.len(); i++ {
		out = append(out, m.others.at(i).msg.Clone())
	}
	return out
}

func (m *fixedManager) SetSystemPrompt(prompt string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.system {
		m.tokens -= e.tokens
	}
	clear(m.system)
	m.system = m.system[:0]
	if prompt == "" {
		return
	}
	m.minSeq--
	msg := domain.NewTextMessage(domain.RoleSystem, prompt)
	e := entry{msg: msg, tokens: EstimateTokens(msg.Content), seq: m.minSeq}
	m.tokens += e.tokens
	m.system = append(m.system, e)
}

func (m *fixedManager) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.system)
	m.system = m.system[:0]
	m.others.reset()
	m.tokens = 0
}

func (m *fixedManager) GetTokenCount() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.tokens
}

func (m *fixedManager) GetMessageCount() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.system) + m.others.len()
}
