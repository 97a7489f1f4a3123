package spanner

import (
	"context"
	"fmt"
	"time"

	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// Poll schedule of the operation handles (lro.WithPollInterval overrides it
// per Wait): the first poll 1 s after the call (at once for a resumed
// handle), then doubling with jitter up to one poll a minute, which suits
// backups and copies that take minutes to hours.
const (
	DefaultPollInitial = time.Second
	DefaultPollMax     = time.Minute
)

// CreateBackupOperation is a CreateBackup operation. Name, Done, Poll, Wait,
// Metadata and Progress come from lro.Operation; Wait returns the READY
// backup, or the operation's error (a cancelled operation ends with
// codes.Canceled).
type CreateBackupOperation struct {
	*lro.Operation[Backup, CreateBackupMetadata]
	c *Client
}

// CopyBackupOperation is a CopyBackup operation, like CreateBackupOperation;
// the backup Wait returns has SourceBackup set.
type CopyBackupOperation struct {
	*lro.Operation[Backup, CopyBackupMetadata]
	c *Client
}

// CreateBackupOperation returns a handle on the CreateBackup operation called
// name (projects/*/instances/*/backups/*/operations/*), as returned by Name()
// here or in another process. Nothing is sent until Poll or Wait, which send
// GET /v1/{name=projects/*/instances/*/backups/*/operations/*}; the state is
// unknown until then. name may also be a backup name
// (projects/*/instances/*/backups/*): the handle then watches the backup
// itself (GET /v1/{name=projects/*/instances/*/backups/*}) and is done when it
// is READY. An invalid name makes Poll and Wait fail with a *backupcopy.ValidationError,
// without I/O.
func (c *Client) CreateBackupOperation(name string) *CreateBackupOperation {
	return &CreateBackupOperation{Operation: lro.New(name, c.pollCreate, c.lro), c: c}
}

// CopyBackupOperation returns a handle on the CopyBackup operation called
// name, as CreateBackupOperation does (Poll and Wait send
// GET /v1/{name=projects/*/instances/*/backups/*/operations/*}).
func (c *Client) CopyBackupOperation(name string) *CopyBackupOperation {
	return &CopyBackupOperation{Operation: lro.New(name, c.pollCopy, c.lro), c: c}
}

// Cancel asks the service to stop the operation
// (POST /v1/{name=projects/*/instances/*/backups/*/operations/*}:cancel). The
// service stops the creation and deletes the backup on a best-effort basis;
// the operation then ends with a CANCELLED error, which the next Poll or
// Wait returns (it may also complete despite the request). The handle
// itself is not changed.
func (op *CreateBackupOperation) Cancel(ctx context.Context) error {
	return op.c.cancel(ctx, op.Name())
}

// Cancel asks the service to stop the copy
// (POST /v1/{name=projects/*/instances/*/backups/*/operations/*}:cancel), as
// CreateBackupOperation.Cancel does.
func (op *CopyBackupOperation) Cancel(ctx context.Context) error {
	return op.c.cancel(ctx, op.Name())
}

func (c *Client) cancel(ctx context.Context, name string) error {
	if rest.CheckName("name", name, backupPattern) == nil {
		return rest.Invalid("name", "Cancel needs an operation name ("+operationPattern+"); this handle watches a backup", name)
	}
	return gapi.CancelOperation(ctx, c.rest, rest.NewPath("v1").Name("name", name, operationPattern).Verb("cancel"))
}

// The two kinds of operation, for the shared Google operation code.
var (
	createKind = gapi.OperationKind[Backup, CreateBackupMetadata, wireMetadata]{
		Service: service, Op: "CreateBackup", MetadataType: CreateBackupMetadataTypeURL, ResultType: backupType,
		FromWire: (*wireMetadata).createFromWire,
		Percent:  func(m *CreateBackupMetadata) int { return m.Progress.Percent },
	}
	copyKind = gapi.OperationKind[Backup, CopyBackupMetadata, wireMetadata]{
		Service: service, Op: "CopyBackup", MetadataType: CopyBackupMetadataTypeURL, ResultType: backupType,
		FromWire: (*wireMetadata).copyFromWire,
		Percent:  func(m *CopyBackupMetadata) int { return m.Progress.Percent },
		// The Backup resource does not name its source: take it from the
		// operation's metadata.
		Finish: func(b *Backup, m *CopyBackupMetadata) {
			if b.SourceBackup == "" {
				b.SourceBackup = m.SourceBackup
			}
		},
	}
)

func createMetadataOf(b *Backup) *CreateBackupMetadata {
	return &CreateBackupMetadata{Name: b.Name, Database: b.Database, Progress: backupProgress(b)}
}

func copyMetadataOf(b *Backup) *CopyBackupMetadata {
	return &CopyBackupMetadata{Name: b.Name, SourceBackup: b.SourceBackup, Progress: backupProgress(b)}
}

func backupProgress(b *Backup) OperationProgress {
	p := OperationProgress{StartTime: b.CreateTime}
	if b.State == BackupReady {
		p.Percent = 100
	}
	return p
}

// backupState is the state of a handle that watches a backup by its name.
func backupState[M any](b *Backup, meta func(*Backup) *M) lro.State[Backup, M] {
	st := lro.State[Backup, M]{Metadata: meta(b), Percent: -1}
	if b.State == BackupReady {
		st.Done, st.Result, st.Percent = true, b, 100
	}
	return st
}

func pollWith[M any](ctx context.Context, c *Client, k gapi.OperationKind[Backup, M, wireMetadata], name string, meta func(*Backup) *M) (lro.State[Backup, M], error) {
	if rest.CheckName("name", name, backupPattern) == nil {
		b, err := c.getBackup(ctx, name)
		if err != nil {
			return lro.State[Backup, M]{}, err
		}
		return backupState(b, meta), nil
	}
	if err := checkOperationName("name", name); err != nil {
		return lro.State[Backup, M]{}, err
	}
	return k.Get(ctx, c.rest, rest.NewPath("v1").Name("name", name, operationPattern))
}

func (c *Client) pollCreate(ctx context.Context, name string) (lro.State[Backup, CreateBackupMetadata], error) {
	return pollWith(ctx, c, createKind, name, createMetadataOf)
}

func (c *Client) pollCopy(ctx context.Context, name string) (lro.State[Backup, CopyBackupMetadata], error) {
	return pollWith(ctx, c, copyKind, name, copyMetadataOf)
}

// newCreateOperation returns a handle on an operation the service answered
// with, in state st.
func (c *Client) newCreateOperation(name string, st lro.State[Backup, CreateBackupMetadata]) (*CreateBackupOperation, error) {
	if err := checkOperationName("operation name", name); err != nil {
		return nil, fmt.Errorf("spanner: CreateBackup: the service answered with an unexpected operation name: %w", err)
	}
	return &CreateBackupOperation{Operation: lro.NewWithState(name, st, c.pollCreate, c.lro), c: c}, nil
}

// newCopyOperation is newCreateOperation for a copy.
func (c *Client) newCopyOperation(name string, st lro.State[Backup, CopyBackupMetadata]) (*CopyBackupOperation, error) {
	if err := checkOperationName("operation name", name); err != nil {
		return nil, fmt.Errorf("spanner: CopyBackup: the service answered with an unexpected operation name: %w", err)
	}
	return &CopyBackupOperation{Operation: lro.NewWithState(name, st, c.pollCopy, c.lro), c: c}, nil
}

// recovery describes the replay of a create or copy for gapi's Recover:
// the operations are listed in the instance
// (GET /v1/{parent=projects/*/instances/*}/backupOperations).
func recovery[M any](c *Client, parent, name string, expire time.Time, matches func(*Backup) bool, metadataMatches func(*M) bool) gapi.Recovery[Backup, M] {
	expire = expire.Truncate(time.Microsecond) // what the service keeps
	return gapi.Recovery[Backup, M]{
		Backup: name,
		List:   rest.NewPath("v1").Name("parent", parent, instancePattern).Lit("backupOperations"),
		ListOp: "ListBackupOperations",
		Get:    func(ctx context.Context) (*Backup, error) { return c.getBackup(ctx, name) },
		Ready:  func(b *Backup) bool { return b.State == BackupReady },
		Matches: func(b *Backup) bool {
			return b.ExpireTime.Equal(expire) && matches(b)
		},
		MetadataMatches: metadataMatches,
	}
}

func (c *Client) recoverCreate(ctx context.Context, req *CreateBackupRequest, conflict error) (*CreateBackupOperation, error) {
	name := backupName(req.Parent, req.BackupID)
	op, b, err := createKind.Recover(ctx, c.rest, conflict, recovery(c, req.Parent, name, req.ExpireTime,
		func(b *Backup) bool { return b.Database == req.Database },
		func(m *CreateBackupMetadata) bool { return m.Database == req.Database }))
	switch {
	case err != nil:
		return nil, err
	case op != nil:
		st, err := createKind.StateOf(op)
		if err != nil {
			return nil, err
		}
		return c.newCreateOperation(op.Name, st)
	}
	return &CreateBackupOperation{Operation: lro.NewWithState(name, backupState(b, createMetadataOf), c.pollCreate, c.lro), c: c}, nil
}

func (c *Client) recoverCopy(ctx context.Context, req *CopyBackupRequest, conflict error) (*CopyBackupOperation, error) {
	name := backupName(req.Parent, req.BackupID)
	// The Backup resource does not name its source; the operation's
	// metadata does (and is checked), and a backup without a listed
	// operation is matched on its expire time.
	op, b, err := copyKind.Recover(ctx, c.rest, conflict, recovery(c, req.Parent, name, req.ExpireTime,
		func(b *Backup) bool { return b.SourceBackup == "" || b.SourceBackup == req.SourceBackup },
		func(m *CopyBackupMetadata) bool { return m.SourceBackup == req.SourceBackup }))
	switch {
	case err != nil:
		return nil, err
	case op != nil:
		st, err := copyKind.StateOf(op)
		if err != nil {
			return nil, err
		}
		return c.newCopyOperation(op.Name, st)
	}
	b.SourceBackup = req.SourceBackup
	return &CopyBackupOperation{Operation: lro.NewWithState(name, backupState(b, copyMetadataOf), c.pollCopy, c.lro), c: c}, nil
}
