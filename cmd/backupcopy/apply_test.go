package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// planFor is a plan of one copy per cloud (two on FSx) from the emulator's
// seeds, starting at source i.
func planFor(e *emu, i int) string {
	d := e.info.Destinations["cbr"].([]any)[i%3].(map[string]any)
	return fmt.Sprintf(`copies:
  - key: bt
    bigtable: {source: %s, parent: %s, backup_id: dr-%d, expire_after: 168h}
  - spanner: {source: %s, parent: %s, backup_id: dr-%d, expire_after: 168h}
  - cbr: {source: %s, destination_project_id: %s, destination_region: %s, destination_vault_id: %s}
  - fsx: {source: %s}
  - fsx: {source: %s}
`, e.sources("bigtable")[i], emuBigtableDestinations[0], i, e.sources("spanner")[i], emuSpannerDestinations[0], i,
		e.sources("cbr")[i], d["destination_project_id"], d["destination_region"], d["destination_vault_id"],
		e.sources("fsx")[i], e.sources("fsx")[i+1])
}

func writePlan(t *testing.T, plan string) (planPath, statePath string) {
	dir := t.TempDir()
	planPath, statePath = filepath.Join(dir, "plan.yaml"), filepath.Join(dir, "plan.state")
	require.NoError(t, os.WriteFile(planPath, []byte(plan), 0o600))
	return planPath, statePath
}

func TestApplyAndStatus(t *testing.T) {
	e := startEmulator(t, "--sources", "3", "--duration", "300ms")
	plan, state := writePlan(t, planFor(e, 0))

	stdout, stderr, code := e.run(t, "apply", "-f", plan, "--state", state, "-o", "json")
	require.Equal(t, 0, code, stderr)
	var st runStatus
	require.NoError(t, json.Unmarshal([]byte(stdout), &st), stdout)
	require.Len(t, st.Copies, 5)
	assert.Equal(t, 5, st.Counts["done"])
	for _, c := range st.Copies {
		assert.Equal(t, "done", c.State, c.Key)
		assert.NotEmpty(t, c.Name, c.Key)
		assert.Empty(t, c.Error, c.Key)
	}
	assert.Equal(t, "bt", st.Copies[0].Key)
	assert.Contains(t, stderr, "bigtable bt started ")
	copies := strings.Count(e.log.String(), "backups:copy -> 200") + strings.Count(e.log.String(), "/replicate -> 200") +
		strings.Count(e.log.String(), "v20180301.CopyBackup -> 200")
	assert.Equal(t, 5, copies)

	// Status, and a rerun that sends no copy again.
	stdout, stderr, code = e.run(t, "status", "--state", state, "-o", "json")
	require.Equal(t, 0, code, stderr)
	var st2 runStatus
	require.NoError(t, json.Unmarshal([]byte(stdout), &st2))
	assert.Equal(t, 5, st2.Counts["done"])
	stdout, _, code = e.run(t, "status", "--state", state)
	require.Equal(t, 0, code)
	for _, c := range st2.Copies {
		assert.Regexp(t, `(?m)^`+regexp.QuoteMeta(c.Key)+` +`+c.Cloud+` +done +`+regexp.QuoteMeta(c.Result)+`$`, stdout, "whole key and backup name")
	}
	assert.Contains(t, stdout, "5 copies: 5 done, 0 failed, 0 running, 0 queued")
	_, stderr, code = e.run(t, "apply", "-f", plan, "--state", state)
	require.Equal(t, 0, code, stderr)
	again := strings.Count(e.log.String(), "backups:copy -> 200") + strings.Count(e.log.String(), "/replicate -> 200") +
		strings.Count(e.log.String(), "v20180301.CopyBackup -> 200")
	assert.Equal(t, copies, again, "a finished run sends no copy again")
}

func TestApplyFailedCopyExitsOne(t *testing.T) {
	e := startEmulator(t, "--sources", "1", "--duration", "100ms")
	// The CBR destination vault is in another region than named: the
	// replicate call fails (once: --max-attempts 1), the FSx copy is made.
	plan, state := writePlan(t, fmt.Sprintf("copies:\n  - fsx: {source: %s}\n  - cbr: {source: %s, destination_project_id: p, destination_region: cn-east-3, destination_vault_id: 00000002-0000-4000-9000-000000000000}\n",
		e.sources("fsx")[0], e.sources("cbr")[0]))
	stdout, stderr, code := e.run(t, "apply", "-f", plan, "--state", state, "--max-attempts", "1")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stdout, "failed")
	assert.Contains(t, stdout, "1 done, 1 failed")
	// On stderr (not a terminal) one line says the copy failed and why, its
	// key whole; the last line sums the run up.
	var st runStatus
	stdout, _, _ = e.run(t, "status", "--state", state, "-o", "json")
	require.NoError(t, json.Unmarshal([]byte(stdout), &st))
	var key string
	for _, c := range st.Copies {
		if c.Cloud == "cbr" {
			key = c.Key
		}
	}
	require.NotEmpty(t, key)
	assert.Equal(t, 1, strings.Count(stderr, " "+key+" failed"), stderr)
	assert.Regexp(t, `(?m)^\S+ cbr `+key+` failed: .*\S`, stderr)
}

