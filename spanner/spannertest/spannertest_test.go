package spannertest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/spanner"
)

func do(t *testing.T, s *Server, method, path, body string, auth bool) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	require.NoError(t, err)
	if auth {
		req.Header.Set("Authorization", "Bearer t")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
	return resp.StatusCode, out
}

func TestAuthAndErrorShape(t *testing.T) {
	s := NewServer()
	defer s.Close()
	code, body := do(t, s, "GET", "/v1/projects/p/instances/i/backups/b", "", false)
	assert.Equal(t, 401, code)
	e := body["error"].(map[string]any)
	assert.Equal(t, "UNAUTHENTICATED", e["status"])
	assert.Equal(t, float64(401), e["code"])

	code, body = do(t, s, "GET", "/v1/projects/p/instances/i/backups/b", "", true)
	assert.Equal(t, 404, code)
	assert.Equal(t, "NOT_FOUND", body["error"].(map[string]any)["status"])

	code, _ = do(t, s, "GET", "/v2/whatever", "", true)
	assert.Equal(t, 404, code)
}

func TestCreateValidationAnswers(t *testing.T) {
	s := NewServer()
	defer s.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	s.AddDatabase("projects/p/instances/i/databases/d")
	ok := `{"database":"projects/p/instances/i/databases/d","expireTime":"2026-01-02T00:00:00Z"}`
	for _, tt := range []struct {
		name, query, body, status string
	}{
		{"bad id", "backupId=B", ok, "INVALID_ARGUMENT"},
		{"no id", "", ok, "INVALID_ARGUMENT"},
		{"expire soon", "backupId=b1", `{"database":"projects/p/instances/i/databases/d","expireTime":"2026-01-01T05:00:00Z"}`, "INVALID_ARGUMENT"},
		{"expire late", "backupId=b1", `{"database":"projects/p/instances/i/databases/d","expireTime":"2027-01-03T00:00:00Z"}`, "INVALID_ARGUMENT"},
		{"bad time", "backupId=b1", `{"database":"projects/p/instances/i/databases/d","expireTime":"tomorrow"}`, "INVALID_ARGUMENT"},
		{"version future", "backupId=b1", `{"database":"projects/p/instances/i/databases/d","expireTime":"2026-01-02T00:00:00Z","versionTime":"2026-01-01T00:01:00Z"}`, "INVALID_ARGUMENT"},
		{"other instance", "backupId=b1", `{"database":"projects/p/instances/j/databases/d","expireTime":"2026-01-02T00:00:00Z"}`, "INVALID_ARGUMENT"},
		{"kms without cmek", "backupId=b1&encryptionConfig.encryptionType=GOOGLE_DEFAULT_ENCRYPTION&encryptionConfig.kmsKeyName=projects/p/locations/l/keyRings/r/cryptoKeys/k", ok, "INVALID_ARGUMENT"},
		{"cmek without key", "backupId=b1&encryptionConfig.encryptionType=CUSTOMER_MANAGED_ENCRYPTION", ok, "INVALID_ARGUMENT"},
		{"copy-only type", "backupId=b1&encryptionConfig.encryptionType=USE_CONFIG_DEFAULT_OR_BACKUP_ENCRYPTION", ok, "INVALID_ARGUMENT"},
		{"unknown instance", "backupId=b1", ok, "NOT_FOUND"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			parent := "projects/p/instances/i"
			if tt.status == "NOT_FOUND" {
				parent = "projects/p/instances/zz"
			}
			code, body := do(t, s, "POST", "/v1/"+parent+"/backups?"+tt.query, tt.body, true)
			assert.NotEqual(t, 200, code)
			assert.Equal(t, tt.status, body["error"].(map[string]any)["status"], "%v", body)
		})
	}
	code, body := do(t, s, "POST", "/v1/projects/p/instances/i/backups?backupId=b1&encryptionConfig.encryptionType=CUSTOMER_MANAGED_ENCRYPTION&encryptionConfig.kmsKeyNames=projects/p/locations/l/keyRings/r/cryptoKeys/k", ok, true)
	require.Equal(t, 200, code, "%v", body)
	b, ok2 := s.Backup("projects/p/instances/i/backups/b1")
	require.True(t, ok2)
	assert.Equal(t, spanner.BackupCreating, b.State)
	assert.Equal(t, spanner.CustomerManagedEncryption, b.EncryptionInfo.Type)
	assert.Equal(t, "projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1", b.EncryptionInfo.KMSKeyVersion)
	md := body["metadata"].(map[string]any)
	assert.Equal(t, spanner.CreateBackupMetadataTypeURL, md["@type"])
	assert.Nil(t, body["done"])

	// Progress moves with the clock; the operation ends at DefaultDuration.
	now = now.Add(DefaultDuration / 2)
	_, op := do(t, s, "GET", "/v1/"+body["name"].(string), "", true)
	assert.Equal(t, float64(50), op["metadata"].(map[string]any)["progress"].(map[string]any)["progressPercent"])
	now = now.Add(DefaultDuration)
	_, op = do(t, s, "GET", "/v1/"+body["name"].(string), "", true)
	assert.Equal(t, true, op["done"])
	assert.Equal(t, spanner.BackupTypeURL, op["response"].(map[string]any)["@type"])
	assert.Equal(t, "READY", op["response"].(map[string]any)["state"])
}

