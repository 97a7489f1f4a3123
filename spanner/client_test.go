package spanner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/googleapis/gax-go/v2/apierror"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/clock"
)

var now0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// recorder is an httptest server that records requests and answers from a
// list of canned replies (the last one repeats).
type recorder struct {
	mu      sync.Mutex
	reqs    []recorded
	replies []reply
	srv     *httptest.Server
}

type recorded struct {
	Method, Path, RawQuery, Auth string
	Body                         []byte
}

type reply struct {
	status int
	body   string
	header map[string]string
}

func newRecorder(t *testing.T, replies ...reply) *recorder {
	r := &recorder{replies: replies}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, recorded{req.Method, req.URL.EscapedPath(), req.URL.RawQuery, req.Header.Get("Authorization"), b})
		rep := r.replies[min(len(r.reqs), len(r.replies))-1]
		r.mu.Unlock()
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.status)
		io.WriteString(w, rep.body)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

func testClient(t *testing.T, url string, opts ...Option) (*Client, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(now0)
	all := append([]Option{WithEndpoint(url), WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "secret-token"})), WithClock(clk)}, opts...)
	c, err := NewClient(context.Background(), all...)
	require.NoError(t, err)
	return c, clk
}

const opRunning = `{"name":"projects/p/instances/i/backups/b1/operations/op1",
 "metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CreateBackupMetadata",
  "name":"projects/p/instances/i/backups/b1","database":"projects/p/instances/i/databases/d",
  "progress":{"progressPercent":40,"startTime":"2026-11-22T10:00:00Z"}}}`

