package bigtable_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/bigtable"
)

// Cancel sends POST /v2/{name}:cancel; the fake ends the copy with
// CANCELLED and deletes the backup being made, and Wait (here and on a
// handle resumed by name) returns codes.Canceled.
func TestCancelCopyAgainstFake(t *testing.T) {
	fake := newFake(t)
	fake.SetOperationDuration(time.Hour)
	c := newClient(t, fake.URL())
	ctx := context.Background()
	op, err := c.CopyBackup(ctx, copyReq("to-cancel"))
	require.NoError(t, err)
	_, ok := fake.Backup(dstCl + "/backups/to-cancel")
	require.True(t, ok, "the copy is being made")

	require.NoError(t, op.Cancel(ctx))
	assert.Equal(t, 1, fake.CountRequests("CancelOperation"))
	reqs := fake.Requests()
	last := reqs[len(reqs)-1]
	assert.Equal(t, http.MethodPost, last.Method)
	assert.Equal(t, "/v2/"+op.Name()+":cancel", last.Path)
	assert.Empty(t, last.Body)
	assert.False(t, op.Done(), "Cancel leaves the handle unchanged")

	for _, h := range []*bigtable.CopyBackupOperation{op, c.CopyBackupOperation(op.Name())} {
		b, err := h.Wait(ctx, fastPoll)
		assert.Nil(t, b)
		assert.Equal(t, codes.Canceled, status.Code(err), "%v", err)
		var be *bigtable.Error
		require.ErrorAs(t, err, &be)
		assert.Equal(t, "CopyBackup", be.Operation)
		assert.True(t, h.Done())
	}
	_, ok = fake.Backup(dstCl + "/backups/to-cancel")
	assert.False(t, ok, "cancelling deletes the backup being made")

	// A finished operation cannot be cancelled again.
	err = op.Cancel(ctx)
	assert.Equal(t, codes.FailedPrecondition, status.Code(err), "%v", err)
}

func TestCancelCreateAgainstFake(t *testing.T) {
	fake := newFake(t)
	fake.AddTable(srcTable)
	fake.SetOperationDuration(time.Hour)
	c := newClient(t, fake.URL())
	ctx := context.Background()
	op, err := c.CreateBackup(ctx, &bigtable.CreateBackupRequest{Parent: dstCl, BackupID: "mk", SourceTable: srcTable, ExpireTime: time.Now().Add(24 * time.Hour)})
	require.NoError(t, err)
	require.NoError(t, op.Cancel(ctx))
	_, err = op.Wait(ctx, fastPoll)
	assert.Equal(t, codes.Canceled, status.Code(err), "%v", err)
	_, ok := fake.Backup(dstCl + "/backups/mk")
	assert.False(t, ok)
}

// A handle that follows a backup, or a malformed name, cannot cancel:
// nothing is sent.
func TestCancelNeedsAnOperationName(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, fake.URL())
	ctx := context.Background()
	for _, name := range []string{srcName, "projects/p/operations/1", "operations/a/../b"} {
		err := c.CopyBackupOperation(name).Cancel(ctx)
		var ve *backupcopy.ValidationError
		assert.ErrorAs(t, err, &ve, name)
	}
	assert.Zero(t, fake.CountRequests(""))
}
