package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The offline run finishes every operation against the fakes, resumes the
// Bigtable copy through a fresh client, and ends with a summary table.
func TestOfflineRun(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-fake-duration", "600ms"}, &out, &errOut)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	s := out.String()
	assert.Contains(t, s, "offline")
	assert.NotContains(t, s, "\x1b[", "a buffer is not a terminal: plain lines only")
	i := strings.Index(s, "\nCLOUD ") + 1
	require.Positive(t, i, s)
	table := strings.Split(strings.TrimSpace(s[i:]), "\n")
	require.Len(t, table, 1+len(clouds), s)
	for n, cl := range clouds {
		assert.True(t, strings.HasPrefix(table[n+1], cl+" "), table[n+1])
		assert.NotContains(t, table[n+1], "FAILED")
	}
	assert.Contains(t, table[1], "resumed in a fresh client")
	assert.Contains(t, table[1], "READY")
	assert.Contains(t, s, "done")
	assert.Empty(t, errOut.String())
}

// -only runs a subset; the table has just those rows.
func TestOnly(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-only", "cbr", "-fake-duration", "100ms"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	s := out.String()
	assert.Contains(t, s, "replica ")
	assert.NotContains(t, s, "bigtable")
}

// A run that ends before the operations do fails with exit code 1 and says
// which operations did not finish.
func TestTimeout(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-only", "spanner", "-fake-duration", "1m", "-timeout", "300ms"}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, out.String(), "FAILED")
	assert.Contains(t, errOut.String(), "1 of 1 operations failed")
}

func TestFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-only", "azure"}, `unknown cloud "azure"`},
		{[]string{"-only", ","}, "name at least one cloud"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-live"}, "-live: bigtable needs -bigtable-source, -bigtable-parent; spanner needs -spanner-database; cbr needs"},
		{[]string{"-live", "-only", "fsx"}, "fsx needs -fsx-source-backup (or leave clouds out with -only)"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tt.args, &out, &errOut)
		assert.Equal(t, 2, code, tt.args)
		assert.Contains(t, errOut.String(), tt.want, tt.args)
		assert.Equal(t, 1, strings.Count(errOut.String(), "\n"), "one line: %q", errOut.String())
		assert.Empty(t, out.String())
	}
}

// A live run without credentials says in one line what to set, before any
// network I/O.
func TestLiveMissingCredentials(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(home, "missing.json"))
	t.Setenv("CLOUDSDK_CONFIG", home)
	for _, k := range []string{"HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-only", "bigtable", "-bigtable-source", "projects/p/instances/i/clusters/c/backups/b", "-bigtable-parent", "projects/p/instances/i/clusters/d"}, "gcloud auth application-default login"},
		{[]string{"-only", "spanner", "-spanner-database", "projects/p/instances/i/databases/d"}, "GOOGLE_APPLICATION_CREDENTIALS"},
		{[]string{"-only", "cbr", "-cbr-region", "cn-north-4", "-cbr-backup", "b", "-cbr-dest-region", "cn-east-3", "-cbr-dest-project", "p", "-cbr-dest-vault", "v"}, "HUAWEICLOUD_SDK_AK"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"-live"}, tt.args...), &out, &errOut)
		assert.Equal(t, 1, code, tt.args)
		assert.Contains(t, out.String(), tt.want, tt.args)
		row := out.String()[strings.Index(out.String(), "\nCLOUD ")+1:]
		assert.Equal(t, 2, strings.Count(strings.TrimSpace(row), "\n")+1, "header and one row: %q", row)
	}
}

// -h prints the flags, the live resource flags among them, and succeeds.
func TestHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-h"}, &out, &errOut)
	assert.Equal(t, 0, code)
	for _, f := range []string{"-live", "-only", "-bigtable-source", "-spanner-database", "-cbr-backup", "-fsx-source-backup"} {
		assert.Contains(t, errOut.String(), f)
	}
}