func TestFilter(t *testing.T) {
	create := &operation{name: "projects/p/instances/i/backups/b1/operations/o1", backup: "projects/p/instances/i/backups/b1", database: "projects/p/instances/i/databases/prod"}
	cp := &operation{name: "projects/p/instances/i/backups/c1/operations/o2", copy: true, backup: "projects/p/instances/i/backups/c1", source: "projects/p/instances/i/backups/test", done: true, errCode: 1}
	tests := []struct {
		filter     string
		create, cp bool
	}{
		{"", true, true},
		{"done:true", false, true},
		{"done=false", true, false},
		{"(metadata.@type=type.googleapis.com/google.spanner.admin.database.v1.CreateBackupMetadata) AND (metadata.database:prod)", true, false},
		{`(metadata.@type:CopyBackupMetadata) AND (metadata.source_backup:"TEST")`, false, true},
		{"(metadata.@type=type.googleapis.com/google.spanner.admin.database.v1.CopyBackupMetadata) (error:*)", false, true},
		{`(metadata.@type:BackupMetadata) AND (metadata.name:"projects/p/instances/i/backups/b1")`, true, false},
		{"name:o2", false, true},
		{"error!=1", true, false},
	}
	for _, tt := range tests {
		m, e := parseFilter(tt.filter)
		require.Nil(t, e, tt.filter)
		assert.Equal(t, tt.create, m(create), tt.filter)
		assert.Equal(t, tt.cp, m(cp), tt.filter)
	}
	for _, bad := range []string{"metadata.name:x", "(done:true", `name:"x`, "done:true OR done:false", "metadata.progress.start_time<1", "foo=1", "=x"} {
		_, e := parseFilter(bad)
		assert.NotNil(t, e, bad)
	}
}

func TestPaging(t *testing.T) {
	s := NewServer(WithoutAuthentication())
	defer s.Close()
	for _, id := range []string{"a1", "b1", "c1"} {
		s.AddBackup(spanner.Backup{Name: "projects/p/instances/i/backups/" + id})
	}
	code, body := do(t, s, "GET", "/v1/projects/p/instances/i/backups?pageSize=2", "", false)
	require.Equal(t, 200, code)
	assert.Len(t, body["backups"], 2)
	tok := body["nextPageToken"].(string)
	_, body = do(t, s, "GET", "/v1/projects/p/instances/i/backups?pageSize=2&pageToken="+tok, "", false)
	assert.Len(t, body["backups"], 1)
	assert.Nil(t, body["nextPageToken"])
	code, _ = do(t, s, "GET", "/v1/projects/p/instances/i/backups?pageToken=garbage", "", false)
	assert.Equal(t, 400, code)
}

func TestSetAuthRequired(t *testing.T) {
	s := NewServer()
	defer s.Close()
	s.AddInstance("projects/p/instances/i")
	code, _ := do(t, s, "GET", "/v1/projects/p/instances/i/backups", "", false)
	assert.Equal(t, 401, code, "a bearer token is required by default")
	s.SetAuthRequired(false)
	code, _ = do(t, s, "GET", "/v1/projects/p/instances/i/backups", "", false)
	assert.Equal(t, 200, code)
	s.SetAuthRequired(true)
	code, _ = do(t, s, "GET", "/v1/projects/p/instances/i/backups", "", false)
	assert.Equal(t, 401, code)
}