func TestValidationSendsNothing(t *testing.T) {
	rec := newRecorder(t, reply{200, opRunning, nil})
	c, clk := testClient(t, rec.srv.URL)
	now := clk.Now()
	ok := func() *CreateBackupRequest {
		return &CreateBackupRequest{Parent: "projects/p/instances/i", BackupID: "b1", Database: "projects/p/instances/i/databases/d", ExpireTime: now.Add(24 * time.Hour)}
	}
	okCopy := func() *CopyBackupRequest {
		return &CopyBackupRequest{Parent: "projects/p/instances/j", BackupID: "b2", SourceBackup: "projects/p/instances/i/backups/b1", ExpireTime: now.Add(24 * time.Hour)}
	}
	create := []struct {
		name, field string
		mod         func(*CreateBackupRequest)
	}{
		{"nil request", "CreateBackupRequest", nil},
		{"parent empty", "CreateBackupRequest.Parent", func(r *CreateBackupRequest) { r.Parent = "" }},
		{"parent shape", "CreateBackupRequest.Parent", func(r *CreateBackupRequest) { r.Parent = "projects/p/instance/i" }},
		{"parent traversal", "CreateBackupRequest.Parent", func(r *CreateBackupRequest) { r.Parent = "projects/../instances/i" }},
		{"parent extra", "CreateBackupRequest.Parent", func(r *CreateBackupRequest) { r.Parent = "projects/p/instances/i/x" }},
		{"id empty", "CreateBackupRequest.BackupID", func(r *CreateBackupRequest) { r.BackupID = "" }},
		{"id short", "CreateBackupRequest.BackupID", func(r *CreateBackupRequest) { r.BackupID = "b" }},
		{"id long", "CreateBackupRequest.BackupID", func(r *CreateBackupRequest) { r.BackupID = "b" + strings.Repeat("x", 60) }},
		{"id upper", "CreateBackupRequest.BackupID", func(r *CreateBackupRequest) { r.BackupID = "Backup" }},
		{"id digit first", "CreateBackupRequest.BackupID", func(r *CreateBackupRequest) { r.BackupID = "1backup" }},
		{"id dash last", "CreateBackupRequest.BackupID", func(r *CreateBackupRequest) { r.BackupID = "backup-" }},
		{"id slash", "CreateBackupRequest.BackupID", func(r *CreateBackupRequest) { r.BackupID = "a/b" }},
		{"database empty", "CreateBackupRequest.Database", func(r *CreateBackupRequest) { r.Database = "" }},
		{"database shape", "CreateBackupRequest.Database", func(r *CreateBackupRequest) { r.Database = "projects/p/instances/i/backups/d" }},
		{"database other instance", "CreateBackupRequest.Database", func(r *CreateBackupRequest) { r.Database = "projects/p/instances/other/databases/d" }},
		{"expire missing", "CreateBackupRequest.ExpireTime", func(r *CreateBackupRequest) { r.ExpireTime = time.Time{} }},
		{"expire too soon", "CreateBackupRequest.ExpireTime", func(r *CreateBackupRequest) { r.ExpireTime = now.Add(5 * time.Hour) }},
		{"expire too late", "CreateBackupRequest.ExpireTime", func(r *CreateBackupRequest) { r.ExpireTime = now.Add(367 * 24 * time.Hour) }},
		{"version in future", "CreateBackupRequest.VersionTime", func(r *CreateBackupRequest) { r.VersionTime = now.Add(time.Hour) }},
		{"version too old", "CreateBackupRequest.VersionTime", func(r *CreateBackupRequest) { r.VersionTime = now.Add(-8 * 24 * time.Hour) }},
		{"encryption type missing", "CreateBackupRequest.Encryption.Type", func(r *CreateBackupRequest) { r.Encryption = &EncryptionConfig{} }},
		{"encryption type unspecified", "CreateBackupRequest.Encryption.Type", func(r *CreateBackupRequest) {
			r.Encryption = &EncryptionConfig{Type: EncryptionTypeUnspecified}
		}},
		{"encryption type malformed", "CreateBackupRequest.Encryption.Type", func(r *CreateBackupRequest) {
			r.Encryption = &EncryptionConfig{Type: "google default"}
		}},
		{"kms without cmek", "CreateBackupRequest.Encryption", func(r *CreateBackupRequest) {
			r.Encryption = &EncryptionConfig{Type: GoogleDefaultEncryption, KMSKeyName: "projects/p/locations/l/keyRings/r/cryptoKeys/k"}
		}},
		{"kms names without cmek", "CreateBackupRequest.Encryption", func(r *CreateBackupRequest) {
			r.Encryption = &EncryptionConfig{Type: UseDatabaseEncryption, KMSKeyNames: []string{"projects/p/locations/l/keyRings/r/cryptoKeys/k"}}
		}},
		{"cmek without key", "CreateBackupRequest.Encryption", func(r *CreateBackupRequest) { r.Encryption = &EncryptionConfig{Type: CustomerManagedEncryption} }},
		{"cmek both keys", "CreateBackupRequest.Encryption", func(r *CreateBackupRequest) {
			r.Encryption = &EncryptionConfig{Type: CustomerManagedEncryption, KMSKeyName: "projects/p/locations/l/keyRings/r/cryptoKeys/k", KMSKeyNames: []string{"projects/p/locations/l/keyRings/r/cryptoKeys/k"}}
		}},
		{"cmek bad key", "CreateBackupRequest.Encryption.KMSKeyName", func(r *CreateBackupRequest) {
			r.Encryption = &EncryptionConfig{Type: CustomerManagedEncryption, KMSKeyName: "projects/p/keyRings/r/cryptoKeys/k"}
		}},
		{"cmek bad key in list", "CreateBackupRequest.Encryption.KMSKeyNames[1]", func(r *CreateBackupRequest) {
			r.Encryption = &EncryptionConfig{Type: CustomerManagedEncryption, KMSKeyNames: []string{"projects/p/locations/l/keyRings/r/cryptoKeys/k", "k2"}}
		}},
	}
	ctx := context.Background()
	for _, tt := range create {
		t.Run("create/"+tt.name, func(t *testing.T) {
			var req *CreateBackupRequest
			if tt.mod != nil {
				req = ok()
				tt.mod(req)
			}
			_, err := c.CreateBackup(ctx, req)
			var ve *backupcopy.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
			assert.NotEmpty(t, ve.Rule)
		})
	}
	copyTests := []struct {
		name, field string
		mod         func(*CopyBackupRequest)
	}{
		{"nil request", "CopyBackupRequest", nil},
		{"parent shape", "CopyBackupRequest.Parent", func(r *CopyBackupRequest) { r.Parent = "projects/p" }},
		{"id bad", "CopyBackupRequest.BackupID", func(r *CopyBackupRequest) { r.BackupID = "B2" }},
		{"source empty", "CopyBackupRequest.SourceBackup", func(r *CopyBackupRequest) { r.SourceBackup = "" }},
		{"source shape", "CopyBackupRequest.SourceBackup", func(r *CopyBackupRequest) { r.SourceBackup = "projects/p/instances/i/databases/d" }},
		{"source bad id", "CopyBackupRequest.SourceBackup", func(r *CopyBackupRequest) { r.SourceBackup = "projects/p/instances/i/backups/X" }},
		{"expire missing", "CopyBackupRequest.ExpireTime", func(r *CopyBackupRequest) { r.ExpireTime = time.Time{} }},
		{"expire too late", "CopyBackupRequest.ExpireTime", func(r *CopyBackupRequest) { r.ExpireTime = now.Add(400 * 24 * time.Hour) }},
		{"encryption missing type", "CopyBackupRequest.Encryption.Type", func(r *CopyBackupRequest) { r.Encryption = &CopyEncryptionConfig{} }},
		{"encryption unspecified", "CopyBackupRequest.Encryption.Type", func(r *CopyBackupRequest) {
			r.Encryption = &CopyEncryptionConfig{Type: CopyEncryptionTypeUnspecified}
		}},
		{"kms without cmek", "CopyBackupRequest.Encryption", func(r *CopyBackupRequest) {
			r.Encryption = &CopyEncryptionConfig{Type: UseConfigDefaultOrBackupEncryption, KMSKeyName: "projects/p/locations/l/keyRings/r/cryptoKeys/k"}
		}},
		{"cmek without key", "CopyBackupRequest.Encryption", func(r *CopyBackupRequest) {
			r.Encryption = &CopyEncryptionConfig{Type: CopyCustomerManagedEncryption}
		}},
	}
	for _, tt := range copyTests {
		t.Run("copy/"+tt.name, func(t *testing.T) {
			var req *CopyBackupRequest
			if tt.mod != nil {
				req = okCopy()
				tt.mod(req)
			}
			_, err := c.CopyBackup(ctx, req)
			var ve *backupcopy.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
		})
	}
	others := map[string]func() error{
		"get":           func() error { _, err := c.GetBackup(ctx, "projects/p/instances/i"); return err },
		"get traversal": func() error { _, err := c.GetBackup(ctx, "projects/p/instances/i/backups/.."); return err },
		"delete":        func() error { return c.DeleteBackup(ctx, "backups/b") },
		"list": func() error {
			for _, err := range c.ListBackups(ctx, "projects/p") {
				return err
			}
			return nil
		},
		"poll": func() error { _, err := c.CreateBackupOperation("operations/x").Poll(ctx); return err },
		"poll query": func() error {
			_, err := c.CopyBackupOperation("projects/p/instances/i/backups/b/operations/x?y").Poll(ctx)
			return err
		},
		"cancel": func() error { return c.CreateBackupOperation("projects/p/instances/i/operations/x").Cancel(ctx) },
	}
	for name, f := range others {
		t.Run(name, func(t *testing.T) {
			var ve *backupcopy.ValidationError
			assert.ErrorAs(t, f(), &ve)
		})
	}
	assert.Empty(t, rec.requests(), "no request may be sent for an invalid input")
}

