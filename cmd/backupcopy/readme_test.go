package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADMESession runs the README's command-line session as pasted (in
// bash, from the repository root), with the tool this package's tests built
// standing in for its first line, `go install ./cmd/backupcopy`.
func TestREADMESession(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	raw, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(raw), "<!-- ci:cli-session -->\n```sh\n")
	require.True(t, ok, "README.md has no ci:cli-session block")
	session, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)
	install, session, _ := strings.Cut(session, "\n")
	require.Equal(t, "go install ./cmd/backupcopy", install)

	cmd := exec.Command("bash", "-e", "-c", session)
	cmd.Dir = "../.."
	cmd.Env = []string{"PATH=" + filepath.Dir(bin) + ":" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TMPDIR=" + t.TempDir()}
	// Its own process group, so that an emulator left behind by a failing
	// session is stopped too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t.Cleanup(func() {
		if cmd.Process != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		}
	})
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	s := string(out)
	assert.Equal(t, 3, strings.Count(s, "state    done"), "bigtable, cbr and the resumed fsx copy:\n%s", s)
	assert.Contains(t, s, `"cloud":"spanner"`)
	assert.Contains(t, s, `"state":"done"`)
	assert.Contains(t, s, "to resume, run: backupcopy wait fsx backup-")
	// timeout --preserve-status passes on the tool's own status: 130 for
	// SIGINT, as for Ctrl-C (timeout's own 124 would say nothing of it).
	assert.Contains(t, s, "exit 130 (interrupted; it printed the command that resumes)")
	assert.Contains(t, s, "exit 130 (interrupted; run the same command to resume)")
	assert.Contains(t, s, "to resume, run: backupcopy apply -f ")
	assert.Contains(t, s, "4 copies: 4 done, 0 failed, 0 running, 0 queued")
	assert.Contains(t, s, `"counts":{"done":4,"failed":0,"queued":0,"running":0}`)
}
