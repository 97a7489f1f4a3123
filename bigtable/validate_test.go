package bigtable

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/clock"
)

var testNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// countingClient returns a client whose every request is counted (and
// answered 500), to prove that validation sends nothing.
func countingClient(t *testing.T) (*Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	c, err := newClient(context.Background(), clock.NewFake(testNow), WithEndpoint(srv.URL), WithoutAuthentication())
	require.NoError(t, err)
	return c, &n
}

func validCopy() CopyBackupRequest {
	return CopyBackupRequest{
		Parent:       "projects/p/instances/i/clusters/c2",
		BackupID:     "copy-1",
		SourceBackup: "projects/p/instances/i/clusters/c1/backups/src",
		ExpireTime:   testNow.Add(7 * 24 * time.Hour),
	}
}

func validCreate() CreateBackupRequest {
	return CreateBackupRequest{
		Parent:      "projects/p/instances/i/clusters/c1",
		BackupID:    "b1",
		SourceTable: "projects/p/instances/i/tables/t",
		ExpireTime:  testNow.Add(7 * 24 * time.Hour),
	}
}

func TestCopyBackupValidation(t *testing.T) {
	tests := []struct {
		name      string
		mod       func(*CopyBackupRequest)
		field     string
		ruleMatch string
	}{
		{"parent missing", func(r *CopyBackupRequest) { r.Parent = "" }, "CopyBackupRequest.Parent", "required"},
		{"parent short", func(r *CopyBackupRequest) { r.Parent = "projects/p/instances/i" }, "CopyBackupRequest.Parent", "projects/*/instances/*/clusters/*"},
		{"parent wrong words", func(r *CopyBackupRequest) { r.Parent = "projects/p/instance/i/clusters/c" }, "CopyBackupRequest.Parent", "projects/*/instances/*/clusters/*"},
		{"parent empty segment", func(r *CopyBackupRequest) { r.Parent = "projects//instances/i/clusters/c" }, "CopyBackupRequest.Parent", "single non-empty segment"},
		{"parent dot-dot", func(r *CopyBackupRequest) { r.Parent = "projects/../instances/i/clusters/c" }, "CopyBackupRequest.Parent", "single non-empty segment"},
		{"parent query char", func(r *CopyBackupRequest) { r.Parent = "projects/p?x=1/instances/i/clusters/c" }, "CopyBackupRequest.Parent", "single non-empty segment"},
		{"parent wildcard cluster", func(r *CopyBackupRequest) { r.Parent = "projects/p/instances/i/clusters/-" }, "CopyBackupRequest.Parent", "one cluster"},
		{"id missing", func(r *CopyBackupRequest) { r.BackupID = "" }, "CopyBackupRequest.BackupID", "required"},
		{"id too long", func(r *CopyBackupRequest) { r.BackupID = strings.Repeat("a", 51) }, "CopyBackupRequest.BackupID", "1-50 characters"},
		{"id starts with dash", func(r *CopyBackupRequest) { r.BackupID = "-x" }, "CopyBackupRequest.BackupID", "[_a-zA-Z0-9]"},
		{"id starts with dot", func(r *CopyBackupRequest) { r.BackupID = ".x" }, "CopyBackupRequest.BackupID", "[_a-zA-Z0-9]"},
		{"id slash", func(r *CopyBackupRequest) { r.BackupID = "a/b" }, "CopyBackupRequest.BackupID", "[-_.a-zA-Z0-9]"},
		{"id space", func(r *CopyBackupRequest) { r.BackupID = "a b" }, "CopyBackupRequest.BackupID", "[-_.a-zA-Z0-9]"},
		{"id unicode", func(r *CopyBackupRequest) { r.BackupID = "bäckup" }, "CopyBackupRequest.BackupID", "[-_.a-zA-Z0-9]"},
		{"source missing", func(r *CopyBackupRequest) { r.SourceBackup = "" }, "CopyBackupRequest.SourceBackup", "required"},
		{"source is a cluster", func(r *CopyBackupRequest) { r.SourceBackup = "projects/p/instances/i/clusters/c1" }, "CopyBackupRequest.SourceBackup", "backups/*"},
		{"source is a table", func(r *CopyBackupRequest) { r.SourceBackup = "projects/p/instances/i/tables/t" }, "CopyBackupRequest.SourceBackup", "backups/*"},
		{"source bad id", func(r *CopyBackupRequest) { r.SourceBackup = "projects/p/instances/i/clusters/c1/backups/-bad" }, "CopyBackupRequest.SourceBackup", "last segment"},
		{"copy onto source", func(r *CopyBackupRequest) { r.Parent, r.BackupID = "projects/p/instances/i/clusters/c1", "src" }, "CopyBackupRequest.BackupID", "differ from the source"},
		{"expire missing", func(r *CopyBackupRequest) { r.ExpireTime = time.Time{} }, "CopyBackupRequest.ExpireTime", "required"},
		{"expire in past", func(r *CopyBackupRequest) { r.ExpireTime = testNow.Add(-time.Hour) }, "CopyBackupRequest.ExpireTime", "at least 6 hours"},
		{"expire 5h", func(r *CopyBackupRequest) { r.ExpireTime = testNow.Add(5 * time.Hour) }, "CopyBackupRequest.ExpireTime", "at least 6 hours and at most 30 days"},
		{"expire 31d", func(r *CopyBackupRequest) { r.ExpireTime = testNow.Add(31 * 24 * time.Hour) }, "CopyBackupRequest.ExpireTime", "at most 30 days"},
		{"expire 90d (create's limit, not copy's)", func(r *CopyBackupRequest) { r.ExpireTime = testNow.Add(90 * 24 * time.Hour) }, "CopyBackupRequest.ExpireTime", "at most 30 days"},
	}
	c, n := countingClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := validCopy()
			tt.mod(&req)
			op, err := c.CopyBackup(context.Background(), &req)
			require.Error(t, err)
			assert.Nil(t, op)
			var ve *backupcopy.ValidationError
			require.True(t, errors.As(err, &ve), "want *backupcopy.ValidationError, got %T: %v", err, err)
			assert.Equal(t, tt.field, ve.Field)
			assert.Contains(t, ve.Rule, tt.ruleMatch)
			assert.Contains(t, err.Error(), tt.field)
		})
	}
	_, err := c.CopyBackup(context.Background(), nil)
	var ve *backupcopy.ValidationError
	assert.ErrorAs(t, err, &ve)
	assert.Zero(t, n.Load(), "no request may be sent for an invalid copy")
}

