package messages

// Seed-faithful port of Go-LLMs v0.2.6 pkg/agent/workflow/message_manager.go:
// MessageManager (NewMessageManager, AddMessage, AddMessages, GetMessages,
// GetMessagesForModel, Reset, SetSystemPrompt, GetTokenCount,
// GetMessageCount, applyTruncation, estimateTokens,
// estimateTokensFromContentParts, getContentKey, cloneMessage,
// truncateMessage, sortMessagesInOrder), statement for statement. Only the
// unused messagePool field is left out, and a test hook marks the window
// between the two read locks of GetMessagesForModel(<=0).

import (
	"sync"
	"time"

	"github.com/llmbench/llmbench/core/domain"
)

type seedManager struct {
	maxMessages int
	maxTokens   int
	messages    []domain.Message
	// tokenCounts memoises estimates by text and by content key. Nothing
	// ever removes an entry (defect), and a text can share a key with an
	// image (getContentKey).
	tokenCounts       map[string]int
	mu                sync.RWMutex
	messageTimestamps []time.Time
	config            Config
}

// testHookNestedRLock runs between the two read locks of
// GetMessagesForModel(<=0), so a test can park a writer there.
var testHookNestedRLock func()

func newSeed(cfg Config) *seedManager {
	maxMessages, maxTokens := cfg.MaxMessages, cfg.MaxTokens
	if maxMessages <= 0 {
		maxMessages = DefaultMaxMessages
	}
	if maxTokens <= 0 {
		maxTokens = DefaultMaxTokens
	}
	return &seedManager{
		maxMessages:       maxMessages,
		maxTokens:         maxTokens,
		messages:          make([]domain.Message, 0, maxMessages),
		tokenCounts:       make(map[string]int),
		messageTimestamps: make([]time.Time, 0, maxMessages),
		config:            cfg,
	}
}

func (m *seedManager) AddMessage(message domain.Message) {
	m.mu.Lock()
	defer m.mu.Unlock()
	newMsg := m.cloneMessage(message)
	m.messages = append(m.messages, newMsg)
	m.messageTimestamps = append(m.messageTimestamps, time.Now())
	contentKey := getContentKey(newMsg.Content)
	tokens := m.estimateTokensFromContentParts(newMsg.Content)
	m.tokenCounts[contentKey] = tokens
	m.applyTruncation()
}

func (m *seedManager) AddMessages(messages []domain.Message) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cap(m.messages)-len(m.messages) < len(messages) {
		newCap := len(m.messages) + len(messages) + 10
		newMessages := make([]domain.Message, len(m.messages), newCap)
		copy(newMessages, m.messages)
		m.messages = newMessages
		newTimestamps := make([]time.Time, len(m.messageTimestamps), newCap)
		copy(newTimestamps, m.messageTimestamps)
		m.messageTimestamps = newTimestamps
	}
	now := time.Now()
	for _, msg := range messages {
		newMsg := m.cloneMessage(msg)
		m.messages = append(m.messages, newMsg)
		m.messageTimestamps = append(m.messageTimestamps, now)
		contentKey := getContentKey(newMsg.Content)
		tokens := m.estimateTokensFromContentParts(newMsg.Content)
		m.tokenCounts[contentKey] = tokens
	}
	m.applyTruncation()
}

func (m *seedManager) GetMessages() []domain.Message {
	m.mu.RLock()
	defer m.mu.RUnlock()
	result := make([]domain.Message, len(m.messages))
	for i, msg := range m.messages {
		result[i] = m.cloneMessage(msg)
	}
	return result
}

func (m *seedManager) GetMessagesForModel(modelTokenLimit int) []domain.Message {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if modelTokenLimit <= 0 {
		// Defect: a second RLock while holding one. A writer that queues
		// between the two blocks the inner RLock, and the writer waits for
		// the outer one: deadlock.
		if testHookNestedRLock != nil {
			testHookNestedRLock()
		}
		return m.GetMessages()
	}
	var systemMessages []domain.Message
	var nonSystemMessages []domain.Message
	for _, msg := range m.messages {
		if msg.Role == domain.RoleSystem {
			systemMessages = append(systemMessages, m.cloneMessage(msg))
		} else {
			nonSystemMessages = append(nonSystemMessages, m.cloneMessage(msg))
		}
	}
	systemTokens := 0
	for _, msg := range systemMessages {
		systemTokens += m.estimateTokensFromContentParts(msg.Content)
	}
	result := systemMessages
	remainingTokens := modelTokenLimit - systemTokens
	// Newest first, and never put back in order (defect).
	for i := len(nonSystemMessages) - 1; i >= 0 && remainingTokens > 0; i-- {
		msg := nonSystemMessages[i]
		tokens := m.estimateTokensFromContentParts(msg.Content)
		if tokens <= remainingTokens {
			result = append(result, msg)
			remainingTokens -= tokens
		} else if tokens > 32 && remainingTokens > 32 {
			// The cut keeps non-text parts, so it may not fit (defect).
			truncated := m.truncateMessage(msg, remainingTokens)
			result = append(result, truncated)
			break
		}
	}
	return m.sortMessagesInOrder(result)
}