func TestValidationAcceptsEdgeValues(t *testing.T) {
	rec := newRecorder(t, reply{200, opRunning, nil})
	c, clk := testClient(t, rec.srv.URL)
	now := clk.Now()
	key := "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"
	for _, req := range []*CreateBackupRequest{
		{Parent: "projects/example.com:my-proj/instances/i", BackupID: "ab", Database: "projects/example.com:my-proj/instances/i/databases/d", ExpireTime: now.Add(MinExpire)},
		{Parent: "projects/p/instances/i", BackupID: "a" + strings.Repeat("_-9", 19) + "z", Database: "projects/123456/instances/i/databases/d", ExpireTime: now.Add(MaxCreateExpire)},
		{Parent: "projects/p/instances/i", BackupID: "b1", Database: "projects/p/instances/i/databases/d", ExpireTime: now.Add(7 * time.Hour), VersionTime: now.Add(-7 * 24 * time.Hour)},
		{Parent: "projects/p/instances/i", BackupID: "b1", Database: "projects/p/instances/i/databases/d", ExpireTime: now.Add(7 * time.Hour), Encryption: &EncryptionConfig{Type: CustomerManagedEncryption, KMSKeyNames: []string{key, key}}},
		{Parent: "projects/p/instances/i", BackupID: "b1", Database: "projects/p/instances/i/databases/d", ExpireTime: now.Add(7 * time.Hour), Encryption: &EncryptionConfig{Type: GoogleDefaultEncryption}},
	} {
		_, err := c.CreateBackup(context.Background(), req)
		assert.NoError(t, err, "%+v", req)
	}
	assert.Len(t, rec.requests(), 5)
	assert.Equal(t, "/v1/projects/example.com:my-proj/instances/i/backups", rec.requests()[0].Path)
}

