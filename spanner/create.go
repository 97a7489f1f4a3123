package spanner

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// CreateBackupRequest asks for a backup of a database.
type CreateBackupRequest struct {
	// Parent is the instance holding the database,
	// projects/{project}/instances/{instance}.
	Parent string
	// BackupID is the new backup's id: 2-60 characters,
	// [a-z][a-z0-9_\-]*[a-z0-9].
	BackupID string
	// Database is projects/{project}/instances/{instance}/databases/{database},
	// in the Parent instance.
	Database string
	// ExpireTime is when the backup may be deleted: 6 hours to 366 days from
	// the request (kept with microsecond precision).
	ExpireTime time.Time
	// VersionTime, if set, is the moment of the database to back up; it must
	// be in the past and within the database's version retention period.
	// Zero means the time the request is received.
	VersionTime time.Time
	// Encryption, if set, chooses the backup's encryption; nil means the
	// service default (UseDatabaseEncryption).
	Encryption *EncryptionConfig
}

// Request bodies carry their times as gapi.FormatTime writes them (UTC,
// microseconds: what the service keeps).
type wireCreateBody struct {
	Database    string `json:"database"`
	ExpireTime  string `json:"expireTime"`
	VersionTime string `json:"versionTime,omitempty"`
}

// CreateBackup starts a backup of a database and returns its operation at
// once (POST /v1/{parent=projects/*/instances/*}/backups?backupId=, with the
// encryptionConfig.* query parameters when Encryption is set, body
// {database, expireTime, versionTime}); its Wait returns the READY backup.
// Only one backup creation per database may be pending at a time.
//
// The request is checked first; a broken rule returns a *backupcopy.ValidationError and
// nothing is sent. Failed attempts are retried as for reads, since the fixed
// backup id keeps a retry from making a second backup: if a retry is answered
// ALREADY_EXISTS or FAILED_PRECONDITION after an earlier attempt's outcome
// was lost, CreateBackup returns a handle on that attempt's operation (or on
// the backup, if the operation is gone and the backup matches) instead of the
// error.
func (c *Client) CreateBackup(ctx context.Context, req *CreateBackupRequest) (*CreateBackupOperation, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := req.validate(c.now()); err != nil {
		return nil, err
	}
	q := url.Values{"backupId": {req.BackupID}}
	if e := req.Encryption; e != nil {
		q.Set("encryptionConfig.encryptionType", string(e.Type))
		if e.KMSKeyName != "" {
			q.Set("encryptionConfig.kmsKeyName", e.KMSKeyName)
		}
		if len(e.KMSKeyNames) > 0 {
			q["encryptionConfig.kmsKeyNames"] = append([]string(nil), e.KMSKeyNames...)
		}
	}
	op := createKind.Body()
	resp, err := c.do(ctx, &rest.Request{
		Op:     "CreateBackup",
		Method: http.MethodPost,
		Writes: true,
		Path:   rest.NewPath("v1").Name("CreateBackupRequest.Parent", req.Parent, instancePattern).Lit("backups"),
		Query:  q,
		Body:   wireCreateBody{Database: req.Database, ExpireTime: requestTime(req.ExpireTime), VersionTime: requestTime(req.VersionTime)},
		// A replay cannot make a second backup: the backup id is the key, and a
		// replay refused because of a lost first attempt is resolved below.
		Mode: rest.Idempotent,
		Out:  op,
	})
	if err != nil {
		if resp != nil && resp.Ambiguous && replayConflict(err) {
			return c.recoverCreate(ctx, req, err)
		}
		return nil, err
	}
	st, err := createKind.State(op)
	if err != nil {
		return nil, err
	}
	return c.newCreateOperation(op.Name, st)
}

// CreateBackupOperation is a CreateBackup operation. Name, Done, Poll, Wait,
// Metadata and Progress come from lro.Operation; Wait returns the READY
// backup, or the operation's error (a cancelled operation ends with
// codes.Canceled).
type CreateBackupOperation struct {
	*lro.Operation[Backup, CreateBackupMetadata]
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
	return &CreateBackupOperation{Operation: lro.New(name, c.pollCreate, c.lroCfg), c: c}
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

func createMetadataOf(b *Backup) *CreateBackupMetadata {
	return &CreateBackupMetadata{Name: b.Name, Database: b.Database, Progress: backupProgress(b)}
}

func (c *Client) pollCreate(ctx context.Context, name string) (lro.State[Backup, CreateBackupMetadata], error) {
	return pollWith(ctx, c, createKind, name, createMetadataOf)
}

// newCreateOperation returns a handle on an operation the service answered
// with, in state st.
func (c *Client) newCreateOperation(name string, st lro.State[Backup, CreateBackupMetadata]) (*CreateBackupOperation, error) {
	if err := checkOperationName("operation name", name); err != nil {
		return nil, fmt.Errorf("spanner: CreateBackup: the service answered with an unexpected operation name: %w", err)
	}
	return &CreateBackupOperation{Operation: lro.NewWithState(name, st, c.pollCreate, c.lroCfg), c: c}, nil
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
	return &CreateBackupOperation{Operation: lro.NewWithState(name, backupState(b, createMetadataOf), c.pollCreate, c.lroCfg), c: c}, nil
}