func (m *seedManager) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.messages = m.messages[:0]
	m.messageTimestamps = m.messageTimestamps[:0]
	m.tokenCounts = make(map[string]int)
}

func (m *seedManager) SetSystemPrompt(prompt string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	newMessages := make([]domain.Message, 0, len(m.messages))
	newTimestamps := make([]time.Time, 0, len(m.messages))
	for i, msg := range m.messages {
		if msg.Role != domain.RoleSystem {
			newMessages = append(newMessages, msg)
			newTimestamps = append(newTimestamps, m.messageTimestamps[i])
		}
	}
	if prompt != "" {
		sysMsg := domain.NewTextMessage(domain.RoleSystem, prompt)
		newMessages = append([]domain.Message{sysMsg}, newMessages...)
		newTimestamps = append([]time.Time{time.Now()}, newTimestamps...)
		contentKey := getContentKey(sysMsg.Content)
		m.tokenCounts[contentKey] = m.estimateTokensFromContentParts(sysMsg.Content)
	}
	m.messages = newMessages
	m.messageTimestamps = newTimestamps
}

func (m *seedManager) GetTokenCount() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	total := 0
	for _, msg := range m.messages {
		total += m.estimateTokensFromContentParts(msg.Content)
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
	// Defect: nothing is looked at while under the message count, so a
	// short history may hold any number of tokens.
	if len(m.messages) <= m.maxMessages {
		return
	}
	if m.config.UseTokenTruncation {
		totalTokens := 0
		for _, msg := range m.messages {
			totalTokens += m.estimateTokensFromContentParts(msg.Content)
		}
		// Defect: under the token budget the count limit is ignored.
		if totalTokens <= m.maxTokens {
			return
		}
		newMessages := make([]domain.Message, 0, m.maxMessages)
		newTimestamps := make([]time.Time, 0, m.maxMessages)
		if m.config.KeepAllSystemMessages {
			for i, msg := range m.messages {
				if msg.Role == domain.RoleSystem {
					newMessages = append(newMessages, msg)
					newTimestamps = append(newTimestamps, m.messageTimestamps[i])
					totalTokens -= m.estimateTokensFromContentParts(msg.Content)
				}
			}
		}
		// Defect: this keeps adding messages while the running total is
		// over budget, so it keeps about (total − budget) tokens rather
		// than the budget. Each prepend copies the slice: O(n²).
		for i := len(m.messages) - 1; i >= 0 && totalTokens > m.maxTokens; i-- {
			if m.config.KeepAllSystemMessages && m.messages[i].Role == domain.RoleSystem {
				continue
			}
			newMessages = append([]domain.Message{m.messages[i]}, newMessages...)
			newTimestamps = append([]time.Time{m.messageTimestamps[i]}, newTimestamps...)
			totalTokens -= m.estimateTokensFromContentParts(m.messages[i].Content)
		}
		m.messages = newMessages
		m.messageTimestamps = newTimestamps
		return
	}
	excess := len(m.messages) - m.maxMessages
	if excess <= 0 {
		return
	}
	if m.config.KeepAllSystemMessages {
		newMessages := make([]domain.Message, 0, m.maxMessages)
		newTimestamps := make([]time.Time, 0, m.maxMessages)
		for i, msg := range m.messages {
			if msg.Role == domain.RoleSystem {
				newMessages = append(newMessages, msg)
				newTimestamps = append(newTimestamps, m.messageTimestamps[i])
			}
		}
		nonSystemToKeep := m.maxMessages - len(newMessages)
		if nonSystemToKeep <= 0 {
			m.messages = m.messages[:m.maxMessages]
			m.messageTimestamps = m.messageTimestamps[:m.maxMessages]
			return
		}
		// Defect: prepending in front of the system messages moves them last.
		nonSystemCount := 0
		for i := len(m.messages) - 1; i >= 0 && nonSystemCount < nonSystemToKeep; i-- {
			if m.messages[i].Role != domain.RoleSystem {
				newMessages = append([]domain.Message{m.messages[i]}, newMessages...)
				newTimestamps = append([]time.Time{m.messageTimestamps[i]}, newTimestamps...)
				nonSystemCount++
			}
		}
		m.messages = newMessages
		m.messageTimestamps = newTimestamps
		return
	}
	m.messages = m.messages[excess:]
	m.messageTimestamps = m.messageTimestamps[excess:]
}

