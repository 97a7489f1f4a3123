package bigtable

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// CreateBackupRequest asks for a new backup of a table.
type CreateBackupRequest struct {
	// Parent is the cluster to hold the backup,
	// projects/{project}/instances/{instance}/clusters/{cluster}.
	Parent string
	// BackupID is the new backup's id (same rule as CopyBackupRequest.BackupID).
	BackupID string
	// SourceTable is projects/{project}/instances/{instance}/tables/{table},
	// in Parent's instance.
	SourceTable string
	// ExpireTime is 6 hours to 90 days after the service receives the request.
	ExpireTime time.Time
	// BackupType is STANDARD (the default when empty) or HOT.
	BackupType BackupType
	// HotToStandardTime, for a HOT backup only, is when it becomes standard:
	// at least 24 hours after the request. Zero keeps it hot until it expires.
	HotToStandardTime time.Time
}

// Request bodies carry their times as gapi.FormatTime writes them (UTC,
// microseconds: what the service keeps).
type createBackupBody struct {
	SourceTable       string `json:"sourceTable"`
	ExpireTime        string `json:"expireTime"`
	BackupType        string `json:"backupType,omitempty"`
	HotToStandardTime string `json:"hotToStandardTime,omitempty"`
}

// CreateBackup starts a backup of a table and returns its operation at once
// (POST /v2/{parent=projects/*/instances/*/clusters/*}/backups?backupId=,
// body Backup{sourceTable, expireTime, backupType, hotToStandardTime}).
// Validation, retries and the ALREADY_EXISTS resolution are as for
// CopyBackup (the existing backup must have this request's source table and
// expire time).
func (c *Client) CreateBackup(ctx context.Context, req *CreateBackupRequest) (*CreateBackupOperation, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := req.validate(c.clock.Now()); err != nil {
		return nil, err
	}
	expire := micro(req.ExpireTime)
	body := createBackupBody{SourceTable: req.SourceTable, ExpireTime: gapi.FormatTime(expire), BackupType: string(req.BackupType)}
	if !req.HotToStandardTime.IsZero() {
		body.HotToStandardTime = gapi.FormatTime(req.HotToStandardTime)
	}
	op := createKind.Body()
	resp, err := c.rest.Do(ctx, &rest.Request{
		Op:     "CreateBackup",
		Method: http.MethodPost,
		Writes: true,
		Path:   rest.NewPath("v2").Name("CreateBackupRequest.Parent", req.Parent, clusterPattern).Lit("backups"),
		Query:  url.Values{"backupId": {req.BackupID}},
		Body:   body,
		Mode:   rest.Idempotent,
		Out:    op,
	})
	if err != nil {
		if resp != nil && resp.Ambiguous && gapi.Code(err) == codes.AlreadyExists {
			return c.recoverCreate(ctx, req, expire, err)
		}
		return nil, err
	}
	return c.createOperationFrom(op)
}

// CreateBackupOperation is a running or finished backup creation. The API
// reports no progress percent for it (Progress().Percent is -1 until done).
type CreateBackupOperation struct {
	*lro.Operation[Backup, CreateBackupMetadata]
	c *Client
}

// CreateBackupOperation returns a handle on the create operation called name
// (see CopyBackupOperation; Poll and Wait send GET /v2/{name=operations/**}).
func (c *Client) CreateBackupOperation(name string) *CreateBackupOperation {
	return &CreateBackupOperation{lro.New(name, poller(c, createKind), c.lroCfg), c}
}

// Cancel asks the service to stop the creation and delete the backup
// (POST /v2/{name=operations/**}:cancel), as CopyBackupOperation.Cancel does.
func (op *CreateBackupOperation) Cancel(ctx context.Context) error {
	return op.c.cancel(ctx, op.Name())
}

func createPercent(*CreateBackupMetadata) int { return -1 }

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
