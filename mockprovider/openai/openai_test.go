package openai

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/llmbench/llmbench/core/domain"
	"github.com/llmbench/llmbench/core/stream"
	"github.com/llmbench/llmbench/mockprovider"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func q(v float64, dur bool) *mockprovider.Quantity {
	return &mockprovider.Quantity{V: v, IsDuration: dur, Text: "x"}
}

// fastConfig streams 12 tokens a millisecond apart.
func fastConfig() mockprovider.Config {
	return mockprovider.Config{
		Seed:         3,
		Model:        "mock-test",
		TTFT:         mockprovider.DistSpec{Dist: "constant", Value: q(float64(time.Millisecond), true)},
		ITL:          mockprovider.DistSpec{Dist: "constant", Value: q(float64(time.Millisecond), true)},
		OutputTokens: mockprovider.DistSpec{Dist: "constant", Value: q(12, false)},
	}
}

type fixture struct {
	p   *mockprovider.Provider
	srv *httptest.Server
	c   *Client
}

func newFixture(t *testing.T, cfg mockprovider.Config) fixture {
	t.Helper()
	p, err := mockprovider.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(NewServer(p))
	c, err := NewClient(ClientConfig{BaseURL: srv.URL + "/v1", Model: "gpt-test", Timeout: 10 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() {
		c.Close()
		srv.Close()
	})
	return fixture{p, srv, c}
}

// expected is what a twin provider answers for request n.
func expected(t *testing.T, cfg mockprovider.Config, n uint64) string {
	twin, err := mockprovider.New(cfg)
	require.NoError(t, err)
	s, err := twin.Generate(mockprovider.WithRequestIndex(context.Background(), n), "")
	require.NoError(t, err)
	return s
}

func TestRoundTrip(t *testing.T) {
	cfg := fastConfig()
	f := newFixture(t, cfg)
	ctx := context.Background()

	got, err := f.c.Generate(ctx, "hello")
	require.NoError(t, err)
	assert.Equal(t, expected(t, cfg, 0), got)

	ch, err := f.c.Stream(ctx, "hello")
	require.NoError(t, err)
	var toks []domain.Token
	for tok := range ch {
		toks = append(toks, tok)
	}
	var b strings.Builder
	for _, tok := range toks {
		b.WriteString(tok.Text)
	}
	assert.Equal(t, expected(t, cfg, 1), b.String(), "the exact token sequence")
	require.Len(t, toks, 13, "12 content tokens and the finish")
	assert.True(t, toks[12].Finished)

	pool, _ := stream.NewPool("safe")
	snd, _ := stream.NewSender("timer", time.Second)
	s, err := f.c.OpenStream(ctx, []domain.Message{{Role: domain.RoleUser, Content: []domain.ContentPart{
		{Type: domain.ContentText, Text: "what is this?"},
		{Type: domain.ContentImage, Image: &domain.ImageContent{Source: domain.SourceInfo{Type: domain.SourceBase64, MediaType: "image/png", Data: "AAAA"}}},
	}}}, pool, snd)
	require.NoError(t, err)
	text, n, err := stream.Consume(s)
	require.NoError(t, err)
	assert.Equal(t, 12, n)
	assert.Equal(t, expected(t, cfg, 2), text)

	r, err := f.c.GenerateMessage(ctx, []domain.Message{domain.NewTextMessage(domain.RoleUser, "hi")})
	require.NoError(t, err)
	assert.Equal(t, expected(t, cfg, 3), r.Content)
}

func TestRawSSE(t *testing.T) {
	f := newFixture(t, fastConfig())
	resp, err := http.Post(f.srv.URL+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	var events []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			require.True(t, strings.HasPrefix(line, "data: "), line)
			events = append(events, strings.TrimPrefix(line, "data: "))
		}
	}
	require.Len(t, events, 12+3)
	assert.Equal(t, "[DONE]", events[len(events)-1])
	var first, finish, usage chunk
	require.NoError(t, json.Unmarshal([]byte(events[0]), &first))
	assert.Equal(t, "assistant", first.Choices[0].Delta.Role)
	assert.Equal(t, "chat.completion.chunk", first.Object)
	assert.Equal(t, "m", first.Model)
	require.NoError(t, json.Unmarshal([]byte(events[12]), &finish))
	assert.Equal(t, "stop", *finish.Choices[0].FinishReason)
	require.NoError(t, json.Unmarshal([]byte(events[13]), &usage))
	assert.Empty(t, usage.Choices)
	assert.Equal(t, 12, usage.Usage.CompletionTokens)
}

func TestModels(t *testing.T) {
	f := newFixture(t, fastConfig())
	resp, err := http.Get(f.srv.URL + "/v1/models")
	require.NoError(t, err)
	defer resp.Body.Close()
	var list ModelList
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	assert.Equal(t, "mock-test", list.Data[0].ID)
}

