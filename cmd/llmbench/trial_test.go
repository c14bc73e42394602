package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
