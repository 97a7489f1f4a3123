package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/cbr"
)

// The offline run replicates the seeded backup in the fake and prints its
// progress to the end.
func TestOfflineRun(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-fake-duration", "600ms", "-check"}, &out, &errOut)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	s := out.String()
	for _, want := range []string{"offline", "operation cbr1.", "replicating", "100%  success", "done: replica "} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "-resume", "offline there is nothing to resume")
	assert.Empty(t, errOut.String())
}

func TestFlags(t *testing.T) {
	t.Setenv(cbr.EnvProjectID, "")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-resume", "cbr1.x"}, "-resume needs -live"},
		{[]string{"-live"}, "-live needs -region, -project (or $HUAWEICLOUD_SDK_PROJECT_ID), -source, -dest-region, -dest-project, -dest-vault"},
		{[]string{"-live", "-resume", "cbr1.x", "-project", "p"}, "-live -resume needs -region"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tt.args, &out, &errOut)
		assert.Equal(t, 2, code, tt.args)
		assert.True(t, strings.HasPrefix(errOut.String(), name+": "), errOut.String())
		assert.Contains(t, errOut.String(), tt.want, tt.args)
		assert.NotContains(t, errOut.String(), "With", "names the program's flags, not library options")
		assert.Equal(t, 1, strings.Count(errOut.String(), "\n"), "one line: %q", errOut.String())
		assert.Empty(t, out.String())
	}
	var out, errOut bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"-fake"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "flag provided but not defined: -fake")
	assert.Contains(t, errOut.String(), "Usage: "+name+" [flags]")
}

// Live without credentials: one line naming the variables to set, before
// any network I/O.
func TestLiveMissingCredentials(t *testing.T) {
	t.Setenv(cbr.EnvAccessKey, "")
	t.Setenv(cbr.EnvSecretKey, "")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-live", "-region", "cn-north-4", "-project", "p", "-source", "b",
		"-dest-region", "cn-east-3", "-dest-project", "d", "-dest-vault", "v", "-endpoint", "http://127.0.0.1:9"}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Equal(t, name+": no credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (an access key and its secret key)\n", errOut.String())
}

// -h prints the help in the common layout and succeeds.
func TestHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-h"}, &out, &errOut)
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(errOut.String(), "Usage: "+name+" [flags]\n\n"), errOut.String())
	for _, f := range []string{"\nFlags:\n", "-live", "-resume", "-timeout", "-fake-duration", "-region", "-project", "-source", "-dest-vault"} {
		assert.Contains(t, errOut.String(), f)
	}
	assert.Empty(t, out.String())
}

// Interrupted offline, the program says the replication died with the fake
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
