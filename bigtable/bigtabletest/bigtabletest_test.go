package bigtabletest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/bigtable"
)

const (
	src = "projects/p/instances/i/clusters/c1/backups/src"
	dst = "projects/p/instances/i/clusters/c2"
)

type fakeTime struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeTime) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeTime) add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

func setup(t *testing.T) (*Server, *fakeTime) {
	t.Helper()
	s := NewServer()
	t.Cleanup(s.Close)
	clk := &fakeTime{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	s.SetClock(clk.now)
	s.AddBackup(bigtable.Backup{Name: src, SourceTable: "projects/p/instances/i/tables/t", SizeBytes: 4096})
	s.AddCluster(dst)
	return s, clk
}

// do sends a request with a bearer token and returns status and decoded JSON.
func do(t *testing.T, s *Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.NotEmpty(t, resp.Header.Get("X-Request-Id"))
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func copyBody(id, source string, expire time.Time) string {
	return fmt.Sprintf(`{"backupId":%q,"sourceBackup":%q,"expireTime":%q}`, id, source, expire.Format(time.RFC3339Nano))
}

func errStatus(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["status"].(string)
	return s
}

func TestCopyLifecycle(t *testing.T) {
	s, clk := setup(t)
	expire := clk.now().Add(48 * time.Hour)
	code, op := do(t, s, "POST", "/v2/"+dst+"/backups:copy", copyBody("cp", src, expire))
	require.Equal(t, 200, code, op)
	name := op["name"].(string)
	assert.Equal(t, "operations/"+dst+"/backups/cp/operations/1001", name)
	assert.Nil(t, op["done"], "done is omitted while false")
	md := op["metadata"].(map[string]any)
	assert.Equal(t, "type.googleapis.com/google.bigtable.admin.v2.CopyBackupMetadata", md["@type"])
	assert.Equal(t, dst+"/backups/cp", md["name"])
	assert.Equal(t, src, md["sourceBackupInfo"].(map[string]any)["backup"])
	assert.Equal(t, "2026-11-22T10:00:00Z", md["progress"].(map[string]any)["startTime"], "written as Google writes: 0, 3, 6 or 9 digits")

	// The new backup exists at once, CREATING.
	code, b := do(t, s, "GET", "/v2/"+dst+"/backups/cp", "")
	require.Equal(t, 200, code)
	assert.Equal(t, "CREATING", b["state"])
	assert.Equal(t, src, b["sourceBackup"])

	// Progress over polls.
	var last float64
	for i := range 3 {
		clk.add(500 * time.Millisecond)
		code, op = do(t, s, "GET", "/v2/"+name, "")
		require.Equal(t, 200, code)
		p := op["metadata"].(map[string]any)["progress"].(map[string]any)["progressPercent"].(float64)
		assert.Greater(t, p, last, "poll %d", i)
		last = p
		assert.Nil(t, op["done"])
	}
	clk.add(time.Second)
	code, op = do(t, s, "GET", "/v2/"+name, "")
	require.Equal(t, 200, code)
	assert.Equal(t, true, op["done"])
	resp := op["response"].(map[string]any)
	assert.Equal(t, "type.googleapis.com/google.bigtable.admin.v2.Backup", resp["@type"])
	assert.Equal(t, "READY", resp["state"])
	assert.Equal(t, "4096", resp["sizeBytes"], "int64 as a JSON string")
	assert.Equal(t, float64(100), op["metadata"].(map[string]any)["progress"].(map[string]any)["progressPercent"])

	got, ok := s.Backup(dst + "/backups/cp")
	require.True(t, ok)
	assert.Equal(t, bigtable.BackupReady, got.State)
	assert.True(t, got.ExpireTime.Equal(expire))

	// Listing operations, with and without a filter.
	code, list := do(t, s, "GET", "/v2/operations/projects/p/operations", "")
	require.Equal(t, 200, code)
	assert.Len(t, list["operations"], 1)
	f := url.QueryEscape(`(metadata.@type = "type.googleapis.com/google.bigtable.admin.v2.CopyBackupMetadata") AND (metadata.name = "` + dst + `/backups/cp")`)
	code, list = do(t, s, "GET", "/v2/operations/projects/p/instances/i/operations?filter="+f, "")
	require.Equal(t, 200, code)
	assert.Len(t, list["operations"], 1)
	f = url.QueryEscape(`metadata.name:"other" AND done=true`)
	code, list = do(t, s, "GET", "/v2/operations/projects/p/instances/i/operations?filter="+f, "")
	require.Equal(t, 200, code)
	assert.Nil(t, list["operations"])
	code, list = do(t, s, "GET", "/v2/operations/projects/q/operations", "")
	require.Equal(t, 200, code)
	assert.Nil(t, list["operations"], "another project's scope")
	code, list = do(t, s, "GET", "/v2/operations/projects/p/operations?filter="+url.QueryEscape("bogus=1"), "")
	assert.Equal(t, 400, code)
	assert.Equal(t, "INVALID_ARGUMENT", errStatus(list))
}

func TestCopyRules(t *testing.T) {
	s, clk := setup(t)
	now := clk.now()
	s.AddBackup(bigtable.Backup{Name: "projects/p/instances/i/clusters/c1/backups/creating", State: bigtable.BackupCreating})
	s.AddBackup(bigtable.Backup{Name: "projects/p/instances/i/clusters/c1/backups/copy", SourceBackup: src})
	s.AddBackup(bigtable.Backup{Name: dst + "/backups/taken"})
	ok := now.Add(24 * time.Hour)
	tests := []struct {
		name, parent, body string
		code               int
		status             string
	}{
		{"bad id", dst, copyBody("-x", src, ok), 400, "INVALID_ARGUMENT"},
		{"long id", dst, copyBody(strings.Repeat("a", 51), src, ok), 400, "INVALID_ARGUMENT"},
		{"bad source", dst, copyBody("a", "projects/p/x", ok), 400, "INVALID_ARGUMENT"},
		{"expire too soon", dst, copyBody("a", src, now.Add(5*time.Hour)), 400, "INVALID_ARGUMENT"},
		{"expire too late", dst, copyBody("a", src, now.Add(31*24*time.Hour)), 400, "INVALID_ARGUMENT"},
		{"expire missing", dst, `{"backupId":"a","sourceBackup":"` + src + `"}`, 400, "INVALID_ARGUMENT"},
		{"expire malformed", dst, `{"backupId":"a","sourceBackup":"` + src + `","expireTime":"soon"}`, 400, "INVALID_ARGUMENT"},
		{"bad json", dst, `{`, 400, "INVALID_ARGUMENT"},
		{"no cluster", "projects/p/instances/i/clusters/none", copyBody("a", src, ok), 404, "NOT_FOUND"},
		{"no source", dst, copyBody("a", "projects/p/instances/i/clusters/c1/backups/none", ok), 404, "NOT_FOUND"},
		{"source creating", dst, copyBody("a", "projects/p/instances/i/clusters/c1/backups/creating", ok), 400, "FAILED_PRECONDITION"},
		{"copy of copy", dst, copyBody("a", "projects/p/instances/i/clusters/c1/backups/copy", ok), 400, "FAILED_PRECONDITION"},
		{"exists", dst, copyBody("taken", src, ok), 409, "ALREADY_EXISTS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := do(t, s, "POST", "/v2/"+tt.parent+"/backups:copy", tt.body)
			assert.Equal(t, tt.code, code)
			assert.Equal(t, tt.status, errStatus(body))
			assert.Equal(t, float64(tt.code), body["error"].(map[string]any)["code"])
			assert.NotEmpty(t, body["error"].(map[string]any)["message"])
		})
	}
	// Nothing was created by the refused copies.
	_, exists := s.Backup(dst + "/backups/a")
	assert.False(t, exists)
	// A cross-project destination works when declared.
	s.AddCluster("projects/example.com:other/instances/j/clusters/c9")
	code, _ := do(t, s, "POST", "/v2/projects/example.com:other/instances/j/clusters/c9/backups:copy", copyBody("x", src, ok))
	assert.Equal(t, 200, code)
}

func TestAuth(t *testing.T) {
	s, _ := setup(t)
	for _, h := range []string{"", "Bearer ", "Basic abc", "bearer"} {
		req, _ := http.NewRequest("GET", s.URL()+"/v2/"+src, nil)
		if h != "" {
			req.Header.Set("Authorization", h)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		resp.Body.Close()
		assert.Equal(t, 401, resp.StatusCode, "Authorization %q", h)
		assert.Equal(t, "UNAUTHENTICATED", errStatus(body))
	}
	s.SetAuthRequired(false)
	resp, err := http.Get(s.URL() + "/v2/" + src)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
}

func TestCreateListDelete(t *testing.T) {
	s, clk := setup(t)
	s.SetOperationDuration(0)
	s.AddTable("projects/p/instances/i/tables/t2")
	body := fmt.Sprintf(`{"sourceTable":"projects/p/instances/i/tables/t2","expireTime":%q}`, clk.now().Add(60*24*time.Hour).Format(time.RFC3339))
	code, op := do(t, s, "POST", "/v2/"+dst+"/backups?backupId=made", body)
	require.Equal(t, 200, code, op)
	assert.Equal(t, "type.googleapis.com/google.bigtable.admin.v2.CreateBackupMetadata", op["metadata"].(map[string]any)["@type"])
	code, op = do(t, s, "GET", "/v2/"+op["name"].(string), "")
	require.Equal(t, 200, code)
	assert.Equal(t, true, op["done"])

	for _, tt := range []struct{ query, body, status string }{
		{"backupId=", body, "INVALID_ARGUMENT"},
		{"backupId=made", body, "ALREADY_EXISTS"},
		{"backupId=x", `{"sourceTable":"projects/p/instances/other/tables/t2","expireTime":"2026-12-01T00:00:00Z"}`, "INVALID_ARGUMENT"},
		{"backupId=x", `{"sourceTable":"projects/p/instances/i/tables/none","expireTime":"2026-12-01T00:00:00Z"}`, "NOT_FOUND"},
		{"backupId=x", `{"sourceTable":"projects/p/instances/i/tables/t2","expireTime":"2027-12-01T00:00:00Z"}`, "INVALID_ARGUMENT"},
		{"backupId=x", `{"sourceTable":"projects/p/instances/i/tables/t2","expireTime":"2026-12-01T00:00:00Z","hotToStandardTime":"2026-11-30T00:00:00Z"}`, "INVALID_ARGUMENT"},
	} {
		_, out := do(t, s, "POST", "/v2/"+dst+"/backups?"+tt.query, tt.body)
		assert.Equal(t, tt.status, errStatus(out), "%s %s", tt.query, tt.body)
	}

	s.SetPageSize(1)
	s.AddBackup(bigtable.Backup{Name: dst + "/backups/zz"})
	code, page := do(t, s, "GET", "/v2/"+dst+"/backups", "")
	require.Equal(t, 200, code)
	assert.Len(t, page["backups"], 1)
	tok := page["nextPageToken"].(string)
	code, page = do(t, s, "GET", "/v2/"+dst+"/backups?pageToken="+tok, "")
	require.Equal(t, 200, code)
	assert.Len(t, page["backups"], 1)
	assert.Nil(t, page["nextPageToken"])
	code, page = do(t, s, "GET", "/v2/"+dst+"/backups?pageToken=bogus", "")
	assert.Equal(t, 400, code)
	s.SetPageSize(100)
	code, page = do(t, s, "GET", "/v2/projects/p/instances/i/clusters/-/backups?pageSize=10", "")
	require.Equal(t, 200, code)
	assert.Len(t, page["backups"], 3)

	code, _ = do(t, s, "DELETE", "/v2/"+dst+"/backups/zz", "")
	assert.Equal(t, 200, code)
	code, out := do(t, s, "DELETE", "/v2/"+dst+"/backups/zz", "")
	assert.Equal(t, 404, code)
	assert.Equal(t, "NOT_FOUND", errStatus(out))

	// Backups are deleted when they expire.
	clk.add(61 * 24 * time.Hour)
	_, ok := s.Backup(dst + "/backups/made")
	assert.False(t, ok)
}

func TestUnknownRoutes(t *testing.T) {
	s, _ := setup(t)
	for _, tt := range []struct{ method, path string }{
		{"GET", "/v1/x"}, {"GET", "/v2/projects/p"}, {"PUT", "/v2/" + src}, {"POST", "/v2/operations/x"},
		{"GET", "/v2/operations/projects/p/instances/i/clusters/c2/backups/b/operations/9"},
	} {
		code, out := do(t, s, tt.method, tt.path, "")
		assert.GreaterOrEqual(t, code, 400, "%s %s", tt.method, tt.path)
		assert.NotEmpty(t, errStatus(out))
	}
}

func TestAddPanicsOnMalformedNames(t *testing.T) {
	s, _ := setup(t)
	assert.Panics(t, func() { s.AddCluster("projects/p") })
	assert.Panics(t, func() { s.AddTable("tables/t") })
	assert.Panics(t, func() { s.AddBackup(bigtable.Backup{Name: dst + "/backups/-bad"}) })
}
