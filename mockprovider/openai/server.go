package openai

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/llmbench/llmbench/mockprovider"
)

// DefaultMaxBody bounds a request body.
const DefaultMaxBody = 1 << 20

// Server serves a mock provider as an OpenAI-compatible API:
// POST /v1/chat/completions (JSON or SSE), GET /v1/models.
type Server struct {
	p       *mockprovider.Provider
	maxBody int64
	mux     *http.ServeMux
}

// NewServer wraps p.
func NewServer(p *mockprovider.Provider) *Server {
	s := &Server{p: p, maxBody: DefaultMaxBody, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /v1/chat/completions", s.chat)
	s.mux.HandleFunc("GET /v1/models", s.models)
	allowed := map[string]string{"/v1/chat/completions": http.MethodPost, "/v1/models": http.MethodGet}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if m, ok := allowed[r.URL.Path]; ok {
			w.Header().Set("Allow", m)
			writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "", fmt.Sprintf("%s takes %s, not %s", r.URL.Path, m, r.Method))
			return
		}
		writeError(w, http.StatusNotFound, "invalid_request_error", "", fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
	})
	return s
}

// SetMaxBody changes the request size limit (413 beyond it).
func (s *Server) SetMaxBody(n int64) { s.maxBody = n }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) models(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, ModelList{Object: "list", Data: []ModelInfo{
		{ID: s.p.Config().Model, Object: "model", OwnedBy: "llmbench"},
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, typ, param, msg string) {
	d := ErrorDetail{Message: msg, Type: typ}
	if param != "" {
		d.Param = &param
	}
	writeJSON(w, status, ErrorBody{Error: d})
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	req, perr := s.parseChat(r, w)
	if perr != nil {
		perr.write(w)
		return
	}
	if model := s.p.Config().Model; req.Model != model {
		// As OpenAI answers an unknown model.
		d := ErrorDetail{Message: fmt.Sprintf("The model %q does not exist; this server serves %q (GET /v1/models)", req.Model, model), Type: "invalid_request_error"}
		param, code := "model", "model_not_found"
		d.Param, d.Code = &param, &code
		writeJSON(w, http.StatusNotFound, ErrorBody{Error: d})
		return
	}
	prompt := mockprovider.MessageTokens(req.msgs)
	ctx := r.Context()
	if h := r.Header.Get(RequestIndexHeader); h != "" {
		n, err := strconv.ParseUint(h, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "", RequestIndexHeader+" must be a request number")
			return
		}
		ctx = mockprovider.WithRequestIndex(ctx, n)
	}
	c, err := s.p.Start(ctx, prompt)
	if err != nil {
		s.startError(w, err)
		return
	}
	defer c.Close()
	finish := "stop"
	if req.maxTokens > 0 && c.Tokens > req.maxTokens {
		// As a real server: the answer stops at the limit, a prefix of the
		// one it would have given, and says why.
		c.Tokens, finish = req.maxTokens, "length"
	}
	id := "chatcmpl-" + strconv.FormatUint(c.Index, 10)
	usage := Usage{PromptTokens: prompt, CompletionTokens: c.Tokens, TotalTokens: prompt + c.Tokens}
	if req.Stream {
		s.stream(ctx, w, c, id, req, usage, finish)
		return
	}
	text, err := c.Rest(ctx)
	if err != nil {
		s.callError(w, err)
		return
	}
	if c.Fault == mockprovider.FaultMalformed {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"`+id+`","choices":[{"message":{"content":"`) // and no more
		return
	}
	writeJSON(w, http.StatusOK, ChatResponse{ID: id, Object: "chat.completion", Created: time.Now().Unix(), Model: req.Model,
		Choices: []Choice{{Message: &ChatContent{Role: "assistant", Content: text}, FinishReason: &finish}}, Usage: &usage})
}

// startError answers a request refused before it started.
func (s *Server) startError(w http.ResponseWriter, err error) {
	var rl *mockprovider.RateLimitError
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(rl.RetryAfter.Seconds()))))
		writeError(w, http.StatusTooManyRequests, "rate_limit_exceeded", "", rl.Error())
		return
	}
	s.callError(w, err)
}

// callError answers a request that failed before any byte of its answer.
func (s *Server) callError(w http.ResponseWriter, err error) {
	var se *mockprovider.ServerError
	switch {
	case errors.As(err, &se):
		writeError(w, se.Status, "server_error", "", err.Error())
	case errors.Is(err, mockprovider.ErrStreamCut):
		writeError(w, http.StatusBadGateway, "server_error", "", err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// The client has gone: nobody reads an answer.
	default:
		writeError(w, http.StatusInternalServerError, "server_error", "", err.Error())
	}
}

type chunk struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Created int64    `json:"created"`
	Model   string   `json:"model"`
	Choices []Choice `json:"choices"`
	Usage   *Usage   `json:"usage,omitempty"`
}

// stream sends one SSE event per token at its deadline. Headers wait for
// the first token, so a failure before it is still a proper HTTP error.
func (s *Server) stream(ctx context.Context, w http.ResponseWriter, c *mockprovider.Call, id string, req *chatRequest, usage Usage, finish string) {
	rc := http.NewResponseController(w)
	bw := bufio.NewWriterSize(w, 4096)
	enc := json.NewEncoder(bw)
	ch := chunk{ID: id, Object: "chat.completion.chunk", Created: time.Now().Unix(), Model: req.Model, Choices: make([]Choice, 1)}
	delta := ChatContent{Role: "assistant"}
	send := func() error {
		if _, err := bw.WriteString("data: "); err != nil {
			return err
		}
		if err := enc.Encode(&ch); err != nil { // Encode ends the line
			return err
		}
		if _, err := bw.WriteString("\n"); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		return rc.Flush()
	}
	for i := 0; ; i++ {
		tok, err := c.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			if i == 0 {
				s.callError(w, err)
				return
			}
			// Part-way: end the connection without [DONE], as a dropped
			// upstream does; the client sees a truncated stream.
			panic(http.ErrAbortHandler)
		}
		if i == 0 {
			h := w.Header()
			h.Set("Content-Type", "text/event-stream")
			h.Set("Cache-Control", "no-cache")
			h.Set("Connection", "keep-alive")
			w.WriteHeader(http.StatusOK)
		}
		if c.Fault == mockprovider.FaultMalformed && i == c.CutAt() {
			_, _ = bw.WriteString("data: {\"choices\":[{\"delta\":{\"content\":\n\n")
		}
		delta.Content = tok.Text
		ch.Choices[0] = Choice{Delta: &delta}
		if err := send(); err != nil {
			return // the client has gone; ctx ends the call
		}
		delta.Role = ""
	}
	ch.Choices[0] = Choice{Delta: &ChatContent{}, FinishReason: &finish}
	if send() != nil {
		return
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		ch.Choices = []Choice{}
		ch.Usage = &usage
		if send() != nil {
			return
		}
	}
	_, _ = bw.WriteString("data: [DONE]\n\n")
	_ = bw.Flush()
	_ = rc.Flush()
}
