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
	program.UsageErrors(t, []exampletest.UsageError{
		{Args: []string{"extra"}, Want: "unexpected arguments"},
		{Args: []string{"-resume", "operations/x"}, Want: "-resume needs -live"},
		{Args: []string{"-live"}, Want: "-live needs -source, -parent"},
		{Args: []string{"-live", "-source", demoSource}, Want: "-live needs -parent"},
		{Args: []string{"-expire", "1h"}, Want: "-expire 1h0m0s: must be from 6h0m0s to 720h0m0s"},
	})
	program.UnknownFlag(t)
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
	program.Help(t, "-live", "-resume", "-timeout", "-fake-duration", "-source", "-parent")
}

// Interrupted offline, the program says the copy died with the fake instead
// of suggesting a -resume that cannot work.
func TestInterruptedOffline(t *testing.T) {
	program.InterruptedOffline(t, "-fake-duration", "1m")
}

// Live without Google credentials: one line that says what to set.
func TestLiveMissingCredentials(t *testing.T) {
	program.NoGoogleCredentials(t, "-live", "-source", demoSource, "-parent", demoParent, "-endpoint", "http://127.0.0.1:9")
}
