package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/planfile"
)

func TestWaitCommandCarriesClientFlags(t *testing.T) {
	assert.Equal(t, "backupcopy wait fsx", clientFlags{}.waitCommand("fsx"))
	assert.Equal(t, "backupcopy wait cbr --endpoint http://127.0.0.1:9 --region cn-north-4 --project-id 'p q'",
		clientFlags{endpoint: "http://127.0.0.1:9", region: "cn-north-4", projectID: "p q"}.waitCommand("cbr"))
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"backup-0123":                          "backup-0123",
		"operations/projects/p/x/operations/1": "operations/projects/p/x/operations/1",
		"it's":                                 `'it'\''s'`,
		"":                                     "''",
		"a b":                                  "'a b'",
		"$(rm)":                                "'$(rm)'",
	} {
		assert.Equal(t, want, shellQuote(in), in)
	}
}

func TestShortenAndLabel(t *testing.T) {
	assert.Equal(t, "abc", shorten("abc", 5))
	assert.Equal(t, "...6789", shorten("0123456789", 7))
	l := "bigtable " + labelName("bigtable", "operations/projects/p/instances/i/clusters/c/backups/nightly-copy/operations/12")
	assert.Equal(t, "bigtable .../clusters/c/backups/nightly-copy", l, "the operation id dropped, the end of the backup name kept")
	assert.Equal(t, "projects/p/instances/i/backups/b", labelName("spanner", "projects/p/instances/i/backups/b/operations/_auto_op_1"))
	assert.LessOrEqual(t, len("cbr "+labelName("cbr", "cbr1."+string(make([]byte, 200)))), labelWidth)
}

func TestFlagWords(t *testing.T) {
	assert.Equal(t, "--backup-id is required", flagWords("planfile: copies[0]: bigtable.backup_id is required"))
	assert.Equal(t, "--expire-after or --expire-time is required (for example --expire-after 168h)",
		flagWords("planfile: copies[0]: expire_after or expire_time is required (for example expire_after: 168h)"))
}

// The run table cuts nothing: keys, backup names and errors are whole, in
// columns as wide as their longest entry.
func TestRunTableKeepsWholeValues(t *testing.T) {
	longKey := "a-rather-long-key-for-the-nightly-fsx-copy"
	backup := "projects/backupcopy-emulator/instances/dr/clusters/dr-c1/backups/source-2-dr"
	failure := "gave up after 1 failed attempt: operation error FSx: CopyBackup, https response error StatusCode: 500, RequestID: dee1411a-a551-fa38-731e-25fa5b2e5868, InternalServerError: An internal error occurred"
	var b strings.Builder
	writeRunTable(&b, newRunStatus(fleet.RunInfo{}, []copyStatus{
		{Key: "orders-dr", Cloud: "bigtable", State: "done", Result: backup},
		{Key: longKey, Cloud: "fsx", State: "failed", Error: failure},
		{Key: "fsx-1", Cloud: "fsx", State: "queued"},
	}))
	for _, tc := range []struct{ name, want string }{
		{"header", "KEY                                        CLOUD    STATE  BACKUP / ERROR\n"},
		{"result", "orders-dr                                  bigtable done   " + backup + "\n"},
		{"error", longKey + " fsx      failed " + failure + "\n"},
		{"not started", "fsx-1                                      fsx      queued \n"},
		{"counts", "3 copies: 1 done, 1 failed, 0 running, 1 queued\n"},
	} {
		assert.Contains(t, b.String(), tc.want, tc.name)
	}
	assert.NotContains(t, b.String(), "...")

	b.Reset()
	writeRunTable(&b, newRunStatus(fleet.RunInfo{}, []copyStatus{{Key: "k", Cloud: "fsx", State: "done", Result: "backup-0123456789abcdef0"}}))
	assert.Contains(t, b.String(), "\n1 copy: 1 done, 0 failed, 0 running, 0 queued\n")
}

// The plan that `apply -h` shows is a valid plan, and each copy command's
// help names its credentials and shows an example of that command.
func TestHelpShowsWorkingExamples(t *testing.T) {
	a := &app{}
	long := a.applyCommand().Long
	_, rest, ok := strings.Cut(long, "refused by name:\n\n")
	require.True(t, ok, long)
	example, _, _ := strings.Cut(rest, "\n\n")
	var lines []string
	for _, l := range strings.Split(example, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "  "))
	}
	p, err := planfile.Parse([]byte(strings.Join(lines, "\n")))
	require.NoError(t, err, example)
	assert.Len(t, p.Copies, 2)
	for _, c := range a.copyCommand().Commands() {
		assert.Contains(t, c.Long, "Credentials: ", c.Name())
		assert.True(t, strings.HasPrefix(c.Example, "  backupcopy copy "+c.Name()+" "), c.Name())
	}
}

// A live bar's label keeps the cloud and the end of a long key, within
// labelWidth; a plain line keeps the key whole.
func TestProgressLabels(t *testing.T) {
	key := "a-rather-long-key-for-the-nightly-fsx-copy-number-one"
	bars := (&app{stderr: io.Discard, stderrTTY: true}).newProgress(context.Background())
	bar := bars.add("fsx", key)
	assert.Equal(t, "fsx ...y-for-the-nightly-fsx-copy-number-one", bar.label)
	assert.LessOrEqual(t, len(bar.label), labelWidth)
	bar.end("")
	bars.wait()
	var b strings.Builder
	plain := (&app{stderr: &b}).newProgress(context.Background()).add("fsx", key)
	plain.end("done")
	assert.Contains(t, b.String(), " fsx "+key+" done ")
}
