package spanner

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/gapi"
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

type wireCreateBody struct {
	Database    string     `json:"database"`
	ExpireTime  *gapi.Time `json:"expireTime"`
	VersionTime *gapi.Time `json:"versionTime,omitempty"`
}

type wireCopyEncryption struct {
	EncryptionType string   `json:"encryptionType,omitempty"`
	KMSKeyName     string   `json:"kmsKeyName,omitempty"`
	KMSKeyNames    []string `json:"kmsKeyNames,omitempty"`
}

type wireCopyBody struct {
	BackupID         string              `json:"backupId"`
	SourceBackup     string              `json:"sourceBackup"`
	ExpireTime       *gapi.Time          `json:"expireTime"`
	EncryptionConfig *wireCopyEncryption `json:"encryptionConfig,omitempty"`
}

func backupName(parent, id string) string { return parent + "/backups/" + id }

// CreateBackup starts a backup of a database and returns its operation at
// once (POST /v1/{parent=projects/*/instances/*}/backups?backupId=, with the
// encryptionConfig.* query parameters when Encryption is set, body
// {database, expireTime, versionTime}); its Wait returns the READY backup.
// Only one backup creation per database may be pending at a time.
//
// The request is checked first; a broken rule returns a *ValidationError and
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
	op := createKind.body()
	resp, err := c.do(ctx, &rest.Request{
		Op:     "CreateBackup",
		Method: http.MethodPost,
		Writes: true,
		Path:   rest.NewPath("v1").Name("CreateBackupRequest.Parent", req.Parent, instancePattern).Lit("backups"),
		Query:  q,
		Body:   wireCreateBody{Database: req.Database, ExpireTime: tp(req.ExpireTime), VersionTime: tp(req.VersionTime)},
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
	return c.newCreateOperationWith(op.Operation, createKind.meta(op))
}

// CopyBackup starts copying a backup and returns its operation at once
// (POST /v1/{parent=projects/*/instances/*}/backups:copy, body {backupId,
// sourceBackup, expireTime, encryptionConfig}); its Wait returns the READY
// copy.
//
// The request is checked first; a broken rule returns a *ValidationError and
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
	body := wireCopyBody{BackupID: req.BackupID, SourceBackup: req.SourceBackup, ExpireTime: tp(req.ExpireTime)}
	if e := req.Encryption; e != nil {
		body.EncryptionConfig = &wireCopyEncryption{EncryptionType: string(e.Type), KMSKeyName: e.KMSKeyName, KMSKeyNames: e.KMSKeyNames}
	}
	op := copyKind.body()
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
	return c.newCopyOperationWith(op.Operation, copyKind.meta(op))
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

// ---- finding the operation a lost attempt started ----

type wireListOperations struct {
	Operations    []gapi.Operation `json:"operations"`
	NextPageToken string           `json:"nextPageToken"`
}

// backupOperations returns the backup operations of an instance that match
// filter: GET /v1/{parent=projects/*/instances/*}/backupOperations.
func (c *Client) backupOperations(ctx context.Context, parent, filter string) ([]gapi.Operation, error) {
	var all []gapi.Operation
	seen := map[string]bool{}
	token := ""
	for {
		q := url.Values{"filter": {filter}}
		if token != "" {
			q.Set("pageToken", token)
		}
		var page wireListOperations
		if _, err := c.do(ctx, &rest.Request{
			Op:     "ListBackupOperations",
			Method: http.MethodGet,
			Path:   rest.NewPath("v1").Name("parent", parent, instancePattern).Lit("backupOperations"),
			Query:  q,
			Mode:   rest.Idempotent,
			Out:    &page,
		}); err != nil {
			return nil, err
		}
		all = append(all, page.Operations...)
		if page.NextPageToken == "" || seen[page.NextPageToken] {
			return all, nil
		}
		seen[page.NextPageToken] = true
		token = page.NextPageToken
	}
}

// operationFilter selects the operations of one metadata type whose
// metadata names the backup.
func operationFilter(typeURL, backup string) string {
	return fmt.Sprintf("(metadata.@type=%s) AND (metadata.name:%q)", typeURL, backup)
}

// pickOperation returns the operation among ops that match reports as ours,
// preferring one still running, then one that succeeded.
func pickOperation(ops []gapi.Operation, match func(gapi.Operation) bool) (gapi.Operation, bool) {
	var done *gapi.Operation
	for i := range ops {
		op := ops[i]
		if !match(op) {
			continue
		}
		if !op.Done {
			return op, true
		}
		if len(op.Error) == 0 && done == nil {
			done = &ops[i]
		}
	}
	if done != nil {
		return *done, true
	}
	return gapi.Operation{}, false
}

func (c *Client) recoverCreate(ctx context.Context, req *CreateBackupRequest, conflict error) (*CreateBackupOperation, error) {
	name := backupName(req.Parent, req.BackupID)
	ops, err := c.backupOperations(ctx, req.Parent, operationFilter(CreateBackupMetadataTypeURL, name))
	if err != nil {
		return nil, lookupFailed(conflict, err)
	}
	op, ok := pickOperation(ops, func(op gapi.Operation) bool {
		var m CreateBackupMetadata
		return json.Unmarshal(op.Metadata, &m) == nil && m.Name == name && m.Database == req.Database
	})
	if ok {
		return c.newCreateOperation(op)
	}
	b, err := c.matchingBackup(ctx, name, req.ExpireTime, func(b *Backup) bool { return b.Database == req.Database })
	if err != nil {
		return nil, lookupFailed(conflict, err)
	}
	if b == nil {
		return nil, conflict
	}
	return &CreateBackupOperation{Operation: lro.NewWithState(name, backupState(b, createMetadataOf), c.pollCreate, c.lro), c: c}, nil
}

func (c *Client) recoverCopy(ctx context.Context, req *CopyBackupRequest, conflict error) (*CopyBackupOperation, error) {
	name := backupName(req.Parent, req.BackupID)
	ops, err := c.backupOperations(ctx, req.Parent, operationFilter(CopyBackupMetadataTypeURL, name))
	if err != nil {
		return nil, lookupFailed(conflict, err)
	}
	op, ok := pickOperation(ops, func(op gapi.Operation) bool {
		var m CopyBackupMetadata
		return json.Unmarshal(op.Metadata, &m) == nil && m.Name == name && m.SourceBackup == req.SourceBackup
	})
	if ok {
		return c.newCopyOperation(op)
	}
	b, err := c.matchingBackup(ctx, name, req.ExpireTime, nil)
	if err != nil {
		return nil, lookupFailed(conflict, err)
	}
	if b == nil {
		return nil, conflict
	}
	b.SourceBackup = req.SourceBackup
	return &CopyBackupOperation{Operation: lro.NewWithState(name, backupState(b, copyMetadataOf), c.pollCopy, c.lro), c: c}, nil
}

// matchingBackup returns the backup called name if it carries exactly the
// expire time the request asked for (and passes match): the sign that a lost
// attempt of this very request made it. It returns nil if there is no such
// backup.
func (c *Client) matchingBackup(ctx context.Context, name string, expire time.Time, match func(*Backup) bool) (*Backup, error) {
	b, err := c.GetBackup(ctx, name)
	if gapi.Code(err) == codes.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !b.ExpireTime.Equal(expire.Truncate(time.Microsecond)) || (match != nil && !match(b)) {
		return nil, nil
	}
	return b, nil
}

func lookupFailed(conflict, lookup error) error {
	return &recoveryError{conflict: conflict, lookup: lookup}
}

// recoveryError is a replay conflict that could not be resolved because
// looking for the earlier attempt's operation failed. errors.As finds the
// conflict (the API error) first.
type recoveryError struct{ conflict, lookup error }

func (e *recoveryError) Error() string {
	return fmt.Sprintf("%v (an earlier attempt's answer was lost, and looking up the operation it may have started failed: %v)", e.conflict, e.lookup)
}

func (e *recoveryError) Unwrap() []error { return []error{e.conflict, e.lookup} }

// ErrorKind is OutcomeUnknown: the backup may be this call's own.
func (e *recoveryError) ErrorKind() backupcopy.Kind { return backupcopy.OutcomeUnknown }
