package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bin is the tool, built once for the package's tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "backupcopy-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "backupcopy")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a goroutine-safe buffer for a process's stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// emu is a running `backupcopy emulator -v -o json` process.
type emu struct {
	cmd  *exec.Cmd
	info emulatorInfo
	log  *syncBuffer
}

func startEmulator(t *testing.T, args ...string) *emu {
	t.Helper()
	e := &emu{log: &syncBuffer{}}
	e.cmd = exec.Command(bin, append([]string{"emulator", "-v", "-o", "json"}, args...)...)
	e.cmd.Stderr = e.log
	stdout, err := e.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, e.cmd.Start())
	t.Cleanup(func() {
		e.cmd.Process.Signal(syscall.SIGTERM)
		e.cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	require.NoError(t, err, "emulator stderr: %s", e.log.String())
	require.NoError(t, json.Unmarshal(line, &e.info))
	go io.Copy(io.Discard, stdout)
	return e
}

// requests counts the requests the emulator has logged.
func (e *emu) requests() int { return strings.Count(e.log.String(), " -> ") }

func (e *emu) sources(cloud string) []string {
	var out []string
	for _, s := range e.info.Sources[cloud].([]any) {
		out = append(out, s.(string))
	}
	return out
}

// run runs the tool with the emulator's environment (and nothing of the
// user's), returning stdout, stderr and the exit status.
func (e *emu) run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	if e != nil {
		for k, v := range e.info.Env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return stdout.String(), stderr.String(), code
}

func TestHelpEverywhere(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"copy", "-h"}, {"copy", "bigtable", "-h"}, {"copy", "spanner", "-h"}, {"copy", "cbr", "-h"},
		{"copy", "fsx", "-h"}, {"wait", "-h"}, {"apply", "-h"}, {"status", "-h"}, {"emulator", "-h"}, {"version", "-h"}, {"completion", "-h"}, {"completion", "bash", "-h"},
	} {
		stdout, stderr, code := (*emu)(nil).run(t, args...)
		assert.Equal(t, 0, code, "%v: %s", args, stderr)
		assert.Contains(t, stdout, "Usage:", "%v", args)
	}
	stdout, _, code := (*emu)(nil).run(t, "-h")
	require.Equal(t, 0, code)
	for _, c := range []string{"copy", "wait", "apply", "status", "emulator", "version", "completion"} {
		assert.Contains(t, stdout, "\n  "+c+" ", "root help lists %s", c)
	}
}

func TestVersionAndCompletion(t *testing.T) {
	stdout, _, code := (*emu)(nil).run(t, "version", "-o", "json")
	require.Equal(t, 0, code)
	var v map[string]string
	require.NoError(t, json.Unmarshal([]byte(stdout), &v))
	assert.NotEmpty(t, v["version"])
	assert.True(t, strings.HasPrefix(v["go"], "go"))
	for _, sh := range []string{"bash", "zsh", "fish"} {
		stdout, _, code := (*emu)(nil).run(t, "completion", sh)
		assert.Equal(t, 0, code)
		assert.Contains(t, stdout, "backupcopy", sh)
	}
}

// copyArgs are a happy copy of each cloud from the emulator's seeds; id
// makes the destination distinct.
func copyArgs(e *emu, cloud string, i int) []string {
	src := e.sources(cloud)[i]
	switch cloud {
	case "bigtable":
		return []string{"copy", "bigtable", "--source", src, "--parent", emuBigtableDestinations[0], "--backup-id", fmt.Sprintf("copy-%d", i), "--expire-after", "168h"}
	case "spanner":
		return []string{"copy", "spanner", "--source", src, "--parent", emuSpannerDestinations[0], "--backup-id", fmt.Sprintf("copy-%d", i), "--expire-after", "168h"}
	case "cbr":
		d := e.info.Destinations["cbr"].([]any)[0].(map[string]any)
		return []string{"copy", "cbr", "--source", src, "--destination-project-id", d["destination_project_id"].(string),
			"--destination-region", d["destination_region"].(string), "--destination-vault-id", d["destination_vault_id"].(string)}
	}
	return []string{"copy", "fsx", "--source", src}
}

