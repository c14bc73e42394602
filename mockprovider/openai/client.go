package openai

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/stream"
	"github.com/llmbench/llmbench/mockprovider"
)

// RequestIndexHeader carries a load generator's request number to the mock
// server.
const RequestIndexHeader = "X-Llmbench-Request-Index"

// ClientConfig locates an OpenAI-compatible endpoint.
type ClientConfig struct {
	// BaseURL is the API root, e.g. https://api.openai.com/v1 or
	// http://127.0.0.1:8080/v1.
	BaseURL string `yaml:"base_url" json:"base_url"`
	Model   string `yaml:"model" json:"model"`
	// APIKeyEnv names the environment variable holding the API key; the
	// key itself never appears in a configuration or a result file.
	APIKeyEnv string `yaml:"api_key_env" json:"api_key_env"`
	// Timeout bounds a whole request, streaming included (0: none; the
	// caller's context still applies).
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
	// MaxConns bounds connections per host (0: 1024).
	MaxConns int `yaml:"max_conns" json:"max_conns"`
}

// Client is a domain.Provider over HTTP.
type Client struct {
	cfg  ClientConfig
	key  string
	http *http.Client
	url  string
}

// APIError is an error answer of the endpoint.
type APIError struct {
	Status     int
	Type       string
	Message    string
	RetryAfter time.Duration // from the Retry-After header, on 429
}

func (e *APIError) Error() string {
	return fmt.Sprintf("openai: HTTP %d %s: %s", e.Status, e.Type, e.Message)
}

// Stream errors.
var (
	// ErrTruncated: the stream ended before [DONE].
	ErrTruncated = errors.New("openai: stream ended before [DONE]")
	// ErrMalformed: a chunk was not valid JSON.
	ErrMalformed = errors.New("openai: malformed stream chunk")
)

// NewClient checks cfg and reads the API key from its variable.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("openai: base_url is required")
	}
	if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return nil, fmt.Errorf("openai: base_url %q must start with http:// or https://", cfg.BaseURL)
	}
	if cfg.Model == "" {
		return nil, errors.New("openai: model is required")
	}
	c := &Client{cfg: cfg, url: strings.TrimRight(cfg.BaseURL, "/") + "/chat/completions"}
	if cfg.APIKeyEnv != "" {
		c.key = os.Getenv(cfg.APIKeyEnv)
		if c.key == "" {
			return nil, fmt.Errorf("openai: environment variable %s (api_key_env) is empty or unset", cfg.APIKeyEnv)
		}
	}
	conns := cfg.MaxConns
	if conns <= 0 {
		conns = 1024
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = conns, conns, conns
	c.http = &http.Client{Transport: tr}
	return c, nil
}

// Close drops idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

func (c *Client) do(ctx context.Context, msgs []domain.Message, streamed bool, opts []domain.Option) (*http.Response, context.CancelFunc, error) {
	o := domain.ApplyOptions(opts...)
	req := ChatRequest{Model: c.cfg.Model, Messages: fromDomain(msgs), Stream: streamed, Temperature: &o.Temperature}
	if o.MaxTokens > 0 {
		req.MaxTokens = &o.MaxTokens
	}
	if o.Model != "" {
		req.Model = o.Model
	}
	if streamed {
		req.StreamOptions = &StreamOptions{IncludeUsage: true}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, nil, err
	}
	cancel := context.CancelFunc(func() {})
	if c.cfg.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	if streamed {
		hr.Header.Set("Accept", "text/event-stream")
	}
	if c.key != "" {
		hr.Header.Set("Authorization", "Bearer "+c.key)
	}
	if n, ok := mockprovider.RequestIndex(ctx); ok {
		// The mock server plans the request by this index, so that a run
		// over HTTP sends the same requests as one in process.
		hr.Header.Set(RequestIndexHeader, strconv.FormatUint(n, 10))
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		defer cancel()
		return nil, nil, apiError(resp)
	}
	return resp, cancel, nil
}

func apiError(resp *http.Response) error {
	e := &APIError{Status: resp.StatusCode}
	var body ErrorBody
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(data, &body) == nil && body.Error.Message != "" {
		e.Type, e.Message = body.Error.Type, body.Error.Message
	} else {
		e.Message = strings.TrimSpace(string(data))
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if secs, err := strconv.ParseFloat(s, 64); err == nil {
			e.RetryAfter = time.Duration(secs * float64(time.Second))
		}
	}
	return e
}

