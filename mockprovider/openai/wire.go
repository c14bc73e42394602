// Package openai speaks the OpenAI chat-completions protocol both ways: a
// Server that puts a mock provider behind it (non-streaming JSON and SSE
// streams), and a Client that is a core/domain.Provider for the mock server
// or for any OpenAI-compatible endpoint.
package openai

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/llmbench/llmbench/core/domain"
)

// ChatRequest is the body of POST /v1/chat/completions (the fields used
// or checked; the server ignores others, as the API's optional ones).
type ChatRequest struct {
	Model               string          `json:"model"`
	Messages            []ChatMessage   `json:"messages"`
	Stream              bool            `json:"stream,omitempty"`
	StreamOptions       *StreamOptions  `json:"stream_options,omitempty"`
	MaxTokens           *int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int            `json:"max_completion_tokens,omitempty"`
	N                   *int            `json:"n,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	Stop                json.RawMessage `json:"stop,omitempty"` // a string or a list
}

// StreamOptions asks for a usage chunk at the end of a stream.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// ChatMessage is one message; Content is a string or a list of parts.
type ChatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// roles the API accepts.
var roles = []string{"system", "developer", "user", "assistant", "tool", "function"}

// contentPart is one element of a list content.
type contentPart struct {
	Type     string  `json:"type"`
	Text     *string `json:"text,omitempty"`
	ImageURL *struct {
		URL string `json:"url"`
	} `json:"image_url,omitempty"`
}

// toDomain converts wire messages; an error names the message and field.
func toDomain(msgs []ChatMessage) ([]domain.Message, error) {
	out := make([]domain.Message, len(msgs))
	for i, m := range msgs {
		if m.Role == "" {
			return nil, fmt.Errorf("messages[%d].role is missing", i)
		}
		if !slices.Contains(roles, m.Role) {
			return nil, fmt.Errorf("messages[%d].role %q is not one of %s", i, m.Role, strings.Join(roles, ", "))
		}
		out[i].Role = domain.Role(m.Role)
		if len(m.Content) == 0 || string(m.Content) == "null" {
			continue
		}
		var s string
		if err := json.Unmarshal(m.Content, &s); err == nil {
			out[i].Content = []domain.ContentPart{{Type: domain.ContentText, Text: s}}
			continue
		}
		var parts []contentPart
		if err := json.Unmarshal(m.Content, &parts); err != nil {
			return nil, fmt.Errorf("messages[%d].content must be a string or a list of parts", i)
		}
		for j, p := range parts {
			switch p.Type {
			case "text":
				if p.Text == nil {
					return nil, fmt.Errorf("messages[%d].content[%d].text is missing", i, j)
				}
				out[i].Content = append(out[i].Content, domain.ContentPart{Type: domain.ContentText, Text: *p.Text})
			case "image_url":
				if p.ImageURL == nil || p.ImageURL.URL == "" {
					return nil, fmt.Errorf("messages[%d].content[%d].image_url.url is missing", i, j)
				}
				url := p.ImageURL.URL
				out[i].Content = append(out[i].Content, domain.ContentPart{Type: domain.ContentImage,
					Image: &domain.ImageContent{Source: domain.SourceInfo{Type: domain.SourceURL, URL: url}}})
			default:
				return nil, fmt.Errorf("messages[%d].content[%d].type %q is not supported (text, image_url)", i, j, p.Type)
			}
		}
	}
	return out, nil
}

// fromDomain converts messages for a request: plain text as a string,
// anything multimodal as a list of parts.
func fromDomain(msgs []domain.Message) []ChatMessage {
	out := make([]ChatMessage, len(msgs))
	for i, m := range msgs {
		out[i].Role = string(m.Role)
		if len(m.Content) == 1 && m.Content[0].Type == domain.ContentText {
			out[i].Content, _ = json.Marshal(m.Content[0].Text)
			continue
		}
		parts := make([]map[string]any, 0, len(m.Content))
		for _, p := range m.Content {
			switch {
			case p.Type == domain.ContentImage && p.Image != nil:
				url := p.Image.Source.URL
				if p.Image.Source.Type == domain.SourceBase64 {
					url = "data:" + p.Image.Source.MediaType + ";base64," + p.Image.Source.Data
				}
				parts = append(parts, map[string]any{"type": "image_url", "image_url": map[string]string{"url": url}})
			default:
				parts = append(parts, map[string]any{"type": "text", "text": p.Text})
			}
		}
		out[i].Content, _ = json.Marshal(parts)
	}
	return out
}

// ChatResponse is a non-streamed completion.
type ChatResponse struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Created int64    `json:"created"`
	Model   string   `json:"model"`
	Choices []Choice `json:"choices"`
	Usage   *Usage   `json:"usage,omitempty"`
}

// Choice is one completion of a response.
type Choice struct {
	Index        int          `json:"index"`
	Message      *ChatContent `json:"message,omitempty"`
	Delta        *ChatContent `json:"delta,omitempty"`
	FinishReason *string      `json:"finish_reason"`
}

// ChatContent is a message or a delta.
type ChatContent struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content"`
}

// Usage counts tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// ErrorBody is an OpenAI error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes an error.
type ErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// ModelList is the body of GET /v1/models.
type ModelList struct {
	Object string      `json:"object"`
	Data   []ModelInfo `json:"data"`
}

// ModelInfo describes one model.
type ModelInfo struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}
