package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/examples/internal/exampletest"
)

// program is this example, for the tests all examples share.
var program = exampletest.Program{Name: name, Run: run}

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
	program.UsageErrors(t, []exampletest.UsageError{
		{Args: []string{"extra"}, Want: "unexpected arguments"},
		{Args: []string{"-resume", "projects/p/instances/i/backups/b/operations/o"}, Want: "-resume needs -live"},
		{Args: []string{"-copy"}, Want: "-copy goes with -resume"},
		{Args: []string{"-live"}, Want: "-live needs -parent, -database (or -source)"},
		{Args: []string{"-live", "-source", "projects/p/instances/i/backups/b"}, Want: "-live -source needs -parent"},
		{Args: []string{"-expire", "1h"}, Want: "-expire 1h0m0s: must be from 6h0m0s to 8784h0m0s"},
	})
	program.UnknownFlag(t)
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
	program.Help(t, "-live", "-resume", "-timeout", "-fake-duration", "-parent", "-database", "-source")
}

// Interrupted offline, the program says the backup died with the fake
// instead of suggesting a -resume that cannot work.
func TestInterruptedOffline(t *testing.T) {
	program.InterruptedOffline(t, "-fake-duration", "1m")
}

// Live without Google credentials: one line that says what to set.
func TestLiveMissingCredentials(t *testing.T) {
	program.NoGoogleCredentials(t, "-live", "-parent", demoParent, "-database", demoDatabase, "-endpoint", "http://127.0.0.1:9")
}