func TestApplyBadPlansStartNothing(t *testing.T) {
	e := startEmulator(t, "--sources", "2")
	good := planFor(e, 0)
	for _, tc := range []struct{ name, plan, want string }{
		{"unknown field", strings.Replace(good, "backup_id: dr-0, expire_after", "backup_id: dr-0, expire_afer", 1), `unknown field "expire_afer"`},
		{"unknown cloud", "copies:\n  - gcs: {source: x}\n", `unknown field "gcs"`},
		{"duplicate key", "copies:\n  - {key: a, fsx: {source: backup-00000000000000001}}\n  - {key: a, fsx: {source: backup-00000000000000002}}\n", `key "a" is also the key`},
		{"same route twice", "copies:\n  - fsx: {source: backup-00000000000000001}\n  - fsx: {source: backup-00000000000000001, kms_key_id: k}\n", "same destination"},
		{"invalid request", strings.Replace(good, "backup_id: dr-0,", "backup_id: 'bad id',", 1), "BackupID"},
		{"not json or yaml", "copies: [", "not a valid YAML plan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, state := writePlan(t, tc.plan)
			before := e.requests()
			_, stderr, code := e.run(t, "apply", "-f", plan, "--state", state)
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, tc.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
			assert.Equal(t, before, e.requests(), "nothing sent")
		})
	}
	// A source that does not exist: the preflight reads find it, and no
	// copy is started.
	plan, state := writePlan(t, "copies:\n  - fsx: {source: backup-0000000000000000f}\n  - fsx: {source: backup-00000000000000001}\n")
	_, stderr, code := e.run(t, "apply", "-f", plan, "--state", state)
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, "backup-0000000000000000f")
	assert.NotContains(t, e.log.String(), "v20180301.CopyBackup", "no copy started")

	for _, args := range [][]string{{"apply"}, {"apply", "-f", plan}, {"status"}, {"status", "--state", filepath.Join(t.TempDir(), "none")}} {
		_, stderr, code := e.run(t, args...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
	}
}

func TestApplyInterruptedResumesExactlyOnce(t *testing.T) {
	e := startEmulator(t, "--sources", "3", "--duration", "2s")
	plan, state := writePlan(t, planFor(e, 0))
	cmd := exec.Command(bin, "apply", "-f", plan, "--state", state)
	cmd.Env = []string{"HOME=" + t.TempDir()}
	for k, v := range e.info.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderrPipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	rd := bufio.NewReader(stderrPipe)
	var lines []string
	for {
		line, err := rd.ReadString('\n')
		require.NoError(t, err, strings.Join(lines, ""))
		lines = append(lines, line)
		if strings.Contains(line, " started ") {
			break
		}
	}
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	rest, _ := bufio.NewReader(rd).ReadString(0)
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 130, ee.ExitCode())
	assert.Contains(t, rest, "to resume, run: backupcopy apply -f "+plan+" --state "+state)

	stdout, stderr, code := e.run(t, "status", "--state", state, "-o", "json")
	require.Equal(t, 0, code, stderr)
	var st runStatus
	require.NoError(t, json.Unmarshal([]byte(stdout), &st))
	assert.Less(t, st.Counts["done"], 5, "interrupted before the end")

	stdout, stderr, code = e.run(t, "apply", "-f", plan, "--state", state, "-o", "json")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &st))
	assert.Equal(t, 5, st.Counts["done"])
	copies := strings.Count(e.log.String(), "backups:copy -> 200") + strings.Count(e.log.String(), "/replicate -> 200") +
		strings.Count(e.log.String(), "v20180301.CopyBackup -> 200")
	assert.Equal(t, 5, copies, "every copy made exactly once:\n%s", e.log.String())
}

// A plan's client settings come from its clouds section or the variables,
// so a missing one is named the way a plan user can set it: not with a flag
// that apply does not have.
func TestApplyMissingSettingNamesThePlanField(t *testing.T) {
	e := startEmulator(t, "--sources", "1")
	plan, state := writePlan(t, fmt.Sprintf("copies:\n  - cbr: {source: %s, destination_project_id: p, destination_region: cn-east-3, destination_vault_id: 00000002-0000-4000-9000-000000000000}\n",
		e.sources("cbr")[0]))
	saved := e.info.Env["HUAWEICLOUD_SDK_PROJECT_ID"]
	delete(e.info.Env, "HUAWEICLOUD_SDK_PROJECT_ID")
	defer func() { e.info.Env["HUAWEICLOUD_SDK_PROJECT_ID"] = saved }()
	before := e.requests()
	_, stderr, code := e.run(t, "apply", "-f", plan, "--state", state)
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, "clouds.cbr.project_id")
	assert.NotContains(t, stderr, "--project-id")
	assert.NotContains(t, stderr, "NewClient")
	assert.Equal(t, before, e.requests(), "nothing sent")
}
