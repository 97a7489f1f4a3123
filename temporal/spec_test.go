package temporal_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/temporal"
)

// A spec's JSON leaves out its request's zero fields and decodes to the
// same spec; set fields, a set-but-empty Encryption among them, stay.
func TestCopySpecJSON(t *testing.T) {
	expire := time.Date(2026, 12, 9, 10, 0, 0, 123456000, time.UTC)
	for _, tc := range []struct {
		spec   temporal.CopySpec
		want   string
		absent []string
	}{
		{temporal.CopySpec{Key: "b", Cloud: temporal.Bigtable, ExpireAfter: time.Hour,
			Bigtable: &bigtable.CopyBackupRequest{Parent: "projects/p/instances/i/clusters/c", BackupID: "b", SourceBackup: "projects/p/instances/i/clusters/c/backups/s"}},
			`{"key":"b","cloud":"bigtable","expire_after":3600000000000,"bigtable":{"BackupID":"b","Parent":"projects/p/instances/i/clusters/c","SourceBackup":"projects/p/instances/i/clusters/c/backups/s"}}`,
			nil},
		{temporal.CopySpec{Key: "s", Cloud: temporal.Spanner,
			Spanner: &spanner.CopyBackupRequest{Parent: "projects/p/instances/i", BackupID: "s", SourceBackup: "projects/p/instances/j/backups/s", ExpireTime: expire, Encryption: &spanner.CopyEncryptionConfig{}}},
			"", []string{"0001-01-01"}},
		{temporal.CopySpec{Key: "c", Cloud: temporal.SpannerCreate,
			SpannerCreate: &spanner.CreateBackupRequest{Parent: "projects/p/instances/i", BackupID: "c", Database: "projects/p/instances/i/databases/d", ExpireTime: expire}},
			"", []string{"VersionTime", "Encryption", "0001-01-01"}},
		{temporal.CopySpec{Key: "r", Cloud: temporal.CBR, CBR: &cbr.CopyBackupRequest{BackupID: "b", DestinationProjectID: "p", DestinationRegion: "r", DestinationVaultID: "v"}},
			"", []string{"Name", "Description", "EnableAcceleration"}},
		{temporal.CopySpec{Key: "f", Cloud: temporal.FSx, FSx: &fsx.CopyBackupRequest{SourceBackupID: "backup-0123456789abcdef0", CopyTags: true}},
			`{"key":"f","cloud":"fsx","fsx":{"CopyTags":true,"SourceBackupID":"backup-0123456789abcdef0"}}`,
			nil},
	} {
		data, err := json.Marshal(tc.spec)
		require.NoError(t, err)
		if tc.want != "" {
			assert.JSONEq(t, tc.want, string(data))
		}
		for _, a := range tc.absent {
			assert.NotContains(t, string(data), a)
		}
		if tc.spec.Spanner != nil {
			assert.Contains(t, string(data), `"Encryption":{`, "a set Encryption stays, empty or not")
		}
		var back temporal.CopySpec
		require.NoError(t, json.Unmarshal(data, &back))
		assert.Equal(t, tc.spec, back, "%s", data)
	}
}
