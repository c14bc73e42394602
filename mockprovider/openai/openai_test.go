package openai

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
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
		Model:        "m",
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
	c, err := NewClient(ClientConfig{BaseURL: srv.URL + "/v1", Model: "m", Timeout: 10 * time.Second})
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
	assert.Equal(t, "m", list.Data[0].ID)
}

// TestBadRequests probes the server as a careless or hostile client
// would: every bad request is a 4xx with an OpenAI-style error naming the
// problem (and the parameter, where there is one); goleak then checks
// that none left a goroutine behind.
func TestBadRequests(t *testing.T) {
	f := newFixture(t, fastConfig())
	srv := NewServer(f.p)
	srv.SetMaxBody(200)
	small := httptest.NewServer(srv)
	defer small.Close()
	const hi = `"messages":[{"role":"user","content":"hi"}]`
	cases := []struct {
		contentType, body string
		status            int
		param, want       string
	}{
		{"", `{"model":`, 400, "", "not valid JSON"},
		{"", ``, 400, "", "request body is empty"},
		{"", `[]`, 400, "", "request body must be a JSON object, not array"},
		{"", `{"model":"m",` + hi + `}xyz`, 400, "", `request body is not valid JSON: 3 byte(s) after the JSON object, starting "xyz"`},
		{"", `{"model":"m",` + hi + `} {}`, 400, "", "after the JSON object"},
		{"", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"h\xffi\"}]}", 400, "", "request body is not valid UTF-8 (first bad byte at offset 52)"},
		{"", `{"messages":[{"role":"user","content":"hi"}]}`, 400, "model", "model is required"},
		{"", `{"model":5,` + hi + `}`, 400, "model", "invalid type for 'model': expected a string, got number"},
		{"", `{"model":"m","messages":[]}`, 400, "messages", "messages must be a non-empty list"},
		{"", `{"model":"gpt-9",` + hi + `}`, 404, "model", `The model "gpt-9" does not exist; this server serves "m"`},
		{"", `{"model":"m","messages":"hi"}`, 400, "messages", "invalid type for 'messages': expected a list, got string"},
		{"", `{"model":"m","messages":[{"content":"hi"}]}`, 400, "messages", "messages[0].role is missing"},
		{"", `{"model":"m","messages":[{"role":"robot","content":"hi"}]}`, 400, "messages", `messages[0].role "robot" is not one of system, developer, user, assistant, tool, function`},
		{"", `{"model":"m","messages":[{"role":"user","content":[{"type":"audio"}]}]}`, 400, "messages", `messages[0].content[0].type "audio"`},
		{"", `{"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]}`, 400, "messages", "messages[0].content[0].text is missing"},
		{"", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, 400, "messages", "messages[0].content[0].image_url.url is missing"},
		{"", `{"model":"m","stream":"yes",` + hi + `}`, 400, "stream", "invalid type for 'stream': expected a boolean, got string"},
		{"", `{"model":"m","stream_options":{"include_usage":true},` + hi + `}`, 400, "stream_options", "stream_options is only allowed when stream is true"},
		{"", `{"model":"m","max_tokens":0,` + hi + `}`, 400, "max_tokens", "max_tokens must be at least 1 (got 0)"},
		{"", `{"model":"m","max_tokens":-5,` + hi + `}`, 400, "max_tokens", "max_tokens must be at least 1 (got -5)"},
		{"", `{"model":"m","max_tokens":1.5,` + hi + `}`, 400, "max_tokens", "invalid type for 'max_tokens': expected an integer, got number 1.5"},
		{"", `{"model":"m","max_tokens":"5",` + hi + `}`, 400, "max_tokens", "invalid type for 'max_tokens': expected an integer, got string"},
		{"", `{"model":"m","max_completion_tokens":-1,` + hi + `}`, 400, "max_completion_tokens", "max_completion_tokens must be at least 1"},
		{"", `{"model":"m","n":2,` + hi + `}`, 400, "n", "n 2: the mock server answers one choice per request"},
		{"", `{"model":"m","n":0,` + hi + `}`, 400, "n", "n must be at least 1"},
		{"", `{"model":"m","temperature":2.5,` + hi + `}`, 400, "temperature", "temperature must be between 0 and 2"},
		{"", `{"model":"m","top_p":-0.1,` + hi + `}`, 400, "top_p", "top_p must be between 0 and 1"},
		{"", `{"model":"m","stop":["a","b","c","d","e"],` + hi + `}`, 400, "stop", "stop takes at most 4 sequences (got 5)"},
		{"", `{"model":"m","stop":7,` + hi + `}`, 400, "stop", "stop must be a string or a list of strings"},
		{"text/plain", `{"model":"m",` + hi + `}`, 415, "", `Content-Type "text/plain" is not supported`},
		{"application/x-www-form-urlencoded", `{"model":"m",` + hi + `}`, 415, "", "Content-Type: application/json"},
		{"", `{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("x", 300) + `"}]}`, 413, "", "larger than 200 bytes"},
	}
	for _, c := range cases {
		ct := c.contentType
		if ct == "" {
			ct = "application/json; charset=utf-8"
		}
		resp, err := http.Post(small.URL+"/v1/chat/completions", ct, strings.NewReader(c.body))
		require.NoError(t, err)
		var body ErrorBody
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body), c.want)
		resp.Body.Close()
		assert.Equal(t, c.status, resp.StatusCode, c.want)
		assert.Contains(t, body.Error.Message, c.want)
		assert.Equal(t, "invalid_request_error", body.Error.Type)
		if c.param == "" {
			assert.Nil(t, body.Error.Param, c.want)
		} else if assert.NotNil(t, body.Error.Param, c.want) {
			assert.Equal(t, c.param, *body.Error.Param)
		}
	}
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/chat/completions", http.StatusMethodNotAllowed},
		{"PUT", "/v1/chat/completions", http.StatusMethodNotAllowed},
		{"DELETE", "/v1/models", http.StatusMethodNotAllowed},
		{"GET", "/v2/else", http.StatusNotFound},
	} {
		req, err := http.NewRequest(c.method, small.URL+c.path, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var body ErrorBody
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body), c.path)
		resp.Body.Close()
		assert.Equal(t, c.status, resp.StatusCode, "%s %s", c.method, c.path)
		assert.NotEmpty(t, body.Error.Message)
	}
}

