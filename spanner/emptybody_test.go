package spanner

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// A 200 with an empty body to a list call is a broken answer: the listing
// ends with an error, never as an empty (or last) page. The same holds for
// the operations list the lost-response recovery reads.
func TestEmptyListBodyIsAnError(t *testing.T) {
	rec := newRecorder(t, reply{200, ``, nil})
	c, clk := testClient(t, rec.srv.URL)
	var got []string
	var lastErr error
	for b, err := range c.ListBackups(context.Background(), "projects/p/instances/i") {
		if err != nil {
			lastErr = err
			continue
		}
		got = append(got, b.Name)
	}
	assert.Empty(t, got)
	require.ErrorIs(t, lastErr, rest.ErrEmptyBody)
	assert.Contains(t, lastErr.Error(), "ListBackups")

	rec = newRecorder(t,
		reply{503, `{"error":{"code":503,"message":"x","status":"UNAVAILABLE"}}`, nil},
		reply{409, `{"error":{"code":409,"message":"exists","status":"ALREADY_EXISTS"}}`, nil},
		reply{200, ``, nil})
	c, clk = testClient(t, rec.srv.URL)
	_, err := c.CopyBackup(context.Background(), &CopyBackupRequest{Parent: "projects/p/instances/i", BackupID: "b1",
		SourceBackup: "projects/p/instances/i/backups/b0", ExpireTime: clk.Now().Add(7 * time.Hour)})
	require.ErrorIs(t, err, rest.ErrEmptyBody, "the operations list's broken answer is reported, not read as 'no operation'")
	for _, r := range rec.requests()[2:] {
		assert.Equal(t, "GET", r.Method, "the copy is not sent a third time")
	}
}
