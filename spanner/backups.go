package spanner

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
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

// Request bodies carry their times as gapi.FormatTime writes them (UTC,
// microseconds: what the service keeps).
type wireCreateBody struct {
	Database    string `json:"database"`
	ExpireTime  string `json:"expireTime"`
	VersionTime string `json:"versionTime,omitempty"`
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

func backupName(parent, id string) string { return parent + "/backups/" + id }

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

// replayConflict reports whether err is what a replay of a create or copy
// that had in fact succeeded gets: the backup exists, or (for a create) the
// database already has a backup being created.
func replayConflict(err error) bool {
	switch gapi.Code(err) {
	case codes.AlreadyExists, codes.FailedPrecondition:
		return true
	}
	return false
}

// GetBackup returns a backup (GET /v1/{name=projects/*/instances/*/backups/*}).
func (c *Client) GetBackup(ctx context.Context, name string) (*Backup, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return c.getBackup(ctx, name)
}

func (c *Client) getBackup(ctx context.Context, name string) (*Backup, error) {
	var w wireBackup
	_, err := c.send(ctx, &rest.Request{
		Op:     "GetBackup",
		Method: http.MethodGet,
		Path:   rest.NewPath("v1").Name("name", name, backupPattern),
		Mode:   rest.Idempotent,
		Out:    &w,
	})
	if err != nil {
		return nil, err
	}
	return w.fromWire(), nil
}

type wireListBackups struct {
	Backups       []wireBackup `json:"backups"`
	NextPageToken string       `json:"nextPageToken"`
}

// ListBackups returns every backup of an instance, page after page
// (GET /v1/{parent=projects/*/instances/*}/backups with pageToken). Each
// page is fetched when the loop reaches it, and retried on transient
// failures; an error ends the sequence with (nil, err).
func (c *Client) ListBackups(ctx context.Context, parent string) iter.Seq2[*Backup, error] {
	return func(yield func(*Backup, error) bool) {
		pages := rest.Pages("ListBackups", c.rest.MalformedPage("ListBackups"),
			func(token string) ([]*Backup, string, error) {
				q := url.Values{}
				if token != "" {
					q.Set("pageToken", token)
				}
				var page wireListBackups
				_, err := c.do(ctx, &rest.Request{
					Op:     "ListBackups",
					Method: http.MethodGet,
					Path:   rest.NewPath("v1").Name("parent", parent, instancePattern).Lit("backups"),
					Query:  q,
					Mode:   rest.Idempotent,
					Out:    &page,
				})
				if err != nil {
					return nil, "", err
				}
				out := make([]*Backup, len(page.Backups))
				for i := range page.Backups {
					out[i] = page.Backups[i].fromWire()
				}
				return out, page.NextPageToken, nil
			})
		for b, err := range pages {
			if !yield(b, err) {
				return
			}
		}
	}
}

// DeleteBackup deletes a backup
// (DELETE /v1/{name=projects/*/instances/*/backups/*}). A backup that is being
// created, or that restores or copies still reference, cannot be deleted.
// When an earlier attempt's answer was lost and a replay finds the backup
// gone, DeleteBackup succeeds.
func (c *Client) DeleteBackup(ctx context.Context, name string) error {
	resp, err := c.do(ctx, &rest.Request{
		Op:     "DeleteBackup",
		Method: http.MethodDelete,
		Writes: true,
		Path:   rest.NewPath("v1").Name("name", name, backupPattern),
		Mode:   rest.Idempotent,
	})
	if err != nil && resp != nil && resp.Ambiguous && gapi.Code(err) == codes.NotFound {
		return nil
	}
	return err
}
