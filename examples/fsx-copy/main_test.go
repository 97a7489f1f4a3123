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
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-resume", "backup-0123456789"}, "-resume needs -live"},
		{[]string{"-live", "-source", "backup-0123456789abcdef0"}, "-live needs -region (or $AWS_REGION"},
		{[]string{"-live", "-region", "us-west-2"}, "-live needs -source"},
		{[]string{"-tag", "novalue"}, "want key=value"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tt.args, &out, &errOut)
		assert.Equal(t, 2, code, tt.args)
		assert.Contains(t, errOut.String(), tt.want, tt.args)
		assert.NotContains(t, errOut.String(), "WithRegion", "names the program's flags, not library options")
		assert.Empty(t, out.String())
		if tt.args[0] != "-tag" { // the flag package reports its own errors, with the help
			assert.True(t, strings.HasPrefix(errOut.String(), name+": "), errOut.String())
			assert.Equal(t, 1, strings.Count(errOut.String(), "\n"), "one line: %q", errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"-fake"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "flag provided but not defined: -fake")
	assert.Contains(t, errOut.String(), "Usage: "+name+" [flags]")
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
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-h"}, &out, &errOut)
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(errOut.String(), "Usage: "+name+" [flags]\n\n"), errOut.String())
	for _, f := range []string{"\nFlags:\n", "-live", "-resume", "-timeout", "-fake-duration", "-region", "-source"} {
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

func TestTagFlags(t *testing.T) {
	var tf tagFlags
	require.NoError(t, tf.Set("a=b=c"))
	assert.Error(t, tf.Set("novalue"))
	assert.Equal(t, "a=b=c", tf.String())
}
