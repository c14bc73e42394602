package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/llmbench/llmbench/core/domain"
)

// requestError is a request refused before any work: a 4xx with an
// OpenAI-style error body naming the parameter at fault.
type requestError struct {
	status int
	param  string
	msg    string
}

func (e *requestError) write(w http.ResponseWriter) {
	writeError(w, e.status, "invalid_request_error", e.param, e.msg)
}

func badParam(param, format string, args ...any) *requestError {
	return &requestError{http.StatusBadRequest, param, fmt.Sprintf(format, args...)}
}

// chatRequest is a checked request: what the server acts on.
type chatRequest struct {
	ChatRequest
	msgs []domain.Message
	// maxTokens caps the answer (0: no cap), from max_completion_tokens or
	// the older max_tokens.
	maxTokens int
}

// maxStops is how many stop sequences the OpenAI API accepts.
const maxStops = 4

// parseChat reads and checks a chat request as an OpenAI server does, so
// that a load test against the mock fails where it would fail against a
// real endpoint, with the same kind of message.
func (s *Server) parseChat(r *http.Request, w http.ResponseWriter) (*chatRequest, *requestError) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, &requestError{http.StatusUnsupportedMediaType, "",
				fmt.Sprintf("Content-Type %q is not supported: send the body as JSON with Content-Type: application/json", ct)}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &requestError{http.StatusRequestEntityTooLarge, "", fmt.Sprintf("request body larger than %d bytes", tooBig.Limit)}
		}
		return nil, badParam("", "reading the request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badParam("", "request body is empty: send a JSON object with model and messages")
	}
	if !utf8.Valid(body) {
		return nil, badParam("", "request body is not valid UTF-8 (first bad byte at offset %d)", invalidUTF8At(body))
	}
	var req chatRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req.ChatRequest); err != nil {
		return nil, decodeError(err)
	}
	// One JSON value and nothing after it: "{...}garbage" is not a request.
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return nil, badParam("", "request body is not valid JSON: %d byte(s) after the JSON object, starting %q", len(rest), preview(rest))
	}
	if perr := req.check(); perr != nil {
		return nil, perr
	}
	return &req, nil
}

func (req *chatRequest) check() *requestError {
	if req.Model == "" {
		return badParam("model", "model is required")
	}
	if len(req.Messages) == 0 {
		return badParam("messages", "messages must be a non-empty list")
	}
	msgs, err := toDomain(req.Messages)
	if err != nil {
		return badParam("messages", "%v", err)
	}
	req.msgs = msgs
	if req.StreamOptions != nil && !req.Stream {
		return badParam("stream_options", "stream_options is only allowed when stream is true")
	}
	if req.N != nil && *req.N != 1 {
		if *req.N < 1 {
			return badParam("n", "n must be at least 1 (got %d)", *req.N)
		}
		return badParam("n", "n %d: the mock server answers one choice per request; send n: 1 or leave it out", *req.N)
	}
	for _, lim := range []struct {
		name string
		v    *int
	}{{"max_tokens", req.MaxTokens}, {"max_completion_tokens", req.MaxCompletionTokens}} {
		if lim.v != nil && *lim.v < 1 {
			return badParam(lim.name, "%s must be at least 1 (got %d)", lim.name, *lim.v)
		}
	}
	// max_completion_tokens replaced max_tokens; when both are given the
	// newer one wins, as vLLM does.
	switch {
	case req.MaxCompletionTokens != nil:
		req.maxTokens = *req.MaxCompletionTokens
	case req.MaxTokens != nil:
		req.maxTokens = *req.MaxTokens
	}
	if t := req.Temperature; t != nil && (*t < 0 || *t > 2) {
		return badParam("temperature", "temperature must be between 0 and 2 (got %g)", *t)
	}
	if p := req.TopP; p != nil && (*p < 0 || *p > 1) {
		return badParam("top_p", "top_p must be between 0 and 1 (got %g)", *p)
	}
	return checkStop(req.Stop)
}

// checkStop accepts what the API does: null, a string, or a list of at most
// four strings. (The mock does not stop on them.)
func checkStop(raw json.RawMessage) *requestError {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return badParam("stop", "stop must be a string or a list of strings")
	}
	if len(list) > maxStops {
		return badParam("stop", "stop takes at most %d sequences (got %d)", maxStops, len(list))
	}
	return nil
}

// decodeError turns a json error into a message naming the field and the
// type it needs.
func decodeError(err error) *requestError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field == "":
		return badParam("", "request body must be a JSON object, not %s", te.Value)
	case errors.As(err, &te):
		return badParam(te.Field, "invalid type for '%s': expected %s, got %s", te.Field, kindName(te.Type), te.Value)
	case errors.As(err, &se):
		return badParam("", "request body is not valid JSON: %v (at byte %d)", se, se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badParam("", "request body is not valid JSON: it ends before the object does")
	}
	return badParam("", "request body is not valid JSON: %v", err)
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// preview is the start of some bytes, for a message.
func preview(b []byte) string {
	const most = 20
	if len(b) > most {
		return string(b[:most]) + "…"
	}
	return string(b)
}
