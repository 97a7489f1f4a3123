package main

import (
	"bytes"
	"context"
	"path/filepath"
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
	code := run(context.Background(), []string{"-fake-duration", "600ms", "-copy-tags"}, &out, &errOut)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	s := out.String()
	for _, want := range []string{"offline", "operation backup-", "COPYING", "100%  AVAILABLE", "done: backup ", "{Name nightly}", "{purpose disaster-recovery}"} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "-resume", "offline there is nothing to resume")
	assert.Empty(t, errOut.String())
}

func TestFlags(t *testing.T) {
	// No region anywhere: no variables, no profile.
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "none"))
	program.UsageErrors(t, []exampletest.UsageError{
		{Args: []string{"extra"}, Want: "unexpected arguments"},
		{Args: []string{"-resume", "backup-0123456789"}, Want: "-resume needs -live"},
		{Args: []string{"-live", "-source", "backup-0123456789abcdef0"}, Want: "-live needs -region (or $AWS_REGION"},
		{Args: []string{"-live", "-region", "us-west-2"}, Want: "-live needs -source"},
	}, "WithRegion")
	program.UnknownFlag(t)
	// A -tag the flag package refuses: its message, with the help, exit 2.
	var out, errOut bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"-tag", "novalue"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "want key=value")
	assert.Contains(t, errOut.String(), "Usage: "+name+" [flags]")
	assert.Empty(t, out.String())
}

// -resume without -live is refused as such: no mention of a -fake flag the
// user never passed.
func TestResumeNeedsLive(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-resume", "backup-0123456789abcdef0"}, &out, &errOut)
	assert.Equal(t, 2, code)
	assert.NotContains(t, errOut.String(), "-fake")
}

// -h prints the help in the common layout and succeeds.
func TestHelp(t *testing.T) {
	program.Help(t, "-live", "-resume", "-timeout", "-fake-duration", "-region", "-source")
}

// Interrupted offline, the program says the copy died with the fake instead
// of suggesting a -resume that cannot work.
func TestInterruptedOffline(t *testing.T) {
	program.InterruptedOffline(t, "-fake-duration", "1m")
}

func TestTagFlags(t *testing.T) {
	var tf tagFlags
	require.NoError(t, tf.Set("a=b=c"))
	assert.Error(t, tf.Set("novalue"))
	assert.Equal(t, "a=b=c", tf.String())
}
