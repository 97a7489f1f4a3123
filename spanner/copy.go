package spanner

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// CopyBackupRequest asks for a copy of a backup, in the same or another
// instance (and project).
type CopyBackupRequest struct {
	// Parent is the destination instance, projects/{project}/instances/{instance}.
	Parent string
	// BackupID is the copy's id: 2-60 characters, [a-z][a-z0-9_\-]*[a-z0-9].
	BackupID string
	// SourceBackup is projects/{project}/instances/{instance}/backups/{backup};
	// it must be READY.
	SourceBackup string
	// ExpireTime is when the copy may be deleted: 6 hours to 366 days after
	// the source backup's create time, and before its MaxExpireTime.
	ExpireTime time.Time
	// Encryption, if set, chooses the copy's encryption; nil means the service
	// default (UseConfigDefaultOrBackupEncryption).
	Encryption *CopyEncryptionConfig
}

type wireCopyEncryption struct {
	EncryptionType string   `json:"encryptionType,omitempty"`
	KMSKeyName     string   `json:"kmsKeyName,omitempty"`
	KMSKeyNames    []string `json:"kmsKeyNames,omitempty"`
}

type wireCopyBody struct {
	BackupID         string              `json:"backupId"`
	SourceBackup     string              `json:"sourceBackup"`
	ExpireTime       string              `json:"expireTime"`
	EncryptionConfig *wireCopyEncryption `json:"encryptionConfig,omitempty"`
}

// CopyBackup starts copying a backup and returns its operation at once
// (POST /v1/{parent=projects/*/instances/*}/backups:copy, body {backupId,
// sourceBackup, expireTime, encryptionConfig}); its Wait returns the READY
// copy.
//
// The request is checked first; a broken rule returns a *backupcopy.ValidationError and
// nothing is sent. Failed attempts are retried as for reads, since the fixed
// backup id keeps a retry from making a second copy: if a retry is answered
// ALREADY_EXISTS (or FAILED_PRECONDITION) after an earlier attempt's outcome
// was lost, CopyBackup returns a handle on that attempt's operation (or on
// the backup, if the operation is gone and the backup matches) instead of
// the error.
func (c *Client) CopyBackup(ctx context.Context, req *CopyBackupRequest) (*CopyBackupOperation, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := req.validate(c.now()); err != nil {
		return nil, err
	}
	body := wireCopyBody{BackupID: req.BackupID, SourceBackup: req.SourceBackup, ExpireTime: requestTime(req.ExpireTime)}
	if e := req.Encryption; e != nil {
		body.EncryptionConfig = &wireCopyEncryption{EncryptionType: string(e.Type), KMSKeyName: e.KMSKeyName, KMSKeyNames: e.KMSKeyNames}
	}
	op := copyKind.Body()
	resp, err := c.do(ctx, &rest.Request{
		Op:     "CopyBackup",
		Method: http.MethodPost,
		Writes: true,
		Path:   rest.NewPath("v1").Name("CopyBackupRequest.Parent", req.Parent, instancePattern).Lit("backups").Verb("copy"),
		Body:   body,
		Mode:   rest.Idempotent, // as CreateBackup
		Out:    op,
	})
	if err != nil {
		if resp != nil && resp.Ambiguous && replayConflict(err) {
			return c.recoverCopy(ctx, req, err)
		}
		return nil, err
	}
	st, err := copyKind.State(op)
	if err != nil {
		return nil, err
	}
	return c.newCopyOperation(op.Name, st)
}

// CopyBackupOperation is a CopyBackup operation, like CreateBackupOperation;
// the backup Wait returns has SourceBackup set.
type CopyBackupOperation struct {
	*lro.Operation[Backup, CopyBackupMetadata]
	c *Client
}

// CopyBackupOperation returns a handle on the CopyBackup operation called
// name, as CreateBackupOperation does (Poll and Wait send
// GET /v1/{name=projects/*/instances/*/backups/*/operations/*}).
func (c *Client) CopyBackupOperation(name string) *CopyBackupOperation {
	return &CopyBackupOperation{Operation: lro.New(name, c.pollCopy, c.lroCfg), c: c}
}

// Cancel asks the service to stop the copy
// (POST /v1/{name=projects/*/instances/*/backups/*/operations/*}:cancel), as
// CreateBackupOperation.Cancel does.
func (op *CopyBackupOperation) Cancel(ctx context.Context) error {
	return op.c.cancel(ctx, op.Name())
}

func copyMetadataOf(b *Backup) *CopyBackupMetadata {
	return &CopyBackupMetadata{Name: b.Name, SourceBackup: b.SourceBackup, Progress: backupProgress(b)}
}

func (c *Client) pollCopy(ctx context.Context, name string) (lro.State[Backup, CopyBackupMetadata], error) {
	return pollWith(ctx, c, copyKind, name, copyMetadataOf)
}

// newCopyOperation is newCreateOperation for a copy.
func (c *Client) newCopyOperation(name string, st lro.State[Backup, CopyBackupMetadata]) (*CopyBackupOperation, error) {
	if err := checkOperationName("operation name", name); err != nil {
		return nil, fmt.Errorf("spanner: CopyBackup: the service answered with an unexpected operation name: %w", err)
	}
	return &CopyBackupOperation{Operation: lro.NewWithState(name, st, c.pollCopy, c.lroCfg), c: c}, nil
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
	return &CopyBackupOperation{Operation: lro.NewWithState(name, backupState(b, copyMetadataOf), c.pollCopy, c.lroCfg), c: c}, nil
}