func TestCopyEachCloud(t *testing.T) {
	e := startEmulator(t, "--sources", "2", "--duration", "300ms")
	for _, cloud := range []string{"bigtable", "spanner", "cbr", "fsx"} {
		t.Run(cloud, func(t *testing.T) {
			// --wait -o json: one document, the copy done.
			stdout, stderr, code := e.run(t, append(copyArgs(e, cloud, 0), "--wait", "-o", "json")...)
			require.Equal(t, 0, code, stderr)
			var r result
			require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
			assert.Equal(t, cloud, r.Cloud)
			assert.Equal(t, "done", r.State)
			assert.Equal(t, 100, r.Percent)
			assert.NotEmpty(t, r.Backup)
			assert.NotEmpty(t, r.Name)
			assert.Contains(t, stderr, "started "+r.Name)
			assert.Contains(t, stderr, " 100% ", "plain progress lines when stderr is not a terminal")

			// No --wait: the name at once, then wait resumes it.
			stdout, stderr, code = e.run(t, copyArgs(e, cloud, 1)...)
			require.Equal(t, 0, code, stderr)
			name := strings.TrimSpace(stdout)
			require.NotEmpty(t, name)
			assert.NotContains(t, name, "\n", "only the name on stdout")
			assert.Contains(t, stderr, "backupcopy wait "+cloud)
			stdout, stderr, code = e.run(t, "wait", cloud, name)
			require.Equal(t, 0, code, stderr)
			assert.Contains(t, stdout, "state    done")
		})
	}
}

func TestAPIErrorsExitOne(t *testing.T) {
	e := startEmulator(t, "--sources", "1", "--duration", "100ms")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"copy", "fsx", "--source", "backup-0000000000000000f"}, []string{"BackupNotFound", "RequestID: "}},
		{[]string{"copy", "bigtable", "--source", emuBigtableSource + "/backups/none", "--parent", emuBigtableDestinations[0], "--backup-id", "x", "--expire-after", "168h"}, []string{"NotFound", "request id"}},
		{[]string{"copy", "spanner", "--source", e.sources("spanner")[0], "--parent", "projects/" + emuProject + "/instances/nowhere", "--backup-id", "xx", "--expire-after", "168h"}, []string{"NotFound", "Instance not found", "request id fake-"}},
		{[]string{"copy", "cbr", "--source", e.sources("cbr")[0], "--destination-project-id", "p", "--destination-region", "cn-east-3", "--destination-vault-id", "00000000-0000-4000-8000-999999999999"}, []string{"BackupService.6105"}},
	} {
		stdout, stderr, code := e.run(t, tc.args...)
		assert.Equal(t, 1, code, "%v: %s", tc.args, stderr)
		assert.Empty(t, stdout)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %s", stderr)
		for _, w := range tc.want {
			assert.Contains(t, stderr, w, "%v", tc.args)
		}
	}
}

