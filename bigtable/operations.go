package bigtable

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/grpc/codes"

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
// status.Code is the operation's code). Metadata carries the copy's progress.
type CopyBackupOperation struct {
	*lro.Operation[Backup, CopyBackupMetadata]
}

// CreateBackupOperation is a running or finished backup creation. The API
// reports no progress percent for it (Progress().Percent is -1 until done).
type CreateBackupOperation struct {
	*lro.Operation[Backup, CreateBackupMetadata]
}

// CopyBackupOperation returns a handle on the copy operation called name,
// as returned by Name() (here or in another process), for example
// "operations/projects/p/instances/i/clusters/c/backups/b/operations/123".
// Nothing is sent until Poll or Wait, which send
// GET /v2/{name=operations/**}. A backup's own name is accepted too: the
// handle then follows the backup (GET /v2/{name=projects/*/instances/*/clusters/*/backups/*})
// until it is READY, and Metadata stays nil.
// An invalid name makes Poll and Wait fail with a *ValidationError.
func (c *Client) CopyBackupOperation(name string) *CopyBackupOperation {
	if backupNameOK(name) {
		return &CopyBackupOperation{lro.New(name, backupPoller[CopyBackupMetadata](c), c.lroCfg)}
	}
	return &CopyBackupOperation{lro.New(name, operationPoller(c, "CopyBackup", copyMetadataType, copyPercent, (*wireCopyMetadata).fromWire), c.lroCfg)}
}

// CreateBackupOperation returns a handle on the create operation called name
// (see CopyBackupOperation; Poll and Wait send GET /v2/{name=operations/**}).
func (c *Client) CreateBackupOperation(name string) *CreateBackupOperation {
	if backupNameOK(name) {
		return &CreateBackupOperation{lro.New(name, backupPoller[CreateBackupMetadata](c), c.lroCfg)}
	}
	return &CreateBackupOperation{lro.New(name, operationPoller(c, "CreateBackup", createMetadataType, createPercent, (*wireCreateMetadata).fromWire), c.lroCfg)}
}

func copyPercent(m *CopyBackupMetadata) int { return min(max(m.Progress.Percent, 0), 100) }

func createPercent(*CreateBackupMetadata) int { return -1 }

// Operation bodies, decoded with their metadata in one pass.
type (
	copyOperationJSON   = gapi.OperationOf[wireCopyMetadata]
	createOperationJSON = gapi.OperationOf[wireCreateMetadata]
)

// decoded returns the metadata OperationOf decoded in its one pass, or nil
// (none, or to be decoded from op.Metadata as for a plain Operation).
func decoded[W gapi.AnyMessage, M any](o *gapi.OperationOf[W], fromWire func(*W) *M) *M {
	if o.Slow || o.Meta == nil {
		return nil
	}
	return fromWire(o.Meta)
}

// copyOperationFrom returns a handle on op; meta, if not nil, is op's
// metadata already decoded (op.Metadata is then unused).
func (c *Client) copyOperationFrom(op *gapi.Operation, meta *CopyBackupMetadata) (*CopyBackupOperation, error) {
	st, err := operationStateWith(op, meta, "CopyBackup", copyMetadataType, copyPercent)
	if err != nil {
		return nil, err
	}
	if op.Name == "" {
		return nil, c.rest.Malformed(&rest.Request{Op: "CopyBackup", Writes: true}, nil, errors.New("the operation has no name"))
	}
	return &CopyBackupOperation{lro.NewWithState(op.Name, st, operationPoller(c, "CopyBackup", copyMetadataType, copyPercent, (*wireCopyMetadata).fromWire), c.lroCfg)}, nil
}

// createOperationFrom is copyOperationFrom for a create.
func (c *Client) createOperationFrom(op *gapi.Operation, meta *CreateBackupMetadata) (*CreateBackupOperation, error) {
	st, err := operationStateWith(op, meta, "CreateBackup", createMetadataType, createPercent)
	if err != nil {
		return nil, err
	}
	if op.Name == "" {
		return nil, c.rest.Malformed(&rest.Request{Op: "CreateBackup", Writes: true}, nil, errors.New("the operation has no name"))
	}
	return &CreateBackupOperation{lro.NewWithState(op.Name, st, operationPoller(c, "CreateBackup", createMetadataType, createPercent, (*wireCreateMetadata).fromWire), c.lroCfg)}, nil
}

