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

// The offline run backs up the seeded database (or copies a seeded backup)
// in the fake and prints its progress to the end.
func TestOfflineRun(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"create", []string{"-fake-duration", "600ms"}, []string{"backing up " + demoDatabase, "creating", "100%  done", "is READY"}},
		{"copy", []string{"-fake-duration", "600ms", "-source", demoParent + "/backups/seed", "-parent", "projects/demo-project/instances/dr"},
			[]string{"copying " + demoParent + "/backups/seed", "100%  done", "copied from " + demoParent + "/backups/seed"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tt.args, &out, &errOut)
			require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
			assert.Contains(t, out.String(), "offline")
			for _, w := range tt.want {
				assert.Contains(t, out.String(), w)
			}
			assert.NotContains(t, out.String(), "-resume", "offline there is nothing to resume")
			assert.Empty(t, errOut.String())
		})
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-resume", "projects/p/instances/i/backups/b/operations/o"}, "-resume needs -live"},
		{[]string{"-copy"}, "-copy goes with -resume"},
		{[]string{"-live"}, "-live needs -parent, -database (or -source)"},
		{[]string{"-live", "-source", "projects/p/instances/i/backups/b"}, "-live -source needs -parent"},
		{[]string{"-expire", "1h"}, "-expire 1h0m0s: must be from 6h0m0s to 8784h0m0s"},
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
	var out, errOut bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"-fake"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "flag provided but not defined: -fake")
	assert.Contains(t, errOut.String(), "Usage: "+name+" [flags]")
}

// A value the library refuses fails before any backup, naming the field.
func TestInvalidValue(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-backup-id", "Bad_ID"}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), "BackupID")
}

// -h prints the help in the common layout and succeeds.
func TestHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-h"}, &out, &errOut)
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(errOut.String(), "Usage: "+name+" [flags]\n\n"), errOut.String())
	for _, f := range []string{"\nFlags:\n", "-live", "-resume", "-timeout", "-fake-duration", "-parent", "-database", "-source"} {
		assert.Contains(t, errOut.String(), f)
	}
	assert.Empty(t, out.String())
}

// Interrupted offline, the program says the backup died with the fake
// instead of suggesting a -resume that cannot work.
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
	code := run(context.Background(), []string{"-live", "-parent", demoParent, "-database", demoDatabase, "-endpoint", "http://127.0.0.1:9"}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(errOut.String(), name+": "), errOut.String())
	assert.Contains(t, errOut.String(), "GOOGLE_APPLICATION_CREDENTIALS")
	assert.NotContains(t, errOut.String(), "WithTokenSource")
	assert.Equal(t, 1, strings.Count(errOut.String(), "\n"), "one line: %q", errOut.String())
}