func TestCreateBackupWire(t *testing.T) {
	rec := newRecorder(t, reply{200, opRunning, nil})
	c, clk := testClient(t, rec.srv.URL)
	expire := clk.Now().Add(48*time.Hour + 123456789*time.Nanosecond)
	op, err := c.CreateBackup(context.Background(), &CreateBackupRequest{
		Parent: "projects/p/instances/i", BackupID: "b1", Database: "projects/p/instances/i/databases/d",
		ExpireTime: expire, VersionTime: clk.Now().Add(-time.Minute),
		Encryption: &EncryptionConfig{Type: CustomerManagedEncryption, KMSKeyNames: []string{"projects/p/locations/a/keyRings/r/cryptoKeys/k1", "projects/p/locations/b/keyRings/r/cryptoKeys/k2"}},
	})
	require.NoError(t, err)
	reqs := rec.requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, "/v1/projects/p/instances/i/backups", r.Path)
	assert.Equal(t, "backupId=b1&encryptionConfig.encryptionType=CUSTOMER_MANAGED_ENCRYPTION&encryptionConfig.kmsKeyNames=projects%2Fp%2Flocations%2Fa%2FkeyRings%2Fr%2FcryptoKeys%2Fk1&encryptionConfig.kmsKeyNames=projects%2Fp%2Flocations%2Fb%2FkeyRings%2Fr%2FcryptoKeys%2Fk2", r.RawQuery)
	assert.JSONEq(t, `{"database":"projects/p/instances/i/databases/d","expireTime":"2026-11-24T10:00:00.123456Z","versionTime":"2026-11-22T09:59:00.000000Z"}`, string(r.Body))
	assert.Equal(t, "Bearer secret-token", r.Auth)

	assert.Equal(t, "projects/p/instances/i/backups/b1/operations/op1", op.Name())
	assert.False(t, op.Done())
	require.NotNil(t, op.Metadata())
	assert.Equal(t, 40, op.Metadata().Progress.Percent)
	assert.Equal(t, 40, op.Progress().Percent)
	assert.Equal(t, "projects/p/instances/i/databases/d", op.Metadata().Database)
	assert.Equal(t, now0, op.Metadata().Progress.StartTime)
}

func TestCopyBackupWire(t *testing.T) {
	done := `{"name":"projects/p/instances/j/backups/b2/operations/op2","done":true,
	 "metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CopyBackupMetadata","name":"projects/p/instances/j/backups/b2","sourceBackup":"projects/p/instances/i/backups/b1","progress":{"progressPercent":100}},
	 "response":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.Backup","name":"projects/p/instances/j/backups/b2","state":"READY","sizeBytes":"9007199254740993","database":"projects/p/instances/i/databases/d"}}`
	rec := newRecorder(t, reply{200, done, nil})
	c, clk := testClient(t, rec.srv.URL)
	op, err := c.CopyBackup(context.Background(), &CopyBackupRequest{
		Parent: "projects/p/instances/j", BackupID: "b2", SourceBackup: "projects/p/instances/i/backups/b1",
		ExpireTime: clk.Now().Add(24 * time.Hour),
		Encryption: &CopyEncryptionConfig{Type: CopyCustomerManagedEncryption, KMSKeyName: "projects/p/locations/a/keyRings/r/cryptoKeys/k1"},
	})
	require.NoError(t, err)
	r := rec.requests()[0]
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, "/v1/projects/p/instances/j/backups:copy", r.Path)
	assert.Empty(t, r.RawQuery)
	assert.JSONEq(t, `{"backupId":"b2","sourceBackup":"projects/p/instances/i/backups/b1","expireTime":"2026-11-23T10:00:00.000000Z",
	 "encryptionConfig":{"encryptionType":"CUSTOMER_MANAGED_ENCRYPTION","kmsKeyName":"projects/p/locations/a/keyRings/r/cryptoKeys/k1"}}`, string(r.Body))
	assert.True(t, op.Done())
	b, err := op.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(9007199254740993), b.SizeBytes)
	assert.Equal(t, "projects/p/instances/i/backups/b1", b.SourceBackup)
	assert.Len(t, rec.requests(), 1, "a done operation needs no poll")
}