func (c *Client) complete(ctx context.Context, msgs []domain.Message, opts []domain.Option) (string, error) {
	resp, cancel, err := c.do(ctx, msgs, false, opts)
	if err != nil {
		return "", err
	}
	defer cancel()
	defer resp.Body.Close()
	var out ChatResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(out.Choices) == 0 || out.Choices[0].Message == nil {
		return "", fmt.Errorf("%w: no choices", ErrMalformed)
	}
	return out.Choices[0].Message.Content, nil
}

func userPrompt(prompt string) []domain.Message {
	return []domain.Message{domain.NewTextMessage(domain.RoleUser, prompt)}
}

// Generate sends one user message.
func (c *Client) Generate(ctx context.Context, prompt string, opts ...domain.Option) (string, error) {
	return c.complete(ctx, userPrompt(prompt), opts)
}

// GenerateMessage sends a conversation.
func (c *Client) GenerateMessage(ctx context.Context, msgs []domain.Message, opts ...domain.Option) (domain.Response, error) {
	s, err := c.complete(ctx, msgs, opts)
	return domain.Response{Content: s}, err
}

// GenerateWithSchema asks for JSON and parses the answer.
func (c *Client) GenerateWithSchema(ctx context.Context, prompt string, schema *domain.Schema, opts ...domain.Option) (any, error) {
	s, err := json.Marshal(schema)
	if err != nil {
		return nil, err
	}
	text, err := c.complete(ctx, userPrompt(prompt+"\nAnswer with JSON matching this schema: "+string(s)), opts)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, fmt.Errorf("openai: the answer is not JSON: %w", err)
	}
	return v, nil
}

// OpenStream sends a streamed request and relays its content deltas into a
// stream from pool, through snd. Request errors (4xx, 5xx) are returned at
// once; a truncated or malformed stream ends the stream with ErrTruncated
// or ErrMalformed.
func (c *Client) OpenStream(ctx context.Context, msgs []domain.Message, pool stream.Pool, snd stream.Sender, opts ...domain.Option) (*stream.Stream, error) {
	resp, cancel, err := c.do(ctx, msgs, true, opts)
	if err != nil {
		return nil, err
	}
	s := pool.Open()
	go func() {
		defer cancel()
		defer resp.Body.Close()
		defer snd.Stop()
		s.CloseSend(ctx, relay(ctx, resp.Body, s, snd))
	}()
	return s, nil
}

// relay reads SSE events until [DONE]. A content delta becomes a token; the
// chunk with a finish_reason becomes the Finished token.
func relay(ctx context.Context, body io.Reader, s *stream.Stream, snd stream.Sender) error {
	r := bufio.NewReaderSize(body, 16<<10)
	var ch chunk
	for {
		line, err := r.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			return fmt.Errorf("%w: an event line longer than %d bytes", ErrMalformed, r.Size())
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			return ErrTruncated
		}
		data, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), []byte("data:"))
		if !ok {
			continue // blank separators, comments, other fields
		}
		data = bytes.TrimSpace(data)
		if string(data) == "[DONE]" {
			return nil
		}
		ch.Choices = ch.Choices[:0]
		if err := json.Unmarshal(data, &ch); err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if len(ch.Choices) == 0 {
			continue // the usage chunk
		}
		choice := ch.Choices[0]
		tok := domain.Token{Finished: choice.FinishReason != nil}
		if choice.Delta != nil {
			tok.Text = choice.Delta.Content
		}
		if tok.Text == "" && !tok.Finished {
			continue
		}
		if err := snd.Send(ctx, s, tok); err != nil {
			return err
		}
	}
}

var plainStreams, _ = stream.NewPool("unpooled")

func (c *Client) plainStream(ctx context.Context, msgs []domain.Message, opts []domain.Option) (domain.ResponseStream, error) {
	snd, _ := stream.NewSender("ctx", 0)
	s, err := c.OpenStream(ctx, msgs, plainStreams, snd, opts...)
	if err != nil {
		return nil, err
	}
	return s.C, nil
}

// Stream streams the answer to one user message.
func (c *Client) Stream(ctx context.Context, prompt string, opts ...domain.Option) (domain.ResponseStream, error) {
	return c.plainStream(ctx, userPrompt(prompt), opts)
}

// StreamMessage streams the answer to a conversation.
func (c *Client) StreamMessage(ctx context.Context, msgs []domain.Message, opts ...domain.Option) (domain.ResponseStream, error) {
	return c.plainStream(ctx, msgs, opts)
}
