package bigtable

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// Poll schedule of the operation handles (lro.WithPollInterval overrides it
// per Wait): the first poll 1 s after the call (at once for a resumed
// handle), then doubling with jitter up to one poll a minute, which suits
// copies that take minutes to hours.
const (
	DefaultPollInitial = time.Second
	DefaultPollMax     = time.Minute
)

// CopyBackupOperation is a running or finished backup copy. Name, Done, Poll,
// Wait, Metadata and Progress come from lro.Operation: Wait returns the new
// backup once it is READY, or the operation's error (an *Error whose
// status.Code is the operation's code; codes.Canceled after Cancel).
// Metadata carries the copy's progress.
type CopyBackupOperation struct {
	*lro.Operation[Backup, CopyBackupMetadata]
	c *Client
}

// CreateBackupOperation is a running or finished backup creation. The API
// reports no progress percent for it (Progress().Percent is -1 until done).
type CreateBackupOperation struct {
	*lro.Operation[Backup, CreateBackupMetadata]
	c *Client
}

// The two kinds of operation, for the shared Google operation code.
var (
	copyKind = gapi.OperationKind[Backup, CopyBackupMetadata, wireCopyMetadata]{
		Service: service, Op: "CopyBackup", MetadataType: copyMetadataTypeURL, ResultType: backupType,
		FromWire: (*wireCopyMetadata).fromWire, Percent: copyPercent,
	}
	createKind = gapi.OperationKind[Backup, CreateBackupMetadata, wireCreateMetadata]{
		Service: service, Op: "CreateBackup", MetadataType: createMetadataTypeURL, ResultType: backupType,
		FromWire: (*wireCreateMetadata).fromWire, Percent: createPercent,
	}
)

func copyPercent(m *CopyBackupMetadata) int { return min(max(m.Progress.Percent, 0), 100) }

func createPercent(*CreateBackupMetadata) int { return -1 }

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

// CreateBackupOperation returns a handle on the create operation called name
// (see CopyBackupOperation; Poll and Wait send GET /v2/{name=operations/**}).
func (c *Client) CreateBackupOperation(name string) *CreateBackupOperation {
	return &CreateBackupOperation{lro.New(name, poller(c, createKind), c.lroCfg), c}
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

// Cancel asks the service to stop the creation and delete the backup
// (POST /v2/{name=operations/**}:cancel), as CopyBackupOperation.Cancel does.
func (op *CreateBackupOperation) Cancel(ctx context.Context) error {
	return op.c.cancel(ctx, op.Name())
}

func (c *Client) cancel(ctx context.Context, name string) error {
	if backupNameOK(name) {
		return rest.Invalid("name", "Cancel needs an operation name (operations/...); this handle follows a backup", name)
	}
	if err := checkOperationName(name); err != nil {
		return err
	}
	return gapi.CancelOperation(ctx, c.rest, operationPath(name).Verb("cancel"))
}

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

// createOperationFrom is copyOperationFrom for a create.
func (c *Client) createOperationFrom(o *gapi.OperationOf[wireCreateMetadata]) (*CreateBackupOperation, error) {
	st, err := createKind.State(o)
	if err != nil {
		return nil, err
	}
	return c.createOperationWith(o.Name, st)
}

func (c *Client) createOperationWith(name string, st lro.State[Backup, CreateBackupMetadata]) (*CreateBackupOperation, error) {
	if name == "" {
		return nil, c.rest.Malformed(&rest.Request{Op: "CreateBackup", Writes: true}, nil, errors.New("the operation has no name"))
	}
	return &CreateBackupOperation{lro.NewWithState(name, st, poller(c, createKind), c.lroCfg), c}, nil
}

// poller polls an operation (GET /v2/{name=operations/**}), or follows a
// backup when name is a backup's.
func poller[M any, W gapi.AnyMessage](c *Client, k gapi.OperationKind[Backup, M, W]) lro.PollFunc[Backup, M] {
	return func(ctx context.Context, name string) (lro.State[Backup, M], error) {
		if backupNameOK(name) {
			b, err := c.getBackup(ctx, name)
			if err != nil {
				return lro.State[Backup, M]{}, err
			}
			return backupState[M](b), nil
		}
		if err := checkOperationName(name); err != nil {
			return lro.State[Backup, M]{}, err
		}
		return k.Get(ctx, c.rest, operationPath(name))
	}
}

// operationPath returns /v2/{name} for a name checked by checkOperationName.
func operationPath(name string) rest.Path {
	return rest.NewPath("v2").Lit(strings.Split(name, "/")...)
}

// backupState is the state of a handle that follows a backup.
func backupState[M any](b *Backup) lro.State[Backup, M] {
	if b.State == BackupReady {
		return lro.State[Backup, M]{Done: true, Result: b, Percent: 100}
	}
	return lro.State[Backup, M]{Percent: -1}
}

// recovery describes the replay of a create or copy of backup name for
// gapi's Recover: the operations are listed in the backup's instance
// (GET /v2/{name=operations/projects/*/instances/*}/operations).
func recovery[M any](c *Client, name string, matches func(*Backup) bool, metadataMatches func(*M) bool) gapi.Recovery[Backup, M] {
	parts := strings.Split(name, "/") // projects/p/instances/i/clusters/c/backups/b
	return gapi.Recovery[Backup, M]{
		Backup:          name,
		List:            rest.NewPath("v2", "operations", "projects").Seg("project", parts[1]).Lit("instances").Seg("instance", parts[3]).Lit("operations"),
		ListOp:          "ListOperations",
		Get:             func(ctx context.Context) (*Backup, error) { return c.getBackup(ctx, name) },
		Ready:           func(b *Backup) bool { return b.State == BackupReady },
		Matches:         matches,
		MetadataMatches: metadataMatches,
	}
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

// recoverCreate is recoverCopy for CreateBackup.
func (c *Client) recoverCreate(ctx context.Context, req *CreateBackupRequest, expire time.Time, conflict error) (*CreateBackupOperation, error) {
	name := req.Parent + "/backups/" + req.BackupID
	op, b, err := createKind.Recover(ctx, c.rest, conflict, recovery(c, name,
		func(b *Backup) bool { return b.SourceTable == req.SourceTable && b.ExpireTime.Equal(expire) },
		func(m *CreateBackupMetadata) bool { return m.SourceTable == "" || m.SourceTable == req.SourceTable }))
	switch {
	case err != nil:
		return nil, err
	case op != nil:
		st, err := createKind.StateOf(op)
		if err != nil {
			return nil, err
		}
		return c.createOperationWith(op.Name, st)
	}
	return c.createOperationWith(name, backupState[CreateBackupMetadata](b))
}