func TestAPIErrors(t *testing.T) {
	body := `{"error":{"code":409,"message":"Backup already exists: projects/p/instances/i/backups/b1","status":"ALREADY_EXISTS",
	 "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RESOURCE_EXISTS","domain":"spanner.googleapis.com"},
	 {"@type":"type.googleapis.com/google.rpc.RequestInfo","requestId":"req-7"}]}}`
	rec := newRecorder(t, reply{409, body, nil})
	c, clk := testClient(t, rec.srv.URL)
	_, err := c.CreateBackup(context.Background(), &CreateBackupRequest{Parent: "projects/p/instances/i", BackupID: "b1", Database: "projects/p/instances/i/databases/d", ExpireTime: clk.Now().Add(7 * time.Hour)})
	require.Error(t, err)
	assert.Equal(t, codes.AlreadyExists, status.Code(err))
	var ae *apierror.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 409, ae.HTTPCode())
	assert.Equal(t, "RESOURCE_EXISTS", ae.Reason())
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "CreateBackup", se.Operation)
	assert.Equal(t, "req-7", se.RequestID)
	assert.Equal(t, 409, se.HTTPStatus)
	for _, want := range []string{"spanner", "CreateBackup", "AlreadyExists", "Backup already exists", "409", "req-7"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), "secret-token")
	assert.Len(t, rec.requests(), 1, "a plain conflict is not retried nor looked up")
}

func TestRetries(t *testing.T) {
	unavailable := reply{503, `{"error":{"code":503,"message":"try later","status":"UNAVAILABLE"}}`, nil}
	backup := reply{200, `{"name":"projects/p/instances/i/backups/b1","state":"READY"}`, nil}
	tests := []struct {
		name     string
		replies  []reply
		wantCode codes.Code
		attempts int
	}{
		{"503 then ok", []reply{unavailable, backup}, codes.OK, 2},
		{"429 with RetryInfo then ok", []reply{{429, `{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"3s"}]}}`, nil}, backup}, codes.OK, 2},
		{"504 html then ok", []reply{{504, `<html>gateway</html>`, nil}, backup}, codes.OK, 2},
		{"always 503", []reply{unavailable}, codes.Unavailable, 4},
		{"404 not retried", []reply{{404, `{"error":{"code":404,"message":"nf","status":"NOT_FOUND"}}`, nil}}, codes.NotFound, 1},
		{"403 not retried", []reply{{403, `{"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}}`, nil}}, codes.PermissionDenied, 1},
		{"409 aborted not retried", []reply{{409, `{"error":{"code":409,"message":"a","status":"ABORTED"}}`, nil}}, codes.Aborted, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, tt.replies...)
			c, clk := testClient(t, rec.srv.URL)
			_, err := c.GetBackup(context.Background(), "projects/p/instances/i/backups/b1")
			assert.Equal(t, tt.wantCode, status.Code(err), "%v", err)
			assert.Len(t, rec.requests(), tt.attempts)
			if strings.Contains(tt.name, "RetryInfo") {
				require.NotEmpty(t, clk.Sleeps())
				assert.GreaterOrEqual(t, clk.Sleeps()[0], 3*time.Second)
			}
		})
	}
}

