package bigtable

import (
	"context"
	"errors"
	"net/http"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// CopyBackupRequest asks for a copy of a READY backup in another (or the
// same) cluster, instance or project.
type CopyBackupRequest struct {
	// Parent is the destination cluster,
	// projects/{project}/instances/{instance}/clusters/{cluster}; it must exist.
	Parent string
	// BackupID is the new backup's id: 1-50 characters, [_a-zA-Z0-9] then
	// [-_.a-zA-Z0-9].
	BackupID string
	// SourceBackup is projects/{project}/instances/{instance}/clusters/{cluster}/backups/{backup};
	// it must be READY and must not itself be a copy.
	SourceBackup string
	// ExpireTime is when the copy expires: 6 hours to 30 days after the
	// service receives the request. It is sent with microsecond precision.
	ExpireTime time.Time
}

type copyBackupBody struct {
	BackupID     string `json:"backupId"`
	SourceBackup string `json:"sourceBackup"`
	ExpireTime   string `json:"expireTime"`
}

// CopyBackup starts copying a backup and returns its operation at once
// (POST /v2/{parent=projects/*/instances/*/clusters/*}/backups:copy, body
// {backupId, sourceBackup, expireTime}).
//
// The request is checked first; a broken rule returns a *backupcopy.ValidationError and
// nothing is sent. Failed attempts are retried as for reads, since the fixed
// backup id keeps a retry from making a second copy: if a retry is answered
// ALREADY_EXISTS after an earlier attempt's outcome was lost, and the existing
// backup has this request's source and expire time, CopyBackup returns a
// handle on it (its operation, found through the operations API; or, if that
// is gone, a handle that follows the backup itself and whose Name is the
// backup's name) instead of the error.
func (c *Client) CopyBackup(ctx context.Context, req *CopyBackupRequest) (*CopyBackupOperation, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := req.validate(c.clock.Now()); err != nil {
		return nil, err
	}
	expire := micro(req.ExpireTime)
	op := copyKind.Body()
	resp, err := c.rest.Do(ctx, &rest.Request{
		Op:     "CopyBackup",
		Method: http.MethodPost,
		Writes: true,
		Path:   rest.NewPath("v2").Name("CopyBackupRequest.Parent", req.Parent, clusterPattern).Lit("backups").Verb("copy"),
		Body:   copyBackupBody{BackupID: req.BackupID, SourceBackup: req.SourceBackup, ExpireTime: gapi.FormatTime(expire)},
		Mode:   rest.Idempotent,
		Out:    op,
	})
	if err != nil {
		if resp != nil && resp.Ambiguous && gapi.Code(err) == codes.AlreadyExists {
			return c.recoverCopy(ctx, req, expire, err)
		}
		return nil, err
	}
	return c.copyOperationFrom(op)
}

// CopyBackupOperation is a running or finished backup copy. Name, Done, Poll,
// Wait, Metadata and Progress come from lro.Operation: Wait returns the new
// backup once it is READY, or the operation's error (an *Error whose
// status.Code is the operation's code; codes.Canceled after Cancel).
// Metadata carries the copy's progress.
type CopyBackupOperation struct {
	*lro.Operation[Backup, CopyBackupMetadata]
	c *Client
}

// CopyBackupOperation returns a handle on the copy operation called name,
// as returned by Name() (here or in another process), for example
// "operations/projects/p/instances/i/clusters/c/backups/b/operations/123".
// Nothing is sent until Poll or Wait, which send
// GET /v2/{name=operations/**}. A backup's own name is accepted too: the
// handle then follows the backup (GET /v2/{name=projects/*/instances/*/clusters/*/backups/*})
// until it is READY, and Metadata stays nil.
// An invalid name makes Poll and Wait fail with a *backupcopy.ValidationError.
func (c *Client) CopyBackupOperation(name string) *CopyBackupOperation {
	return &CopyBackupOperation{lro.New(name, poller(c, copyKind), c.lroCfg), c}
}

// Cancel asks the service to stop the copy
// (POST /v2/{name=operations/**}:cancel). The service stops it on a
// best-effort basis and deletes the backup being made; the operation then
// ends with a CANCELLED error (codes.Canceled), which the next Poll or Wait
// returns; it may also complete despite the request. The handle itself is
// not changed. A handle that follows a backup (resumed by the backup's
// name) cannot cancel: Cancel returns a *ValidationError without I/O.
func (op *CopyBackupOperation) Cancel(ctx context.Context) error {
	return op.c.cancel(ctx, op.Name())
}

func copyPercent(m *CopyBackupMetadata) int { return min(max(m.Progress.Percent, 0), 100) }

// copyOperationFrom returns a handle on a copy operation decoded in one pass.
func (c *Client) copyOperationFrom(o *gapi.OperationOf[wireCopyMetadata]) (*CopyBackupOperation, error) {
	st, err := copyKind.State(o)
	if err != nil {
		return nil, err
	}
	return c.copyOperationWith(o.Name, st)
}

func (c *Client) copyOperationWith(name string, st lro.State[Backup, CopyBackupMetadata]) (*CopyBackupOperation, error) {
	if name == "" {
		return nil, c.rest.Malformed(&rest.Request{Op: "CopyBackup", Writes: true}, nil, errors.New("the operation has no name"))
	}
	return &CopyBackupOperation{lro.NewWithState(name, st, poller(c, copyKind), c.lroCfg), c}, nil
}

// recoverCopy resolves an ALREADY_EXISTS answer to a retried copy (see
// gapi's Recover): a handle on this request's operation, or on the backup
// itself when the operation is not listed; or the error.
func (c *Client) recoverCopy(ctx context.Context, req *CopyBackupRequest, expire time.Time, conflict error) (*CopyBackupOperation, error) {
	name := req.Parent + "/backups/" + req.BackupID
	op, b, err := copyKind.Recover(ctx, c.rest, conflict, recovery(c, name,
		func(b *Backup) bool { return b.SourceBackup == req.SourceBackup && b.ExpireTime.Equal(expire) },
		func(m *CopyBackupMetadata) bool {
			return m.SourceBackupInfo.Backup == "" || m.SourceBackupInfo.Backup == req.SourceBackup
		}))
	switch {
	case err != nil:
		return nil, err
	case op != nil:
		st, err := copyKind.StateOf(op)
		if err != nil {
			return nil, err
		}
		return c.copyOperationWith(op.Name, st)
	}
	return c.copyOperationWith(name, backupState[CopyBackupMetadata](b))
}
