package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The offline run copies the seeded backup in the fake and prints its
// progress to the end.
func TestOfflineRun(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-fake-duration", "600ms", "-backup-id", "nightly-copy"}, &out, &errOut)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	s := out.String()
	assert.Contains(t, s, "offline")
	assert.Contains(t, s, "operation operations/"+demoParent+"/backups/nightly-copy/operations/")
	assert.Contains(t, s, "100%  done")
	assert.Contains(t, s, "backup "+demoParent+"/backups/nightly-copy is READY")
	assert.Contains(t, s, "copied from "+demoSource)
	assert.NotContains(t, s, "-resume", "offline there is nothing to resume")
	assert.Empty(t, errOut.String())
}

func TestFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-resume", "operations/x"}, "-resume needs -live"},
		{[]string{"-live"}, "-live needs -source, -parent"},
		{[]string{"-live", "-source", demoSource}, "-live needs -parent"},
		{[]string{"-expire", "1h"}, "-expire 1h0m0s: must be from 6h0m0s to 720h0m0s"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tt.args, &out, &errOut)
		assert.Equal(t, 2, code, tt.args)
		assert.True(t, strings.HasPrefix(errOut.String(), name+": "), errOut.String())
		assert.Contains(t, errOut.String(), tt.want, tt.args)
		assert.Equal(t, 1, strings.Count(errOut.String(), "\n"), "one line: %q", errOut.String())
		assert.Empty(t, out.String())
	}
	// An unknown flag: the flag package's message and the help, exit 2.
	var out, errOut bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"-fake"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "flag provided but not defined: -fake")
	assert.Contains(t, errOut.String(), "Usage: "+name+" [flags]")
}

// A value the library refuses fails before any copy, naming the field.
func TestInvalidValue(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-backup-id", "bad id"}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), "BackupID")
}

// -h prints the help in the common layout and succeeds.
func TestHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-h"}, &out, &errOut)
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(errOut.String(), "Usage: "+name+" [flags]\n\n"), errOut.String())
	for _, f := range []string{"\nFlags:\n", "-live", "-resume", "-timeout", "-fake-duration", "-source", "-parent"} {
		assert.Contains(t, errOut.String(), f)
	}
	assert.Empty(t, out.String())
}

// Interrupted offline, the program says the copy died with the fake instead
// of suggesting a -resume that cannot work.
func TestInterruptedOffline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(500*time.Millisecond, cancel)
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"-fake-duration", "1m"}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), name+": interrupted before the operation finished")
	assert.Contains(t, errOut.String(), "nothing to resume")
	assert.NotContains(t, out.String()+errOut.String(), "-resume")
}

// Live without Google credentials: one line that says what to set, naming
// no library option (this program has no flag for them).
func TestLiveMissingCredentials(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(home, "missing.json"))
	t.Setenv("CLOUDSDK_CONFIG", home)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-live", "-source", demoSource, "-parent", demoParent, "-endpoint", "http://127.0.0.1:9"}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(errOut.String(), name+": "), errOut.String())
	assert.Contains(t, errOut.String(), "GOOGLE_APPLICATION_CREDENTIALS")
	assert.NotContains(t, errOut.String(), "WithTokenSource")
	assert.Equal(t, 1, strings.Count(errOut.String(), "\n"), "one line: %q", errOut.String())
}