// A 503 to CreateBackup is retried (the backup id makes the replay safe);
// when the replay is refused with ALREADY_EXISTS the client finds the
// operation through backupOperations and checks its metadata.
func TestCreateRecoveryFilterAndMatch(t *testing.T) {
	list := `{"operations":[
	 {"name":"projects/p/instances/i/backups/b1x/operations/other","metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CreateBackupMetadata","name":"projects/p/instances/i/backups/b1x","database":"projects/p/instances/i/databases/d"}},
	 {"name":"projects/p/instances/i/backups/b1/operations/failed","done":true,"error":{"code":9,"message":"x"},"metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CreateBackupMetadata","name":"projects/p/instances/i/backups/b1","database":"projects/p/instances/i/databases/d"}},
	 {"name":"projects/p/instances/i/backups/b1/operations/mine","metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CreateBackupMetadata","name":"projects/p/instances/i/backups/b1","database":"projects/p/instances/i/databases/d","progress":{"progressPercent":5}}}]}`
	rec := newRecorder(t,
		reply{503, `{"error":{"code":503,"message":"x","status":"UNAVAILABLE"}}`, nil},
		reply{409, `{"error":{"code":409,"message":"exists","status":"ALREADY_EXISTS"}}`, nil},
		reply{200, `{"name":"projects/p/instances/i/backups/b1","database":"projects/p/instances/i/databases/d","state":"CREATING","expireTime":"` + now0.Add(7*time.Hour).Format(time.RFC3339Nano) + `"}`, nil},
		reply{200, list, nil})
	c, clk := testClient(t, rec.srv.URL)
	op, err := c.CreateBackup(context.Background(), &CreateBackupRequest{Parent: "projects/p/instances/i", BackupID: "b1", Database: "projects/p/instances/i/databases/d", ExpireTime: clk.Now().Add(7 * time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, "projects/p/instances/i/backups/b1/operations/mine", op.Name())
	assert.Equal(t, 5, op.Progress().Percent)
	reqs := rec.requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, "/v1/projects/p/instances/i/backups/b1", reqs[2].Path, "the existing backup is checked first")
	assert.Equal(t, "/v1/projects/p/instances/i/backupOperations", reqs[3].Path)
	assert.Equal(t, `filter=%28metadata.%40type%3Dtype.googleapis.com%2Fgoogle.spanner.admin.database.v1.CreateBackupMetadata%29+AND+%28metadata.name%3A%22projects%2Fp%2Finstances%2Fi%2Fbackups%2Fb1%22%29`, reqs[3].RawQuery)
	assert.Equal(t, reqs[0].Body, reqs[1].Body, "the replay is the same request")
}

func TestRecoveryLookupFailureKeepsConflict(t *testing.T) {
	rec := newRecorder(t,
		reply{500, `{"error":{"code":500,"message":"x","status":"INTERNAL"}}`, nil},
		reply{409, `{"error":{"code":409,"message":"exists","status":"ALREADY_EXISTS"}}`, nil},
		reply{403, `{"error":{"code":403,"message":"no list permission","status":"PERMISSION_DENIED"}}`, nil})
	c, clk := testClient(t, rec.srv.URL)
	_, err := c.CopyBackup(context.Background(), &CopyBackupRequest{Parent: "projects/p/instances/i", BackupID: "b1", SourceBackup: "projects/p/instances/i/backups/b0", ExpireTime: clk.Now().Add(7 * time.Hour)})
	require.Error(t, err)
	assert.Equal(t, codes.AlreadyExists, status.Code(err))
	assert.Contains(t, err.Error(), "no list permission")
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "CopyBackup", se.Operation)
}

