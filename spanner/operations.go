package spanner

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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
// is READY. An invalid name makes Poll and Wait fail with a *ValidationError,
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
	_, err := c.send(ctx, &rest.Request{
		Op:     "CancelOperation",
		Method: http.MethodPost,
		Writes: true,
		Path:   rest.NewPath("v1").Name("name", name, operationPattern).Verb("cancel"),
		Mode:   rest.Idempotent,
	})
	return err
}

// kind describes one of the two operation types.
type kind[M any] struct {
	op       string // "CreateBackup"
	typeURL  string
	progress func(*M) OperationProgress
	// finish completes a result from the metadata.
	finish func(*Backup, *M)
	// fromWire converts decoded wire metadata.
	fromWire func(*wireMetadata) *M
}

// operationJSON is an operation body, decoded with its metadata in one pass.
type operationJSON = gapi.OperationOf[wireMetadata]

// body returns an empty operation body for k's operations.
func (k kind[M]) body() *operationJSON { return &operationJSON{Want: k.typeURL} }

// stateOf reads an operation body decoded by body().
func (k kind[M]) stateOf(o *operationJSON) (lro.State[Backup, M], error) {
	return k.stateWith(o.Operation, k.meta(o))
}

var createKind = kind[CreateBackupMetadata]{
	op: "CreateBackup", typeURL: CreateBackupMetadataTypeURL,
	progress: func(m *CreateBackupMetadata) OperationProgress { return m.Progress },
	finish:   func(*Backup, *CreateBackupMetadata) {},
	fromWire: (*wireMetadata).createFromWire,
}

var copyKind = kind[CopyBackupMetadata]{
	op: "CopyBackup", typeURL: CopyBackupMetadataTypeURL,
	progress: func(m *CopyBackupMetadata) OperationProgress { return m.Progress },
	finish: func(b *Backup, m *CopyBackupMetadata) {
		if b.SourceBackup == "" {
			b.SourceBackup = m.SourceBackup
		}
	},
	fromWire: (*wireMetadata).copyFromWire,
}

// state reads an Operation's JSON.
func (k kind[M]) state(op gapi.Operation) (lro.State[Backup, M], error) { return k.stateWith(op, nil) }

// stateWith is state for an operation whose metadata, if meta is not nil,
// is already decoded.
func (k kind[M]) stateWith(op gapi.Operation, meta *M) (lro.State[Backup, M], error) {
	st := lro.State[Backup, M]{Percent: -1}
	if meta != nil {
		st.Metadata = meta
		st.Percent = k.progress(meta).Percent
	} else if len(op.Metadata) > 0 && string(op.Metadata) != "null" {
		m := new(M)
		if err := json.Unmarshal(op.Metadata, m); err != nil {
			return st, &rest.MalformedResponseError{Service: service, Op: k.op, Err: fmt.Errorf("operation %s is not a %s operation (metadata: %v)", op.Name, k.op, err)}
		}
		st.Metadata = m
		st.Percent = k.progress(m).Percent
	}
	if !op.Done {
		return st, nil
	}
	st.Done = true
	if len(op.Error) > 0 && string(op.Error) != "null" {
		st.Err = withOp(k.op, gapi.OperationError(service, op.Error))
		return st, nil
	}
	if len(op.Response) == 0 {
		return st, &rest.MalformedResponseError{Service: service, Op: k.op, Err: fmt.Errorf("operation %s is done with neither response nor error", op.Name)}
	}
	var w wireBackup
	if err := gapi.DecodeAny(op.Response, backupType, &w); err != nil {
		return st, &rest.MalformedResponseError{Service: service, Op: k.op, Err: fmt.Errorf("operation %s response: %w", op.Name, err)}
	}
	st.Result = w.fromWire()
	if st.Metadata != nil {
		k.finish(st.Result, st.Metadata)
	}
	st.Percent = 100
	return st, nil
}

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

func pollWith[M any](ctx context.Context, c *Client, k kind[M], name string, meta func(*Backup) *M) (lro.State[Backup, M], error) {
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
	op := k.body()
	if _, err := c.send(ctx, &rest.Request{
		Op:     "GetOperation",
		Method: http.MethodGet,
		Path:   rest.NewPath("v1").Name("name", name, operationPattern),
		Mode:   rest.Idempotent,
		Out:    op,
	}); err != nil {
		return lro.State[Backup, M]{}, err
	}
	return k.stateOf(op)
}

func (c *Client) pollCreate(ctx context.Context, name string) (lro.State[Backup, CreateBackupMetadata], error) {
	return pollWith(ctx, c, createKind, name, createMetadataOf)
}

func (c *Client) pollCopy(ctx context.Context, name string) (lro.State[Backup, CopyBackupMetadata], error) {
	return pollWith(ctx, c, copyKind, name, copyMetadataOf)
}

func (c *Client) newCreateOperation(op gapi.Operation) (*CreateBackupOperation, error) {
	return c.newCreateOperationWith(op, nil)
}

// meta returns the metadata o's one pass decoded, or nil.
func (k kind[M]) meta(o *operationJSON) *M {
	if o.Slow || o.Meta == nil {
		return nil
	}
	return k.fromWire(o.Meta)
}

// newCreateOperationWith is newCreateOperation for an operation whose
// metadata, if meta is not nil, is already decoded.
func (c *Client) newCreateOperationWith(op gapi.Operation, meta *CreateBackupMetadata) (*CreateBackupOperation, error) {
	st, err := createKind.stateWith(op, meta)
	if err != nil {
		return nil, err
	}
	if err := checkOperationName("operation name", op.Name); err != nil {
		return nil, fmt.Errorf("spanner: CreateBackup: the service answered with an unexpected operation name: %w", err)
	}
	return &CreateBackupOperation{Operation: lro.NewWithState(op.Name, st, c.pollCreate, c.lro), c: c}, nil
}

func (c *Client) newCopyOperation(op gapi.Operation) (*CopyBackupOperation, error) {
	return c.newCopyOperationWith(op, nil)
}

// newCopyOperationWith is newCopyOperation for an operation whose metadata,
// if meta is not nil, is already decoded.
func (c *Client) newCopyOperationWith(op gapi.Operation, meta *CopyBackupMetadata) (*CopyBackupOperation, error) {
	st, err := copyKind.stateWith(op, meta)
	if err != nil {
		return nil, err
	}
	if err := checkOperationName("operation name", op.Name); err != nil {
		return nil, fmt.Errorf("spanner: CopyBackup: the service answered with an unexpected operation name: %w", err)
	}
	return &CopyBackupOperation{Operation: lro.NewWithState(op.Name, st, c.pollCopy, c.lro), c: c}, nil
}