// operationState reads an Operation's JSON into an lro state.
func operationState[M any](op *gapi.Operation, opName, metaType string, percent func(*M) int) (lro.State[Backup, M], error) {
	return operationStateWith(op, nil, opName, metaType, percent)
}

// operationStateWith is operationState for an operation whose metadata,
// if meta is not nil, is already decoded.
func operationStateWith[M any](op *gapi.Operation, meta *M, opName, metaType string, percent func(*M) int) (lro.State[Backup, M], error) {
	st := lro.State[Backup, M]{Done: op.Done, Percent: -1}
	if meta != nil {
		st.Metadata = meta
		st.Percent = percent(meta)
	} else if len(op.Metadata) > 0 && string(op.Metadata) != "null" {
		m := new(M)
		if err := gapi.DecodeAny(op.Metadata, metaType, m); err != nil {
			return st, &rest.MalformedResponseError{Service: service, Op: opName, Err: fmt.Errorf("operation %s metadata: %w", op.Name, err)}
		}
		st.Metadata = m
		st.Percent = percent(m)
	}
	if !op.Done {
		return st, nil
	}
	if len(op.Error) > 0 && string(op.Error) != "null" {
		err := gapi.OperationError(service, op.Error)
		var ge *Error
		if errors.As(err, &ge) {
			ge.Op = opName
		}
		st.Err = err
		return st, nil
	}
	b := new(Backup)
	if err := gapi.DecodeAny(op.Response, backupType, b); err != nil || len(op.Response) == 0 {
		if err == nil {
			err = errors.New("done without a response or an error")
		}
		return st, &rest.MalformedResponseError{Service: service, Op: opName, Err: fmt.Errorf("operation %s response: %w", op.Name, err)}
	}
	st.Result = b
	st.Percent = 100
	return st, nil
}

// operationPoller polls GET /v2/{name=operations/**}.
func operationPoller[M any, W gapi.AnyMessage](c *Client, opName, metaType string, percent func(*M) int, fromWire func(*W) *M) lro.PollFunc[Backup, M] {
	return func(ctx context.Context, name string) (lro.State[Backup, M], error) {
		if err := checkOperationName(name); err != nil {
			return lro.State[Backup, M]{}, err
		}
		op := &gapi.OperationOf[W]{Want: gapi.TypeURL(metaType)}
		if _, err := c.rest.Do(ctx, &rest.Request{
			Op:     "GetOperation",
			Method: http.MethodGet,
			Path:   operationPath(name),
			Mode:   rest.Idempotent,
			Out:    op,
		}); err != nil {
			return lro.State[Backup, M]{}, withOp("GetOperation", err)
		}
		return operationStateWith(&op.Operation, decoded(op, fromWire), opName, metaType, percent)
	}
}

// operationPath returns /v2/{name} for a name checked by checkOperationName.
func operationPath(name string) rest.Path {
	return rest.NewPath("v2").Lit(strings.Split(name, "/")...)
}

// backupPoller follows a backup until it is READY: the handle used when a
// copy or create is matched to an existing backup whose operation is no
// longer listed, or resumed by the backup's name.
func backupPoller[M any](c *Client) lro.PollFunc[Backup, M] {
	return func(ctx context.Context, name string) (lro.State[Backup, M], error) {
		b, err := c.getBackup(ctx, name)
		if err != nil {
			return lro.State[Backup, M]{}, err
		}
		return backupState[M](b), nil
	}
}

func backupState[M any](b *Backup) lro.State[Backup, M] {
	if b.State == BackupReady {
		return lro.State[Backup, M]{Done: true, Result: b, Percent: 100}
	}
	return lro.State[Backup, M]{Percent: -1}
}

type listOperationsResponse struct {
	Operations    []gapi.Operation `json:"operations"`
	NextPageToken string           `json:"nextPageToken"`
}

// maxOperationPages bounds the search for a lost operation.
const maxOperationPages = 20

