package spanner

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Times with nine fraction digits come back from Wait, and from a Wait
// resumed by name, with all nine; the request sends its times with the
// microsecond precision the service keeps.
func TestWaitKeepsNineDigits(t *testing.T) {
	const name = "projects/p/instances/i/backups/b1/operations/op9"
	meta := `"metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CopyBackupMetadata","name":"projects/p/instances/i/backups/b1","sourceBackup":"projects/p/instances/i/backups/b0",
	 "progress":{"progressPercent":100,"startTime":"2026-11-22T10:00:00.123456789Z","endTime":"2026-11-22T10:01:00.000000001Z"},"cancelTime":"2026-11-22T10:00:30.999999999Z"}`
	running := `{"name":"` + name + `",` + meta + `}`
	done := `{"name":"` + name + `","done":true,` + meta + `,"response":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.Backup","name":"projects/p/instances/i/backups/b1","state":"READY",
	 "createTime":"2026-11-22T10:00:00.123456789Z","versionTime":"2026-11-22T09:59:59.987654321+01:00","expireTime":"2026-11-29T10:00:00.000000009Z","maxExpireTime":"2027-11-22T10:00:00.1Z"}}`
	rec := newRecorder(t, reply{200, running, nil}, reply{200, done, nil})
	c, clk := testClient(t, rec.srv.URL)
	ctx := context.Background()
	expire := clk.Now().Add(7*24*time.Hour + 123456789)
	op, err := c.CopyBackup(ctx, &CopyBackupRequest{Parent: "projects/p/instances/i", BackupID: "b1", SourceBackup: "projects/p/instances/i/backups/b0", ExpireTime: expire})
	require.NoError(t, err)
	var sent struct{ ExpireTime string }
	require.NoError(t, json.Unmarshal(rec.requests()[0].Body, &sent))
	assert.Equal(t, "2026-11-29T10:00:00.123456Z", sent.ExpireTime, "a request's time is sent with microseconds")

	ns := func(h, m, s, n int) time.Time { return time.Date(2026, 11, 22, h, m, s, n, time.UTC) }
	for what, h := range map[string]*CopyBackupOperation{"Wait": op, "resumed Wait": c.CopyBackupOperation(name)} {
		b, err := h.Wait(ctx)
		require.NoError(t, err, what)
		assert.True(t, b.CreateTime.Equal(ns(10, 0, 0, 123456789)), "%s: %v", what, b.CreateTime)
		assert.True(t, b.VersionTime.Equal(ns(8, 59, 59, 987654321)), "%s: %v", what, b.VersionTime)
		assert.True(t, b.ExpireTime.Equal(time.Date(2026, 11, 29, 10, 0, 0, 9, time.UTC)), "%s: %v", what, b.ExpireTime)
		m := h.Metadata()
		require.NotNil(t, m, what)
		assert.True(t, m.Progress.StartTime.Equal(ns(10, 0, 0, 123456789)), what)
		assert.True(t, m.Progress.EndTime.Equal(ns(10, 1, 0, 1)), what)
		assert.True(t, m.CancelTime.Equal(ns(10, 0, 30, 999999999)), what)
	}
}
