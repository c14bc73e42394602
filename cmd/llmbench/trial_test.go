package main

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Problems found by trying llmbench as a new user, then with bad input on
// purpose; each test fails without its fix.

func TestMockUnknownSubcommandExitsTwo(t *testing.T) {
	code, _, errs := cli(t, "mock", "srve")
	assert.Equal(t, exitBadInput, code, errs)
	assert.Contains(t, errs, `unknown command "srve" for "llmbench mock"`)
	code, out, errs := cli(t, "mock")
	assert.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "serve", "llmbench mock alone prints its help")
}

func TestListenIsLoopbackUnlessTheHostSaysOtherwise(t *testing.T) {
	for _, addr := range []string{":0", "127.0.0.1:0"} {
		ln, err := listen("--addr", addr)
		require.NoError(t, err, addr)
		ip := ln.Addr().(*net.TCPAddr).IP
		assert.True(t, ip.IsLoopback(), "%s listened on %s, beyond this machine", addr, ln.Addr())
		require.NoError(t, ln.Close())
	}
	// Bounded: without the check, the server would serve until stopped.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"mock", "serve", "--addr", ""}, &out, &errb)
	assert.Equal(t, exitBadInput, code, "mock serve --addr \"\" served on %s", out.String())
	assert.Contains(t, errb.String(), `--addr "": give host:port`)
	code, _, errs := cli(t, "run", "testdata/tiny.yaml", "--metrics-addr", "9464", "--out", t.TempDir())
	assert.Equal(t, exitBadInput, code, errs)
	assert.Contains(t, errs, "--metrics-addr 9464: missing port in address; give host:port")
}
