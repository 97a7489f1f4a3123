package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/examples/internal/exampletest"
)

// program is this example, for the tests all examples share.
var program = exampletest.Program{Name: name, Run: run}

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
	program.UsageErrors(t, []exampletest.UsageError{
		{Args: []string{"extra"}, Want: "unexpected arguments"},
		{Args: []string{"-resume", "cbr1.x"}, Want: "-resume needs -live"},
		{Args: []string{"-live"}, Want: "-live needs -region, -project (or $HUAWEICLOUD_SDK_PROJECT_ID), -source, -dest-region, -dest-project, -dest-vault"},
		{Args: []string{"-live", "-resume", "cbr1.x", "-project", "p"}, Want: "-live -resume needs -region"},
	}, "With")
	program.UnknownFlag(t)
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
	program.Help(t, "-live", "-resume", "-timeout", "-fake-duration", "-region", "-project", "-source", "-dest-vault")
}

// Interrupted offline, the program says the replication died with the fake
// instead of suggesting a -resume that cannot work.
func TestInterruptedOffline(t *testing.T) {
	program.InterruptedOffline(t, "-fake-duration", "1m")
}