func TestBadRequests(t *testing.T) {
	f := newFixture(t, fastConfig())
	f.p.Config()
	srv := NewServer(f.p)
	srv.SetMaxBody(200)
	small := httptest.NewServer(srv)
	defer small.Close()
	cases := []struct {
		method, body string
		status       int
		want         string
	}{
		{"POST", `{"model":`, 400, "not valid JSON"},
		{"POST", `{"messages":[{"role":"user","content":"hi"}]}`, 400, "model is required"},
		{"POST", `{"model":"m","messages":[]}`, 400, "messages must be a non-empty list"},
		{"POST", `{"model":"m","messages":[{"content":"hi"}]}`, 400, "messages[0].role is missing"},
		{"POST", `{"model":"m","messages":[{"role":"user","content":[{"type":"audio"}]}]}`, 400, `messages[0].content[0].type "audio"`},
		{"POST", `{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("x", 300) + `"}]}`, 413, "larger than 200 bytes"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, small.URL+"/v1/chat/completions", strings.NewReader(c.body))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var body ErrorBody
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body), c.want)
		resp.Body.Close()
		assert.Equal(t, c.status, resp.StatusCode, c.want)
		assert.Contains(t, body.Error.Message, c.want)
		assert.Equal(t, "invalid_request_error", body.Error.Type)
	}
	resp, err := http.Get(small.URL + "/v1/chat/completions")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	resp, err = http.Get(small.URL + "/v2/else")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestFaultsOverHTTP(t *testing.T) {
	ctx := context.Background()
	t.Run("rate limit", func(t *testing.T) {
		cfg := fastConfig()
		cfg.Faults = mockprovider.Faults{RateLimit: 1, RetryAfter: 1500 * time.Millisecond}
		f := newFixture(t, cfg)
		_, err := f.c.Generate(ctx, "q")
		var api *APIError
		require.ErrorAs(t, err, &api)
		assert.Equal(t, 429, api.Status)
		assert.Equal(t, 2*time.Second, api.RetryAfter, "Retry-After is whole seconds, rounded up")
		_, err = f.c.Stream(ctx, "q")
		require.ErrorAs(t, err, &api)
		assert.Equal(t, 429, api.Status)
	})
	t.Run("server error", func(t *testing.T) {
		cfg := fastConfig()
		cfg.Faults.ServerError = 1
		f := newFixture(t, cfg)
		_, err := f.c.Generate(ctx, "q")
		var api *APIError
		require.ErrorAs(t, err, &api)
		assert.Equal(t, 500, api.Status)
		_, err = f.c.Stream(ctx, "q")
		require.ErrorAs(t, err, &api, "before the first token: a proper status")
		assert.Equal(t, "server_error", api.Type)
	})
	for fault, want := range map[string]error{"cut": ErrTruncated, "malformed": ErrMalformed} {
		t.Run(fault, func(t *testing.T) {
			cfg := fastConfig()
			if fault == "cut" {
				cfg.Faults.StreamCut = 1
			} else {
				cfg.Faults.Malformed = 1
			}
			f := newFixture(t, cfg)
			pool, _ := stream.NewPool("unpooled")
			snd, _ := stream.NewSender("ctx", 0)
			for range 5 { // the cut may fall on the first token: then a 502
				s, err := f.c.OpenStream(ctx, userPrompt("q"), pool, snd)
				if err != nil {
					var api *APIError
					require.ErrorAs(t, err, &api)
					continue
				}
				_, _, err = stream.Consume(s)
				assert.ErrorIs(t, err, want)
			}
			if fault == "malformed" {
				_, err := f.c.Generate(ctx, "q")
				assert.ErrorIs(t, err, ErrMalformed)
			}
		})
	}
}

func TestClientDisconnectEndsTheRequest(t *testing.T) {
	cfg := fastConfig()
	cfg.OutputTokens = mockprovider.DistSpec{Dist: "constant", Value: q(100000, false)}
	f := newFixture(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := f.c.Stream(ctx, "q")
	require.NoError(t, err)
	<-ch
	<-ch
	cancel()
	for range ch {
	}
	require.Eventually(t, func() bool { return f.p.Stats().InFlight == 0 }, 10*time.Second, time.Millisecond,
		"the server's call ends with the client") // goleak then checks every goroutine is gone
}

func TestClientConfig(t *testing.T) {
	_, err := NewClient(ClientConfig{Model: "m"})
	assert.ErrorContains(t, err, "base_url is required")
	_, err = NewClient(ClientConfig{BaseURL: "localhost:8080", Model: "m"})
	assert.ErrorContains(t, err, "must start with http://")
	_, err = NewClient(ClientConfig{BaseURL: "http://x"})
	assert.ErrorContains(t, err, "model is required")
	_, err = NewClient(ClientConfig{BaseURL: "http://x", Model: "m", APIKeyEnv: "LLMBENCH_TEST_UNSET_KEY"})
	assert.ErrorContains(t, err, "LLMBENCH_TEST_UNSET_KEY (api_key_env) is empty or unset")

	t.Setenv("LLMBENCH_TEST_KEY", "sk-secret")
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		writeJSON(w, 200, ChatResponse{Choices: []Choice{{Message: &ChatContent{Content: `{"ok":true}`}}}})
	}))
	defer srv.Close()
	c, err := NewClient(ClientConfig{BaseURL: srv.URL, Model: "m", APIKeyEnv: "LLMBENCH_TEST_KEY"})
	require.NoError(t, err)
	defer c.Close()
	v, err := c.GenerateWithSchema(context.Background(), "q", &domain.Schema{Type: "object"})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"ok": true}, v)
	assert.Equal(t, "Bearer sk-secret", auth)
	assert.False(t, errors.Is(err, ErrMalformed))
}

func TestServeShutsDownWithContext(t *testing.T) {
	p, err := mockprovider.New(fastConfig())
	require.NoError(t, err)
	ln, err := Listen("127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, NewServer(p)) }()
	c, err := NewClient(ClientConfig{BaseURL: "http://" + ln.Addr().String() + "/v1", Model: "m"})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Generate(context.Background(), "q")
	require.NoError(t, err)
	cancel()
	assert.NoError(t, <-done)
	_, err = c.Generate(context.Background(), "q")
	assert.Error(t, err, "closed")
}