func TestBadUsageSendsNothing(t *testing.T) {
	e := startEmulator(t, "--sources", "1")
	bt := []string{"copy", "bigtable", "--source", emuBigtableSource + "/backups/source-1", "--parent", emuBigtableDestinations[0]}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"copy"}, "name the cloud"},
		{[]string{"copy", "gcs"}, `unknown cloud "gcs"`},
		{[]string{"copy", "fsx"}, "--source is required"},
		{[]string{"copy", "fsx", "--bogus"}, "backupcopy: copy fsx: unknown flag: --bogus (see backupcopy copy fsx -h)"},
		{[]string{"copy", "fsx", "--source"}, "backupcopy: copy fsx: flag needs an argument: --source (see backupcopy copy fsx -h)"},
		{[]string{"status", "x"}, `backupcopy: status: unexpected argument "x" (see backupcopy status -h)`},
		{[]string{"completion", "foo"}, `backupcopy: completion: unknown shell "foo": use bash, zsh, fish or powershell`},
		{[]string{"copy", "fsx", "--source", "b-1"}, `--source "b-1" is not of the form`},
		{[]string{"copy", "fsx", "--source", "backup-0123456789abcdef0", "-o", "yaml"}, `-o "yaml": use table or json`},
		{[]string{"copy", "fsx", "--source", "backup-0123456789abcdef0", "--tags", "novalue"}, "is not KEY=VALUE"},
		{append(bt, "--backup-id", "x"), "--expire-after or --expire-time is required"},
		{append(bt, "--backup-id", "x", "--expire-after", "7d"), `--expire-after "7d" is not a positive Go duration`},
		{append(bt, "--backup-id", "bad id!", "--expire-after", "168h"), "BackupID"},
		{append(bt, "--backup-id", "x", "--expire-after", "1h"), "ExpireTime"},
		{[]string{"copy", "cbr", "--source", "a", "--destination-project-id", "b", "--destination-region", "c", "--destination-vault-id", "d", "--region", ""}, ""},
		{[]string{"wait", "fsx"}, "backupcopy: wait: give the cloud and the operation name 'backupcopy copy' printed: backupcopy wait {bigtable|spanner|cbr|fsx} NAME"},
		{[]string{"wait", "fsx", "a", "b"}, "backupcopy: wait: give the cloud and the operation name"},
		{[]string{"wait", "gcs", "x"}, `unknown cloud "gcs"`},
		{[]string{"wait", "fsx", "nope"}, "invalid backup ID"},
		{[]string{"wait", "bigtable", "nope"}, "nope"},
		{[]string{"emulator", "--listen", "0.0.0.0:0"}, "loopback addresses only"},
		{[]string{"emulator", "--fault", "cloud=fsx,kind=boom"}, `unknown fault kind "boom"`},
		{[]string{"emulator", "--fault", "cloud=fsx,operation=Copy,kind=throttle"}, `fsx has no operation "Copy"`},
		{[]string{"nosuch"}, `backupcopy: unknown command "nosuch" for "backupcopy" (see backupcopy -h)`},
	} {
		before := e.requests()
		_, stderr, code := e.run(t, tc.args...)
		if strings.Contains(strings.Join(tc.args, " "), "--region ") {
			// CBR without a region: the variable is set by the emulator, so
			// the empty flag falls back to it and the call is made.
			continue
		}
		assert.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "%v: one line: %q", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, "%v", tc.args)
		assert.Equal(t, before, e.requests(), "%v: nothing sent", tc.args)
	}
}

func TestMissingCredentialsExitTwo(t *testing.T) {
	e := startEmulator(t, "--sources", "1")
	for _, tc := range []struct {
		cloud, drop, want string
	}{
		{"fsx", "AWS_ACCESS_KEY_ID", "no AWS credentials"},
		{"cbr", "HUAWEICLOUD_SDK_AK", "set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"},
		{"cbr", "HUAWEICLOUD_SDK_PROJECT_ID", "--project-id"},
		{"cbr", "HUAWEICLOUD_SDK_REGION", "no source region"},
		{"spanner", "BACKUPCOPY_SPANNER_ENDPOINT", "Application Default Credentials"},
	} {
		saved := e.info.Env[tc.drop]
		delete(e.info.Env, tc.drop)
		before := e.requests()
		_, stderr, code := e.run(t, copyArgs(e, tc.cloud, 0)...)
		e.info.Env[tc.drop] = saved
		assert.Equal(t, 2, code, "%s without %s: %s", tc.cloud, tc.drop, stderr)
		assert.Contains(t, stderr, tc.want)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
		assert.NotContains(t, stderr, saved, "no secret in the message")
		assert.Equal(t, before, e.requests())
	}
}

func TestInterruptPrintsResume(t *testing.T) {
	e := startEmulator(t, "--sources", "1", "--duration", "3s")
	cmd := exec.Command(bin, append(copyArgs(e, "spanner", 0), "--wait")...)
	cmd.Env = []string{"HOME=" + t.TempDir()}
	for k, v := range e.info.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	name := strings.TrimSpace(line)
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 130, ee.ExitCode())
	resume := "backupcopy wait spanner " + name
	assert.Contains(t, stderr.String(), "to resume, run: "+resume)

	// The copy carried on in the emulator; the printed command finishes it.
	out, errOut, code := e.run(t, strings.Fields(strings.TrimPrefix(resume, "backupcopy "))...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "state    done")
}

