package bigtable_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
)

// A backup whose times carry nine fraction digits comes back from Wait, and
// from a Wait resumed by name, with all nine (a copy keeps its source's
// data window, which the fake writes as Google does).
func TestWaitKeepsNineDigits(t *testing.T) {
	fake := bigtabletest.NewServer()
	t.Cleanup(fake.Close)
	start := time.Date(2026, 11, 22, 9, 0, 0, 123456789, time.UTC)
	end := time.Date(2026, 11, 22, 9, 30, 0, 1, time.UTC)
	fake.AddBackup(bigtable.Backup{Name: srcName, SourceTable: srcTable, StartTime: start, EndTime: end})
	fake.AddCluster(dstCl)
	fake.SetOperationDuration(50 * time.Millisecond)
	c := newClient(t, fake.URL())
	ctx := context.Background()

	src, err := c.GetBackup(ctx, srcName)
	require.NoError(t, err)
	assert.Equal(t, start, src.StartTime)
	assert.Equal(t, end, src.EndTime)

	op, err := c.CopyBackup(ctx, copyReq("nine"))
	require.NoError(t, err)
	resumed := c.CopyBackupOperation(op.Name())
	for what, h := range map[string]*bigtable.CopyBackupOperation{"Wait": op, "resumed Wait": resumed} {
		b, err := h.Wait(ctx, fastPoll)
		require.NoError(t, err, what)
		assert.Equal(t, start, b.StartTime, what)
		assert.Equal(t, end, b.EndTime, what)
		m := h.Metadata()
		require.NotNil(t, m, what)
		assert.Equal(t, start, m.SourceBackupInfo.StartTime, what)
		assert.Equal(t, end, m.SourceBackupInfo.EndTime, what)
	}
}