func TestOperationFailureAndBadShapes(t *testing.T) {
	failed := `{"name":"projects/p/instances/i/backups/b1/operations/op1","done":true,
	 "metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CreateBackupMetadata","name":"projects/p/instances/i/backups/b1"},
	 "error":{"code":9,"message":"database is being dropped","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"DB_DROPPING"}]}}`
	rec := newRecorder(t, reply{200, failed, nil})
	c, _ := testClient(t, rec.srv.URL)
	op := c.CreateBackupOperation("projects/p/instances/i/backups/b1/operations/op1")
	_, err := op.Wait(context.Background())
	assert.Equal(t, codes.FailedPrecondition, status.Code(err))
	var ae *apierror.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "DB_DROPPING", ae.Reason())
	assert.True(t, op.Done())

	for name, body := range map[string]string{
		"done without outcome": `{"name":"projects/p/instances/i/backups/b1/operations/op1","done":true}`,
		"wrong response type":  `{"name":"projects/p/instances/i/backups/b1/operations/op1","done":true,"response":{"@type":"type.googleapis.com/google.protobuf.Empty"}}`,
		"wrong metadata type":  `{"name":"projects/p/instances/i/backups/b1/operations/op1","metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CopyBackupMetadata"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			rec := newRecorder(t, reply{200, body, nil})
			c, _ := testClient(t, rec.srv.URL)
			op := c.CreateBackupOperation("projects/p/instances/i/backups/b1/operations/op1")
			_, err := op.Poll(context.Background())
			assert.Error(t, err)
			assert.False(t, op.Done(), "a failed poll leaves the handle unchanged")
		})
	}
}

func TestCancelWire(t *testing.T) {
	rec := newRecorder(t, reply{200, `{}`, nil})
	c, _ := testClient(t, rec.srv.URL)
	require.NoError(t, c.CopyBackupOperation("projects/example.com:p/instances/i/backups/b1/operations/op1").Cancel(context.Background()))
	r := rec.requests()[0]
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, "/v1/projects/example.com:p/instances/i/backups/b1/operations/op1:cancel", r.Path)
	assert.Empty(t, r.Body)
}

func TestListBackupsPagesAndRepeatedToken(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		switch r.URL.Query().Get("pageToken") {
		case "":
			io.WriteString(w, `{"backups":[{"name":"projects/p/instances/i/backups/a1"}],"nextPageToken":"t1"}`)
		case "t1":
			io.WriteString(w, `{"backups":[],"nextPageToken":"t2"}`) // a short page that goes on
		case "t2":
			io.WriteString(w, `{"backups":[{"name":"projects/p/instances/i/backups/b1"}],"nextPageToken":"t1"}`)
		}
	}))
	defer srv.Close()
	c, _ := testClient(t, srv.URL)
	var names []string
	var lastErr error
	for b, err := range c.ListBackups(context.Background(), "projects/p/instances/i") {
		if err != nil {
			lastErr = err
			continue
		}
		names = append(names, b.Name)
	}
	assert.Equal(t, []string{"projects/p/instances/i/backups/a1", "projects/p/instances/i/backups/b1"}, names)
	require.Error(t, lastErr)
	assert.Contains(t, lastErr.Error(), "repeated page token")
	assert.Equal(t, int32(3), n.Load())
}

func TestDeleteAfterLostResponse(t *testing.T) {
	rec := newRecorder(t,
		reply{502, `bad gateway`, nil},
		reply{404, `{"error":{"code":404,"message":"nf","status":"NOT_FOUND"}}`, nil})
	c, _ := testClient(t, rec.srv.URL)
	assert.NoError(t, c.DeleteBackup(context.Background(), "projects/p/instances/i/backups/b1"))
	assert.Equal(t, "DELETE", rec.requests()[0].Method)
	assert.Len(t, rec.requests(), 2)
}

func TestBackupJSONRoundTrip(t *testing.T) {
	in := `{"name":"projects/p/instances/i/backups/b","database":"projects/p/instances/i/databases/d",
	 "expireTime":"2026-12-01T00:00:00+01:00","versionTime":"2026-11-22T10:00:00.123Z","createTime":"2026-11-22T10:00:01.123456789Z",
	 "sizeBytes":"123","state":"CREATING","referencingDatabases":["projects/p/instances/i/databases/r"],
	 "referencingBackups":["projects/p/instances/j/backups/c"],
	 "encryptionInfo":{"encryptionType":"CUSTOMER_MANAGED_ENCRYPTION","kmsKeyVersion":"projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1",
	   "encryptionStatus":{"code":7,"message":"key disabled"}},
	 "encryptionInformation":[{"encryptionType":"GOOGLE_DEFAULT_ENCRYPTION"}],
	 "databaseDialect":"POSTGRESQL","maxExpireTime":"2027-11-22T10:00:00Z","exclusiveSizeBytes":"100","freeableSizeBytes":"50",
	 "incrementalBackupChainId":"chain","oldestVersionTime":"2026-11-20T00:00:00Z","backupSchedules":["s1"],
	 "instancePartitions":[{"instancePartition":"projects/p/instances/i/instancePartitions/ip"}],
	 "minimumRestorableEdition":"ENTERPRISE","someFutureField":{"x":1}}`
	var b Backup
	require.NoError(t, json.Unmarshal([]byte(in), &b))
	assert.Equal(t, time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC), b.ExpireTime.UTC())
	assert.Equal(t, int64(123), b.SizeBytes)
	assert.Equal(t, BackupCreating, b.State)
	assert.Equal(t, PostgreSQL, b.DatabaseDialect)
	assert.Equal(t, CustomerManagedEncryption, b.EncryptionInfo.Type)
	assert.Equal(t, Status{Code: codes.PermissionDenied, Message: "key disabled"}, b.EncryptionInfo.Status)
	assert.Equal(t, codes.PermissionDenied, status.Code(b.EncryptionInfo.Status.Err()))
	assert.NoError(t, Status{}.Err(), "the zero Status is OK")
	assert.Equal(t, []string{"projects/p/instances/i/instancePartitions/ip"}, b.InstancePartitions)
	assert.Equal(t, int64(50), b.FreeableSizeBytes)
	assert.Equal(t, "chain", b.IncrementalBackupChainID)

	out, err := json.Marshal(b)
	require.NoError(t, err)
	var again Backup
	require.NoError(t, json.Unmarshal(out, &again))
	assert.Equal(t, time.Date(2026, 11, 22, 10, 0, 1, 123456789, time.UTC), again.CreateTime, "every digit kept")
	b.ExpireTime, again.ExpireTime = b.ExpireTime.UTC(), again.ExpireTime.UTC()
	assert.Equal(t, b, again)
	assert.Contains(t, string(out), `"sizeBytes":"123"`)
	assert.Contains(t, string(out), `"createTime":"2026-11-22T10:00:01.123456789Z"`)
	assert.Contains(t, string(out), `"versionTime":"2026-11-22T10:00:00.123Z"`, "0, 3, 6 or 9 digits, as Google writes")
	assert.NotContains(t, string(out), "sourceBackup")
}

func TestNewClientOptions(t *testing.T) {
	ctx := context.Background()
	_, err := NewClient(ctx, WithEndpoint("http://spanner.example.com"), WithoutAuthentication())
	var ve *backupcopy.ValidationError
	assert.ErrorAs(t, err, &ve, "plain http only for loopback")
	_, err = NewClient(ctx, WithEndpoint("https://spanner.example.com/"), WithoutAuthentication())
	assert.NoError(t, err)
	_, err = NewClient(ctx, WithUserAgent("bad\r\nX-Evil: 1"), WithoutAuthentication())
	assert.Error(t, err)
	_, err = NewClient(ctx, WithTokenSource(nil))
	assert.Error(t, err)
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", t.TempDir()+"/missing.json")
	_, err = NewClient(ctx)
	assert.Error(t, err, "no default credentials")
}

func TestCloseAndLogs(t *testing.T) {
	rec := newRecorder(t, reply{503, `{"error":{"code":503,"message":"x","status":"UNAVAILABLE"}}`, nil}, reply{200, `{"name":"projects/p/instances/i/backups/b1"}`, nil})
	var buf bytes.Buffer
	c, _ := testClient(t, rec.srv.URL, WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))), WithUserAgent("tool/1.0"))
	_, err := c.GetBackup(context.Background(), "projects/p/instances/i/backups/b1")
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "retrying")
	assert.Contains(t, buf.String(), "GetBackup")
	assert.NotContains(t, buf.String(), "secret-token")
	require.NoError(t, c.Close())
	_, err = c.GetBackup(context.Background(), "projects/p/instances/i/backups/b1")
	assert.True(t, errors.Is(err, ErrClosed))
	_, err = c.CreateBackup(context.Background(), &CreateBackupRequest{Parent: "projects/p/instances/i", BackupID: "b2",
		Database: "projects/p/instances/i/databases/d", ExpireTime: now0.Add(48 * time.Hour)})
	assert.True(t, errors.Is(err, ErrClosed))
	_, err = c.CopyBackup(context.Background(), &CopyBackupRequest{})
	assert.True(t, errors.Is(err, ErrClosed), "closed is reported before validation")
	n := len(rec.requests())
	// Operation handles keep working after Close, as in every backupcopy client.
	_, err = c.CreateBackupOperation("projects/p/instances/i/backups/b1/operations/o").Poll(context.Background())
	require.NoError(t, err)
	assert.Len(t, rec.requests(), n+1)
}

type countingTransport struct {
	n    atomic.Int32
	auth atomic.Value
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	c.auth.Store(r.Header.Get("Authorization"))
	return http.DefaultTransport.RoundTrip(r)
}

// The caller's HTTP client carries the requests; the client still
// authenticates them, and a redirect to another host is not followed.
func TestWithHTTPClient(t *testing.T) {
	other := newRecorder(t, reply{200, `{"name":"elsewhere"}`, nil})
	rec := newRecorder(t, reply{307, ``, map[string]string{"Location": other.srv.URL + "/v1/projects/p/instances/i/backups/b1"}})
	tr := &countingTransport{}
	c, _ := testClient(t, rec.srv.URL, WithHTTPClient(&http.Client{Transport: tr}))
	_, err := c.GetBackup(context.Background(), "projects/p/instances/i/backups/b1")
	require.Error(t, err)
	assert.Equal(t, int32(1), tr.n.Load())
	assert.Equal(t, "Bearer secret-token", tr.auth.Load())
	assert.Empty(t, other.requests(), "no request, and so no token, reaches another host")
}