func TestCopyBackupValidationAccepts(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*CopyBackupRequest)
	}{
		{"plain", func(*CopyBackupRequest) {}},
		{"domain-scoped project", func(r *CopyBackupRequest) {
			r.Parent = "projects/example.com:my-proj/instances/i/clusters/c2"
			r.SourceBackup = "projects/example.com:my-proj/instances/i/clusters/c1/backups/src"
		}},
		{"cross project", func(r *CopyBackupRequest) { r.Parent = "projects/other-project/instances/other/clusters/c9" }},
		{"id 50 chars", func(r *CopyBackupRequest) { r.BackupID = strings.Repeat("a", 50) }},
		{"id 1 char", func(r *CopyBackupRequest) { r.BackupID = "a" }},
		{"id underscore first", func(r *CopyBackupRequest) { r.BackupID = "_a" }},
		{"id digit first, dots and dashes", func(r *CopyBackupRequest) { r.BackupID = "2026-11-22.nightly_copy" }},
		{"expire exactly 6h", func(r *CopyBackupRequest) { r.ExpireTime = testNow.Add(6 * time.Hour) }},
		{"expire a little under 6h (clock slack)", func(r *CopyBackupRequest) { r.ExpireTime = testNow.Add(6*time.Hour - time.Minute) }},
		{"expire exactly 30d", func(r *CopyBackupRequest) { r.ExpireTime = testNow.Add(30 * 24 * time.Hour) }},
		{"expire with offset", func(r *CopyBackupRequest) { r.ExpireTime = testNow.Add(24 * time.Hour).In(time.FixedZone("X", 5*3600)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := validCopy()
			tt.mod(&req)
			assert.NoError(t, req.validate(testNow))
		})
	}
}

