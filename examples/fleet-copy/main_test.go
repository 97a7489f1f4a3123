package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/fleet"
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
	code, _, errOut := runExample(t, nil, "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, errOut, "Copies 40 backups on four clouds", "-h says what the program does")
	assert.Contains(t, errOut, "-interrupt-after int", "and lists the flags")
	for _, args := range [][]string{{"-fake-duration", "0"}, {"extra"}, {"-nope"}, {"-live"}} {
		code, _, errOut := runExample(t, nil, args...)
		assert.Equal(t, 2, code, args)
		assert.NotEmpty(t, strings.TrimSpace(errOut), args)
	}
}

func TestShortGroup(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"fsx/us-east-1", "fsx/us-east-1"},
		{"bigtable/projects/demo/instances/dr/clusters/dr-c1", "bigtable/.../clusters/dr-c1"},
		{"spanner-copy/projects/demo/instances/dr-a", "spanner-copy/.../dr-a"},
		{"spanner-create/projects/demo/instances/orders/databases/ledger", "spanner-create/.../ledger"},
		{"cbr/0f1e2d3c4b5a69788796a5b4c3d2e1f0/cn-east-3", "cbr/.../cn-east-3"},
		{"a-group-name-without-any-slash-at-all", "a-group-name-without-any-..."},
		{"spanner-create/projects/demo/instances/orders/databases/a-database-name-too-long", "spanner-create/.../a-data..."},
	} {
		got := shortGroup(tc.in, groupWidth)
		assert.Equal(t, tc.want, got, tc.in)
		assert.LessOrEqual(t, len(got), groupWidth, tc.in)
	}
}

// On a terminal the table is redrawn in place by moving the cursor up one
// line per line drawn: every line fits 80 columns, so none wraps, and the
// cursor goes back up exactly as many lines as were drawn.
func TestBoardFits80Columns(t *testing.T) {
	var out bytes.Buffer
	b := newBoard(&out, true)
	groups := []string{"bigtable/projects/demo/instances/dr/clusters/dr-c1", "spanner-create/projects/demo/instances/orders/databases/ledger",
		"cbr/0f1e2d3c4b5a69788796a5b4c3d2e1f0/cn-east-3", "fsx/us-east-1"}
	for i := range 200 {
		b.event(fleet.Event{Type: fleet.EventStarted, Key: fmt.Sprintf("copy-%03d", i), Group: groups[i%len(groups)], Limit: 5})
	}
	b.draw()
	first := out.String()
	b.draw()
	second := strings.TrimPrefix(out.String(), first)
	assert.True(t, strings.HasPrefix(second, fmt.Sprintf("\r\x1b[%dA", len(groups)+2)), "moves up over the header, %d groups and the total", len(groups))
	for _, l := range strings.Split(strings.TrimSuffix(first, "\n"), "\n") {
		l = strings.TrimSuffix(l, "\x1b[K")
		assert.LessOrEqual(t, len(l), 79, "%q", l)
	}
	assert.Contains(t, first, "bigtable/.../clusters/dr-c1")
}