// Fields the API allows and the mock does not act on are accepted: stop
// as a string or a list, fields the server does not know.
func TestAcceptedRequestFields(t *testing.T) {
	f := newFixture(t, fastConfig())
	for _, body := range []string{
		`{"model":"m","stop":"\n","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","stop":["a","b"],"n":1,"temperature":0,"top_p":1,"user":"x","seed":3,"messages":[{"role":"developer","content":"be brief"},{"role":"user","content":"hi"}]}`,
	} {
		resp, err := http.Post(f.srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	}
}

// TestMaxTokens: the answer stops after max_tokens (or the newer
// max_completion_tokens) tokens with finish_reason "length", its text a
// prefix of the uncapped answer, usage counting what was sent.
func TestMaxTokens(t *testing.T) {
	cfg := fastConfig() // 12 tokens an answer
	f := newFixture(t, cfg)
	post := func(body string) *http.Response {
		t.Helper()
		resp, err := http.Post(f.srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return resp
	}
	words := func(n uint64, k int) string { return strings.Join(strings.Fields(expected(t, cfg, n))[:k], " ") }
	const hi = `"messages":[{"role":"user","content":"hi"}]`

	for i, c := range []struct {
		limits string
		tokens int
		finish string
	}{
		{`"max_tokens":5`, 5, "length"},
		{`"max_completion_tokens":3`, 3, "length"},
		{`"max_tokens":5,"max_completion_tokens":2`, 2, "length"}, // the newer name wins
		{`"max_tokens":12`, 12, "stop"},                           // exactly enough
		{`"max_tokens":1000`, 12, "stop"},
	} {
		resp := post(`{"model":"m",` + c.limits + `,` + hi + `}`)
		var r ChatResponse
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
		resp.Body.Close()
		require.Len(t, r.Choices, 1)
		assert.Equal(t, words(uint64(i), c.tokens), r.Choices[0].Message.Content, c.limits)
		assert.Equal(t, c.finish, *r.Choices[0].FinishReason, c.limits)
		assert.Equal(t, c.tokens, r.Usage.CompletionTokens, c.limits)
		assert.Equal(t, r.Usage.PromptTokens+c.tokens, r.Usage.TotalTokens, c.limits)
	}

	resp := post(`{"model":"m","stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":4,` + hi + `}`)
	defer resp.Body.Close()
	var text strings.Builder
	var finish string
	var usage *Usage
	content := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ch chunk
		require.NoError(t, json.Unmarshal([]byte(data), &ch))
		if ch.Usage != nil {
			usage = ch.Usage
		}
		for _, c := range ch.Choices {
			if c.FinishReason != nil {
				finish = *c.FinishReason
			} else {
				content++
				text.WriteString(c.Delta.Content)
			}
		}
	}
	assert.Equal(t, 4, content, "four content events")
	assert.Equal(t, words(5, 4), text.String())
	assert.Equal(t, "length", finish)
	require.NotNil(t, usage)
	assert.Equal(t, 4, usage.CompletionTokens)
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

// serve runs Serve with a provider of cfg on a free loopback port; stop
// ends it and returns Serve's error.
func serve(t *testing.T, cfg mockprovider.Config) (addr string, stop func() error) {
	t.Helper()
	p, err := mockprovider.New(cfg)
	require.NoError(t, err)
	ln, err := Listen("127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, NewServer(p)) }()
	return ln.Addr().String(), func() error { cancel(); return <-done }
}

func TestServeShutsDownWithContext(t *testing.T) {
	addr, stop := serve(t, fastConfig())
	c, err := NewClient(ClientConfig{BaseURL: "http://" + addr + "/v1", Model: "m"})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Generate(context.Background(), "q")
	require.NoError(t, err)
	assert.NoError(t, stop())
	_, err = c.Generate(context.Background(), "q")
	assert.Error(t, err, "closed")
}

// A client that never finishes its body is cut off at the read timeout; a
// stream that lasts longer than the timeout is still served whole.
func TestServeBoundsSlowClients(t *testing.T) {
	defer func(r time.Duration) { readTimeout = r }(readTimeout)
	readTimeout = 300 * time.Millisecond
	cfg := fastConfig()
	cfg.ITL = mockprovider.DistSpec{Dist: "constant", Value: q(float64(100*time.Millisecond), true)} // 12 tokens: 1.1 s
	addr, stop := serve(t, cfg)
	defer func() { assert.NoError(t, stop()) }()

	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"model\":")
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = io.ReadAll(conn) // ends when the server closes the connection
	var nerr net.Error
	assert.False(t, errors.As(err, &nerr) && nerr.Timeout(), "the server kept a half-sent request's connection for 10 s")

	c, err := NewClient(ClientConfig{BaseURL: "http://" + addr + "/v1", Model: "m", Timeout: 10 * time.Second})
	require.NoError(t, err)
	defer c.Close()
	ch, err := c.Stream(context.Background(), "q")
	require.NoError(t, err)
	var toks []domain.Token
	for tok := range ch {
		toks = append(toks, tok)
	}
	require.Len(t, toks, 13, "a stream longer than the read timeout is served whole: 12 content tokens and the finish")
	assert.True(t, toks[12].Finished)
}
