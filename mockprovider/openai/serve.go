package openai

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// DefaultAddr is where the mock server listens unless told otherwise:
// loopback only, so that nothing outside this machine can reach it.
const DefaultAddr = "127.0.0.1:8080"

// ShutdownGrace bounds how long Serve waits for streams in progress once
// its context ends.
const ShutdownGrace = 5 * time.Second

// A client that sends its body slowly, or holds a connection idle, ties up
// a connection: each has a bound. The read deadline covers the request and
// is lifted once its body is read, so streams of any length are served.
// Variables, so that a test can shorten them.
var (
	readTimeout = 30 * time.Second
	idleTimeout = 2 * time.Minute
)

// Listen opens addr (":0" for a free port) and returns the bound listener.
func Listen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

// Serve serves h on ln until ctx ends, then shuts down gracefully: no new
// connections, streams in progress get ShutdownGrace to finish, and the rest
// are closed. It returns nil after a shutdown caused by ctx.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: readTimeout, IdleTimeout: idleTimeout}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