// findOperation looks for the newest operation of metaType whose metadata
// names backup, in the backup's instance
// (GET /v2/{name=operations/projects/*/instances/*}/operations with a filter
// on the metadata type and backup name). If the service refuses the filter
// (INVALID_ARGUMENT, UNIMPLEMENTED), it lists without one; the match is
// always checked here too. It returns nil when there is none.
func (c *Client) findOperation(ctx context.Context, backup, metaType string) (*gapi.Operation, error) {
	parts := strings.Split(backup, "/") // projects/p/instances/i/clusters/c/backups/b
	filter := fmt.Sprintf(`(metadata.@type = %q) AND (metadata.name = %q)`, gapi.TypeURL(metaType), backup)
	var found *gapi.Operation
	for _, useFilter := range []bool{true, false} {
		token := ""
		for page := 0; page < maxOperationPages; page++ {
			q := url.Values{}
			if useFilter {
				q.Set("filter", filter)
			}
			if token != "" {
				q.Set("pageToken", token)
			}
			out, _, err := rest.Call[listOperationsResponse](ctx, c.rest, &rest.Request{
				Op:     "ListOperations",
				Method: http.MethodGet,
				Path:   rest.NewPath("v2", "operations", "projects").Seg("project", parts[1]).Lit("instances").Seg("instance", parts[3]).Lit("operations"),
				Query:  q,
				Mode:   rest.Idempotent,
			})
			if err != nil {
				if useFilter && page == 0 {
					if code := gapi.Code(err); code == codes.InvalidArgument || code == codes.Unimplemented {
						break // try again without the filter
					}
				}
				return nil, withOp("ListOperations", err)
			}
			for i := range out.Operations {
				op := &out.Operations[i]
				if !operationFor(op, backup, metaType) {
					continue
				}
				if found == nil || (found.Done && !op.Done) {
					found = op
				}
			}
			if (found != nil && !found.Done) || out.NextPageToken == "" || out.NextPageToken == token {
				return found, nil
			}
			token = out.NextPageToken
		}
		if found != nil {
			return found, nil
		}
	}
	return found, nil
}

// operationFor reports whether op's metadata is of metaType and names backup.
func operationFor(op *gapi.Operation, backup, metaType string) bool {
	var head struct {
		Type string `json:"@type"`
		Name string `json:"name"`
	}
	if op.Name == "" || gapi.DecodeAny(op.Metadata, metaType, &head) != nil {
		return false
	}
	return head.Type == gapi.TypeURL(metaType) && head.Name == backup
}

// recoverCopy resolves an ALREADY_EXISTS answer to a retried copy: if the
// backup exists and matches (same source, same expire time), it returns a
// handle on its copy operation, or on the backup itself when the operation
// is not listed. A nil handle and nil error mean a genuine conflict.
func (c *Client) recoverCopy(ctx context.Context, name string, matches func(*Backup) bool) (*CopyBackupOperation, error) {
	b, err := c.getBackup(ctx, name)
	if err != nil {
		return nil, err
	}
	if !matches(b) {
		return nil, nil
	}
	op, err := c.findOperation(ctx, name, copyMetadataType)
	if err != nil && b.State != BackupReady {
		return nil, err
	}
	if op != nil {
		if h, err := c.copyOperationFrom(op, nil); err == nil && (!h.Done() || sameBackup(h.Poll, matches)) {
			return h, nil
		}
	}
	return &CopyBackupOperation{lro.NewWithState(name, backupState[CopyBackupMetadata](b), backupPoller[CopyBackupMetadata](c), c.lroCfg)}, nil
}

// recoverCreate is recoverCopy for CreateBackup.
func (c *Client) recoverCreate(ctx context.Context, name string, matches func(*Backup) bool) (*CreateBackupOperation, error) {
	b, err := c.getBackup(ctx, name)
	if err != nil {
		return nil, err
	}
	if !matches(b) {
		return nil, nil
	}
	op, err := c.findOperation(ctx, name, createMetadataType)
	if err != nil && b.State != BackupReady {
		return nil, err
	}
	if op != nil {
		if h, err := c.createOperationFrom(op, nil); err == nil && (!h.Done() || sameBackup(h.Poll, matches)) {
			return h, nil
		}
	}
	return &CreateBackupOperation{lro.NewWithState(name, backupState[CreateBackupMetadata](b), backupPoller[CreateBackupMetadata](c), c.lroCfg)}, nil
}

// sameBackup reports whether a finished operation's result matches (an older
// operation for an earlier backup of the same name does not).
func sameBackup(result func(context.Context) (*Backup, error), matches func(*Backup) bool) bool {
	b, err := result(context.Background()) // the operation is done: no round trip
	return err == nil && b != nil && matches(b)
}