func TestEmulatorOutput(t *testing.T) {
	e := startEmulator(t, "--sources", "3")
	for _, k := range []string{"BACKUPCOPY_BIGTABLE_ENDPOINT", "BACKUPCOPY_SPANNER_ENDPOINT", "BACKUPCOPY_CBR_ENDPOINT",
		"AWS_ENDPOINT_URL_FSX", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
		"HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID", "HUAWEICLOUD_SDK_REGION"} {
		assert.NotEmpty(t, e.info.Env[k], k)
	}
	base := e.info.Env["BACKUPCOPY_BIGTABLE_ENDPOINT"]
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, base)
	for _, c := range []string{"bigtable", "spanner", "cbr", "fsx"} {
		assert.Len(t, e.sources(c), 3, c)
		assert.NotEmpty(t, e.info.Destinations[c], c)
	}
	assert.Equal(t, e.info.Env["AWS_REGION"], e.info.Destinations["fsx"].([]any)[0])

	// -o env: export lines, flushed before serving, that a shell can eval.
	cmd := exec.Command(bin, "emulator", "--sources", "0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	rd := bufio.NewReader(stdout)
	env := map[string]string{}
	for len(env) < len(e.info.Env) {
		line, err := rd.ReadString('\n')
		require.NoError(t, err)
		kv, ok := strings.CutPrefix(strings.TrimSpace(line), "export ")
		require.True(t, ok, line)
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	assert.NotEmpty(t, env["AWS_ENDPOINT_URL_FSX"])
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	assert.NoError(t, cmd.Wait(), "SIGTERM stops it cleanly (exit 0)")

	// Unknown paths are answered, not crashed on.
	resp, err := http.Get(base + "/v9/x")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestEmulatorFaultsAndRules(t *testing.T) {
	e := startEmulator(t, "--sources", "7", "--duration", "1m", "--fault", "cloud=fsx,operation=CopyBackup,kind=throttle,times=2")
	base := e.info.Env["BACKUPCOPY_FSX_ENDPOINT"]
	// The flag's throttle: the client retries with the same token, one copy.
	stdout, stderr, code := e.run(t, copyArgs(e, "fsx", 0)...)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, 2, strings.Count(e.log.String(), "AWSSimbaAPIService_v20180301.CopyBackup -> 400"), e.log.String())
	assert.Regexp(t, `^backup-[0-9a-f]+\n$`, stdout)

	// FSx's limit of 5 copies in progress holds.
	for i := 1; i < 5; i++ {
		_, stderr, code := e.run(t, copyArgs(e, "fsx", i)...)
		require.Equal(t, 0, code, stderr)
	}
	_, stderr, code = e.run(t, copyArgs(e, "fsx", 5)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "ServiceLimitExceeded")

	// The admin endpoint: a lost response to a Bigtable copy; the client
	// recovers its own copy.
	post := func(body string) int {
		resp, err := http.Post(base+faultsPath, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusBadRequest, post(`{"cloud":"bigtable","kind":"lose-response","bogus":1}`))
	assert.Equal(t, http.StatusBadRequest, post(`{"cloud":"bigtable","kind":"slow"}`))
	assert.Equal(t, http.StatusNoContent, post(`{"cloud":"bigtable","operation":"CopyBackup","kind":"lose-response"}`))
	stdout, stderr, code = e.run(t, copyArgs(e, "bigtable", 0)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "/backups/copy-0/operations/")
	assert.Contains(t, e.log.String(), "backups:copy -> dropped")

	req, _ := http.NewRequest(http.MethodDelete, base+faultsPath, nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
}

func TestTableOutputWidth(t *testing.T) {
	e := startEmulator(t, "--sources", "1", "--duration", "100ms")
	_, stderr, code := e.run(t, append(copyArgs(e, "cbr", 0), "--wait")...)
	require.Equal(t, 0, code, stderr)
	for _, line := range strings.Split(stderr, "\n") {
		assert.LessOrEqual(t, len([]rune(line)), 100, "progress line fits 100 columns: %q", line)
	}
}

// Waiting on an FSx backup that does not exist fails with FSx's error and
// names no backup: there is none.
func TestWaitUnknownFSxBackupNamesNone(t *testing.T) {
	e := startEmulator(t, "--sources", "1")
	stdout, stderr, code := e.run(t, "wait", "fsx", "backup-00000000000000099")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stdout+stderr, "BackupNotFound")
	assert.NotRegexp(t, `(?m)^backup\s`, stdout, "no backup line for a backup that does not exist")
	stdout, _, code = e.run(t, "wait", "fsx", "backup-00000000000000099", "-o", "json")
	assert.Equal(t, 1, code)
	assert.NotContains(t, stdout, `"backup"`, "no backup field in JSON either")
}