// estimateTokens memoises len/4+5 by text. It writes the map whatever lock
// the caller holds; callers under the read lock only ever hit.
func (m *seedManager) estimateTokens(text string) int {
	if count, ok := m.tokenCounts[text]; ok {
		return count
	}
	tokenCount := len(text)/4 + textOverhead
	m.tokenCounts[text] = tokenCount
	return tokenCount
}

func (m *seedManager) estimateTokensFromContentParts(contentParts []domain.ContentPart) int {
	contentKey := getContentKey(contentParts)
	if count, ok := m.tokenCounts[contentKey]; ok {
		return count
	}
	totalTokens := 0
	for _, part := range contentParts {
		switch part.Type {
		case domain.ContentText:
			totalTokens += m.estimateTokens(part.Text)
		case domain.ContentImage:
			totalTokens += imageTokens
		case domain.ContentFile, domain.ContentVideo, domain.ContentAudio:
			totalTokens += mediaTokens
		}
	}
	if len(contentParts) > 1 {
		totalTokens += partOverhead * len(contentParts)
	}
	m.tokenCounts[contentKey] = totalTokens
	return totalTokens
}

// getContentKey is the original's memo key. Defect: a single text part is
// keyed by its text alone and other parts by "type:" and a fingerprint, so
// the text "image:https://x" and an image of https://x share a key, and one
// gets the other's estimate.
func getContentKey(contentParts []domain.ContentPart) string {
	if len(contentParts) == 0 {
		return "empty_content"
	}
	if len(contentParts) == 1 && contentParts[0].Type == domain.ContentText {
		return contentParts[0].Text
	}
	key := ""
	for i, part := range contentParts {
		key += string(part.Type) + ":"
		switch part.Type {
		case domain.ContentText:
			key += part.Text
		case domain.ContentImage:
			if part.Image != nil {
				if part.Image.Source.Type == domain.SourceURL {
					key += part.Image.Source.URL
				} else {
					data := part.Image.Source.Data
					if len(data) > 20 {
						data = data[:20]
					}
					key += data
				}
			}
		case domain.ContentFile:
			if part.File != nil {
				key += part.File.FileName
			}
		case domain.ContentVideo, domain.ContentAudio:
			key += string(part.Type) + "_content"
		}
		if i < len(contentParts)-1 {
			key += "|"
		}
	}
	return key
}

func (m *seedManager) cloneMessage(msg domain.Message) domain.Message {
	clonedContent := make([]domain.ContentPart, len(msg.Content))
	for i, part := range msg.Content {
		clonedContent[i] = part.Clone()
	}
	return domain.Message{Role: msg.Role, Content: clonedContent}
}

// truncateMessage cuts the text parts and keeps every other part (defect:
// an image alone costs 1000 tokens, so the cut may not fit the limit).
func (m *seedManager) truncateMessage(msg domain.Message, tokenLimit int) domain.Message {
	currentTokens := m.estimateTokensFromContentParts(msg.Content)
	if currentTokens <= tokenLimit {
		return msg
	}
	charsToKeep := (tokenLimit - textOverhead) * 4
	if charsToKeep < 0 {
		charsToKeep = 0
	}
	result := m.cloneMessage(msg)
	for i, part := range result.Content {
		if part.Type != domain.ContentText {
			continue
		}
		text := part.Text
		if len(text) > charsToKeep {
			if charsToKeep > 20 {
				for j := charsToKeep - 1; j > charsToKeep-20 && j >= 0; j-- {
					if text[j] == ' ' {
						charsToKeep = j
						break
					}
				}
			}
			result.Content[i].Text = text[:charsToKeep] + "..."
		}
	}
	return result
}

// sortMessagesInOrder puts system messages first and keeps the rest in the
// order given (newest first, as GetMessagesForModel collected them).
func (m *seedManager) sortMessagesInOrder(msgs []domain.Message) []domain.Message {
	var systemMsgs []domain.Message
	var nonSystemMsgs []domain.Message
	for _, msg := range msgs {
		if msg.Role == domain.RoleSystem {
			systemMsgs = append(systemMsgs, msg)
		} else {
			nonSystemMsgs = append(nonSystemMsgs, msg)
		}
	}
	result := make([]domain.Message, 0, len(msgs))
	result = append(result, systemMsgs...)
	result = append(result, nonSystemMsgs...)
	return result
}

// memoSize reports how many estimates the memo holds (tests).
func (m *seedManager) memoSize() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.tokenCounts)
}

// memoMissing lists the stored messages whose content key the memo lacks:
// the read-locked paths write the memo only for those (tests).
func (m *seedManager) memoMissing() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := 0
	for _, msg := range m.messages {
		if _, ok := m.tokenCounts[getContentKey(msg.Content)]; !ok {
			n++
		}
	}
	return n
}