func TestCreateBackupValidation(t *testing.T) {
	tests := []struct {
		name      string
		mod       func(*CreateBackupRequest)
		field     string
		ruleMatch string
	}{
		{"parent", func(r *CreateBackupRequest) { r.Parent = "projects/p/instances/i/tables/t" }, "CreateBackupRequest.Parent", "clusters/*"},
		{"parent wildcard", func(r *CreateBackupRequest) { r.Parent = "projects/p/instances/i/clusters/-" }, "CreateBackupRequest.Parent", "one cluster"},
		{"id", func(r *CreateBackupRequest) { r.BackupID = "a b" }, "CreateBackupRequest.BackupID", "[-_.a-zA-Z0-9]"},
		{"table missing", func(r *CreateBackupRequest) { r.SourceTable = "" }, "CreateBackupRequest.SourceTable", "required"},
		{"table shape", func(r *CreateBackupRequest) { r.SourceTable = "projects/p/instances/i/clusters/c/tables/t" }, "CreateBackupRequest.SourceTable", "tables/*"},
		{"table other instance", func(r *CreateBackupRequest) { r.SourceTable = "projects/p/instances/other/tables/t" }, "CreateBackupRequest.SourceTable", "same instance"},
		{"expire missing", func(r *CreateBackupRequest) { r.ExpireTime = time.Time{} }, "CreateBackupRequest.ExpireTime", "required"},
		{"expire 1h", func(r *CreateBackupRequest) { r.ExpireTime = testNow.Add(time.Hour) }, "CreateBackupRequest.ExpireTime", "at least 6 hours"},
		{"expire 91d", func(r *CreateBackupRequest) { r.ExpireTime = testNow.Add(91 * 24 * time.Hour) }, "CreateBackupRequest.ExpireTime", "at most 90 days"},
		{"type", func(r *CreateBackupRequest) { r.BackupType = "COLD" }, "CreateBackupRequest.BackupType", "STANDARD or HOT"},
		{"hot time on standard", func(r *CreateBackupRequest) { r.HotToStandardTime = testNow.Add(48 * time.Hour) }, "CreateBackupRequest.HotToStandardTime", "only for a HOT"},
		{"hot time too soon", func(r *CreateBackupRequest) {
			r.BackupType, r.HotToStandardTime = BackupTypeHot, testNow.Add(time.Hour)
		}, "CreateBackupRequest.HotToStandardTime", "at least 24 hours"},
	}
	c, n := countingClient(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := validCreate()
			tt.mod(&req)
			_, err := c.CreateBackup(context.Background(), &req)
			var ve *backupcopy.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field)
			assert.Contains(t, ve.Rule, tt.ruleMatch)
		})
	}
	assert.Zero(t, n.Load(), "no request may be sent for an invalid create")

	ok := validCreate()
	ok.ExpireTime = testNow.Add(90 * 24 * time.Hour) // create allows 90 days
	ok.BackupType, ok.HotToStandardTime = BackupTypeHot, testNow.Add(24*time.Hour)
	assert.NoError(t, ok.validate(testNow))
}

func TestNameValidationSendsNothing(t *testing.T) {
	c, n := countingClient(t)
	ctx := context.Background()
	bad := []string{"", "projects/p/instances/i/clusters/c", "projects/p/instances/i/clusters/c/backups/b/extra", "projects/p/instances/i/clusters/c/backups/..", "projects/p/instances/i/clusters/c/backups/b#x"}
	for _, name := range bad {
		_, err := c.GetBackup(ctx, name)
		var ve *backupcopy.ValidationError
		assert.ErrorAs(t, err, &ve, "GetBackup(%q)", name)
		assert.Equal(t, "name", ve.Field)
		assert.ErrorAs(t, c.DeleteBackup(ctx, name), &ve, "DeleteBackup(%q)", name)
	}
	for _, parent := range []string{"", "projects/p/instances/i", "projects/p/instances/i/clusters/c/backups"} {
		for b, err := range c.ListBackups(ctx, parent) {
			assert.Nil(t, b)
			var ve *backupcopy.ValidationError
			assert.ErrorAs(t, err, &ve, "ListBackups(%q)", parent)
		}
	}
	for _, name := range []string{"", "projects/p/x", "operations/../x", "operations/a/../b", "op?x"} {
		_, err := c.CopyBackupOperation(name).Poll(ctx)
		var ve *backupcopy.ValidationError
		assert.ErrorAs(t, err, &ve, "CopyBackupOperation(%q).Poll", name)
	}
	assert.Zero(t, n.Load())
}
