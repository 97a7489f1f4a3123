package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/examples/internal/exampletest"
)

// program is this example, for the tests all examples share.
var program = exampletest.Program{Name: name, Run: run}

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
	require.Len(t, table, 1+len(clouds)+1, s)
	assert.Equal(t, "(operation names shortened; -o json prints them in full)", table[len(table)-1])
	for n, cl := range clouds {
		assert.True(t, strings.HasPrefix(table[n+1], cl+" "), table[n+1])
		assert.NotContains(t, table[n+1], "FAILED")
	}
	assert.Contains(t, table[1], "resumed by name")
	assert.Contains(t, table[1], "READY")
	assert.Contains(t, s, "done")
	assert.Empty(t, errOut.String())

	// Every line fits a 100-column terminal.
	for _, l := range strings.Split(s, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(l), 100, "%q", l)
	}
	// The Bigtable row: one line when the copy starts, "resumed" only after
	// the resume (past 25%), never the same line twice.
	var bt []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "bigtable CopyBackup ") {
			bt = append(bt, l)
		}
	}
	require.NotEmpty(t, bt, s)
	assert.Contains(t, bt[0], " running ")
	for j, l := range bt {
		if j > 0 {
			assert.NotEqual(t, bt[j-1], l, "a line printed twice")
		}
		if strings.Contains(l, " resumed ") {
			pct, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.Fields(strings.SplitN(l, "]", 2)[1])[0], "%")))
			require.NoError(t, err, l)
			assert.GreaterOrEqual(t, pct, 25, "resumed only once past 25%%: %q", l)
		}
	}
	assert.Contains(t, strings.Join(bt, "\n"), " resumed ")
}

// -o json prints one JSON document on stdout, with the full operation names;
// the progress goes to stderr.
func TestJSONOutput(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-o", "json", "-fake-duration", "300ms"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	var doc struct {
		Operations []struct {
			Cloud, Call, Name, State, Result, Error string
		} `json:"operations"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &doc), out.String())
	require.Len(t, doc.Operations, len(clouds))
	for n, op := range doc.Operations {
		assert.Equal(t, clouds[n], op.Cloud)
		assert.Equal(t, "done", op.State)
		assert.Empty(t, op.Error)
		assert.NotContains(t, op.Name, "…")
	}
	assert.Greater(t, len(doc.Operations[2].Name), 100, "the CBR name, in full")
	assert.Contains(t, errOut.String(), "offline")
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
	home := t.TempDir() // no AWS region anywhere: no variables, no profile
	t.Setenv("HOME", home)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "none"))
	program.UsageErrors(t, []exampletest.UsageError{
		{Args: []string{"-only", "azure"}, Want: `unknown cloud "azure"`},
		{Args: []string{"-only", ","}, Want: "name at least one cloud"},
		{Args: []string{"extra"}, Want: "unexpected arguments"},
		{Args: []string{"-o", "yaml"}, Want: `-o "yaml": choose table or json`},
		{Args: []string{"-live"}, Want: "-live: bigtable needs -bigtable-source, -bigtable-parent; spanner needs -spanner-database; cbr needs"},
		{Args: []string{"-live", "-only", "fsx", "-fsx-region", "eu-west-1"}, Want: "fsx needs -fsx-source (or leave clouds out with -only)"},
		{Args: []string{"-live", "-only", "fsx"}, Want: "fsx needs -fsx-source, -fsx-region (or $AWS_REGION)"},
	})
	program.UnknownFlag(t)
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
		{[]string{"-only", "cbr", "-cbr-region", "cn-north-4", "-cbr-source", "b", "-cbr-dest-region", "cn-east-3", "-cbr-dest-project", "p", "-cbr-dest-vault", "v"}, "HUAWEICLOUD_SDK_AK"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"-live"}, tt.args...), &out, &errOut)
		assert.Equal(t, 1, code, tt.args)
		assert.Contains(t, out.String(), tt.want, tt.args)
		rest := strings.Split(strings.TrimSpace(out.String()[strings.Index(out.String(), "\nCLOUD ")+1:]), "\n")
		require.Len(t, rest, 3, "header, one row, the error: %q", rest)
		assert.Contains(t, rest[1], "FAILED")
		assert.Contains(t, rest[2], tt.want)
	}
}

// -h prints the flags, the live resource flags among them, and succeeds.
func TestHelp(t *testing.T) {
	program.Help(t, "-live", "-timeout", "-fake-duration", "-only", "-bigtable-source", "-spanner-database", "-cbr-source", "-fsx-source")
}
