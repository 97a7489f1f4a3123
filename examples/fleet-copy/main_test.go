package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runExample(t *testing.T, interrupts chan os.Signal, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, interrupts, &out, &errOut)
	return code, out.String(), errOut.String()
}

// The offline run makes the 40 copies, each once, and ends with a summary.
func TestOfflineRun(t *testing.T) {
	code, out, errOut := runExample(t, nil, "-fake-duration", "100ms")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "offline: 40 copies")
	assert.NotContains(t, out, "\x1b[", "a buffer is not a terminal: plain lines only")
	assert.Contains(t, out, "fsx/us-east-1 ")
	assert.Regexp(t, `(?m)^all +40 +40 +0`, out)
	assert.Contains(t, out, "the fakes hold exactly one copy for 40 of 40 plan items")
	assert.Empty(t, errOut)
}

// Stopped part-way (-interrupt-after), the run resumes from its state file:
// copies found running are followed, none is made twice.
func TestInterruptAndResume(t *testing.T) {
	state := filepath.Join(t.TempDir(), "demo.state")
	code, out, errOut := runExample(t, nil, "-fake-duration", "150ms", "-interrupt-after", "10", "-state", state)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "stopped: ")
	assert.Contains(t, out, "resuming from "+state)
	assert.Contains(t, out, "(resumed)")
	assert.Contains(t, out, "the fakes hold exactly one copy for 40 of 40 plan items")
	_, err := os.Stat(state)
	assert.NoError(t, err, "a state file named with -state is kept")
}

// Ctrl-C stops the run; the program resumes it; a second Ctrl-C quits.
func TestCtrlC(t *testing.T) {
	interrupts := make(chan os.Signal, 1)
	interrupts <- os.Interrupt // pressed before anything started
	code, out, errOut := runExample(t, interrupts, "-fake-duration", "100ms")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "stopped: ")
	assert.Contains(t, out, "the fakes hold exactly one copy for 40 of 40 plan items")

	interrupts = make(chan os.Signal, 2)
	interrupts <- os.Interrupt
	interrupts <- os.Interrupt
	code, out, _ = runExample(t, interrupts, "-fake-duration", "100ms")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "stopped again: quitting")
}

func TestFlags(t *testing.T) {
	code, _, _ := runExample(t, nil, "-h")
	assert.Equal(t, 0, code)
	for _, args := range [][]string{{"-fake-duration", "0"}, {"extra"}, {"-nope"}, {"-live"}} {
		code, _, errOut := runExample(t, nil, args...)
		assert.Equal(t, 2, code, args)
		assert.NotEmpty(t, strings.TrimSpace(errOut), args)
	}
}
