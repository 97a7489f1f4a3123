// Package exampletest holds the tests every example program shares: the
// help layout, one-line usage errors with exit code 2, the flag package's
// own errors, and what an offline run says when it is interrupted. Only the
// examples' tests import it, so the programs themselves stay stand-alone.
package exampletest

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Program is an example: its name (every error line starts with it) and its
// run function, which returns the exit code.
type Program struct {
	// Name is the program's name, as its help and errors print it.
	Name string
	// Run runs the program with args, writing to out and errOut.
	Run func(ctx context.Context, args []string, out, errOut io.Writer) int
}

// run runs p with args and returns its exit code, stdout and stderr.
func (p Program) run(ctx context.Context, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := p.Run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// UsageError is a command line that must fail with exit code 2 and one
// line on stderr that starts with the program's name and contains Want.
type UsageError struct {
	// Args is the command line.
	Args []string
	// Want is part of the expected message.
	Want string
}

// UsageErrors checks each command line of tests, and that none of the
// messages contains any of never (for example a library option's name,
// where the program has a flag).
func (p Program) UsageErrors(t *testing.T, tests []UsageError, never ...string) {
	t.Helper()
	for _, tt := range tests {
		code, out, errOut := p.run(context.Background(), tt.Args...)
		assert.Equal(t, 2, code, tt.Args)
		assert.True(t, strings.HasPrefix(errOut, p.Name+": "), errOut)
		assert.Contains(t, errOut, tt.Want, tt.Args)
		for _, n := range never {
			assert.NotContains(t, errOut, n, tt.Args)
		}
		assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
		assert.Empty(t, out)
	}
}

// UnknownFlag checks that an unknown flag fails with exit code 2, the flag
// package's message and the help.
func (p Program) UnknownFlag(t *testing.T) {
	t.Helper()
	code, _, errOut := p.run(context.Background(), "-fake")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "flag provided but not defined: -fake")
	assert.Contains(t, errOut, "Usage: "+p.Name+" [flags]")
}

// Help checks that -h prints the help in the common layout, naming each
// of flags, on stderr, and exits 0.
func (p Program) Help(t *testing.T, flags ...string) {
	t.Helper()
	code, out, errOut := p.run(context.Background(), "-h")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(errOut, "Usage: "+p.Name+" [flags]\n\n"), errOut)
	for _, f := range append([]string{"\nFlags:\n"}, flags...) {
		assert.Contains(t, errOut, f)
	}
	assert.Empty(t, out)
}

// InterruptedOffline checks that an offline run interrupted before its
// operation ends (args make it last a minute) fails with exit code 1 and
// says the operation died with the fake, suggesting no -resume that cannot
// work.
func (p Program) InterruptedOffline(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(500*time.Millisecond, cancel)
	code, out, errOut := p.run(ctx, args...)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, p.Name+": interrupted before the operation finished")
	assert.Contains(t, errOut, "nothing to resume")
	assert.NotContains(t, out+errOut, "-resume")
}

// NoGoogleCredentials checks that a live run (args) without Google
// credentials fails with exit code 1 and one line that says what to set,
// naming no library option (the programs have no flag for them).
func (p Program) NoGoogleCredentials(t *testing.T, args ...string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(home, "missing.json"))
	t.Setenv("CLOUDSDK_CONFIG", home)
	code, _, errOut := p.run(context.Background(), args...)
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(errOut, p.Name+": "), errOut)
	assert.Contains(t, errOut, "GOOGLE_APPLICATION_CREDENTIALS")
	assert.NotContains(t, errOut, "WithTokenSource")
	assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
}
