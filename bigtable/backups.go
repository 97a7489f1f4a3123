package bigtable

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
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

type copyBackupBody struct {
	BackupID     string `json:"backupId"`
	SourceBackup string `json:"sourceBackup"`
	ExpireTime   string `json:"expireTime"`
}

// CopyBackup starts copying a backup and returns its operation at once
// (POST /v2/{parent=projects/*/instances/*/clusters/*}/backups:copy, body
// {backupId, sourceBackup, expireTime}).
//
// The request is checked first; a broken rule returns a *ValidationError and
// nothing is sent. Failed attempts are retried as for reads, since the fixed
// backup id keeps a retry from making a second copy: if a retry is answered
// ALREADY_EXISTS after an earlier attempt's outcome was lost, and the existing
// backup has this request's source and expire time, CopyBackup returns a
// handle on it (its operation, found through the operations API; or, if that
// is gone, a handle that follows the backup itself and whose Name is the
// backup's name) instead of the error.
func (c *Client) CopyBackup(ctx context.Context, req *CopyBackupRequest) (*CopyBackupOperation, error) {
	const opName = "CopyBackup"
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := req.validate(c.clock.Now()); err != nil {
		return nil, err
	}
	expire := utc(req.ExpireTime)
	op := copyOperationJSON{Want: copyMetadataTypeURL}
	resp, err := c.rest.Do(ctx, &rest.Request{
		Op:     "CopyBackup",
		Method: http.MethodPost,
		Writes: true,
		Path:   rest.NewPath("v2").Name("CopyBackupRequest.Parent", req.Parent, clusterPattern).Lit("backups").Verb("copy"),
		Body:   copyBackupBody{BackupID: req.BackupID, SourceBackup: req.SourceBackup, ExpireTime: gapi.FormatTime(expire)},
		Mode:   rest.Idempotent,
		Out:    &op,
	})
	if err != nil {
		err = withOp(opName, err)
		if resp != nil && resp.Ambiguous && gapi.Code(err) == codes.AlreadyExists {
			name := req.Parent + "/backups/" + req.BackupID
			h, rerr := c.recoverCopy(ctx, name, func(b *Backup) bool {
				return b.SourceBackup == req.SourceBackup && b.ExpireTime.Equal(expire)
			})
			if h != nil {
				return h, nil
			}
			return nil, recoveryFailed(err, rerr)
		}
		return nil, err
	}
	return c.copyOperationFrom(&op.Operation, decoded(&op, (*wireCopyMetadata).fromWire))
}

// CreateBackup starts a backup of a table and returns its operation at once
// (POST /v2/{parent=projects/*/instances/*/clusters/*}/backups?backupId=,
// body Backup{sourceTable, expireTime, backupType, hotToStandardTime}).
// Validation, retries and the ALREADY_EXISTS resolution are as for
// CopyBackup (the existing backup must have this request's source table and
// expire time).
func (c *Client) CreateBackup(ctx context.Context, req *CreateBackupRequest) (*CreateBackupOperation, error) {
	const opName = "CreateBackup"
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := req.validate(c.clock.Now()); err != nil {
		return nil, err
	}
	expire := utc(req.ExpireTime)
	body := Backup{SourceTable: req.SourceTable, ExpireTime: expire, BackupType: req.BackupType, HotToStandardTime: utc(req.HotToStandardTime)}
	op := createOperationJSON{Want: createMetadataTypeURL}
	resp, err := c.rest.Do(ctx, &rest.Request{
		Op:     "CreateBackup",
		Method: http.MethodPost,
		Writes: true,
		Path:   rest.NewPath("v2").Name("CreateBackupRequest.Parent", req.Parent, clusterPattern).Lit("backups"),
		Query:  url.Values{"backupId": {req.BackupID}},
		Body:   body,
		Mode:   rest.Idempotent,
		Out:    &op,
	})
	if err != nil {
		err = withOp(opName, err)
		if resp != nil && resp.Ambiguous && gapi.Code(err) == codes.AlreadyExists {
			name := req.Parent + "/backups/" + req.BackupID
			h, rerr := c.recoverCreate(ctx, name, func(b *Backup) bool {
				return b.SourceTable == req.SourceTable && b.ExpireTime.Equal(expire)
			})
			if h != nil {
				return h, nil
			}
			return nil, recoveryFailed(err, rerr)
		}
		return nil, err
	}
	return c.createOperationFrom(&op.Operation, decoded(&op, (*wireCreateMetadata).fromWire))
}

// recoveryFailed returns the ALREADY_EXISTS error, noting why it could not be
// matched to the call's own lost attempt if a look-up failed.
func recoveryFailed(err, lookup error) error {
	if lookup == nil {
		return err
	}
	return &recoveryError{err: err, lookup: lookup}
}

// recoveryError is an ALREADY_EXISTS answer to a retried create or copy that
// could not be checked against the existing backup. It unwraps to the API
// error (so status.Code and errors.As see ALREADY_EXISTS) and the look-up error.
type recoveryError struct{ err, lookup error }

func (e *recoveryError) Error() string {
	return fmt.Sprintf("%v (an earlier attempt may have succeeded; checking the existing backup failed: %v)", e.err, e.lookup)
}

func (e *recoveryError) Unwrap() []error { return []error{e.err, e.lookup} }

// ErrorKind is OutcomeUnknown: the backup may be this call's own.
func (e *recoveryError) ErrorKind() backupcopy.Kind { return backupcopy.OutcomeUnknown }

// GetBackup returns a backup (GET /v2/{name=projects/*/instances/*/clusters/*/backups/*}).
func (c *Client) GetBackup(ctx context.Context, name string) (*Backup, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := checkBackupName("name", name); err != nil {
		return nil, rest.Prefixed(service, "GetBackup", err)
	}
	return c.getBackup(ctx, name)
}

func (c *Client) getBackup(ctx context.Context, name string) (*Backup, error) {
	b, _, err := rest.Call[Backup](ctx, c.rest, &rest.Request{
		Op:     "GetBackup",
		Method: http.MethodGet,
		Path:   backupPath("name", name),
		Mode:   rest.Idempotent,
	})
	return b, withOp("GetBackup", err)
}

type listBackupsResponse struct {
	Backups       []*Backup `json:"backups"`
	NextPageToken string    `json:"nextPageToken"`
}

// ListBackups returns every backup of a cluster, page after page
// (GET /v2/{parent=projects/*/instances/*/clusters/*}/backups with
// pageToken). A cluster id of "-" lists the backups of every cluster of the
// instance. Each page is fetched when the loop reaches it, and retried on
// transient failures; an error ends the sequence with (nil, err).
func (c *Client) ListBackups(ctx context.Context, parent string) iter.Seq2[*Backup, error] {
	return func(yield func(*Backup, error) bool) {
		if err := c.check(); err != nil {
			yield(nil, err)
			return
		}
		if err := checkName("parent", parent, clusterPattern); err != nil {
			yield(nil, rest.Prefixed(service, "ListBackups", err))
			return
		}
		pages := rest.Pages("ListBackups", c.rest.MalformedPage("ListBackups"),
			func(token string) ([]*Backup, string, error) {
				q := url.Values{}
				if token != "" {
					q.Set("pageToken", token)
				}
				out, _, err := rest.Call[listBackupsResponse](ctx, c.rest, &rest.Request{
					Op:     "ListBackups",
					Method: http.MethodGet,
					Path:   rest.NewPath("v2").Name("parent", parent, clusterPattern).Lit("backups"),
					Query:  q,
					Mode:   rest.Idempotent,
				})
				if err != nil {
					return nil, "", withOp("ListBackups", err)
				}
				return slices.DeleteFunc(out.Backups, func(b *Backup) bool { return b == nil }), out.NextPageToken, nil
			})
		for b, err := range pages {
			if !yield(b, err) {
				return
			}
		}
	}
}

// DeleteBackup deletes a backup (DELETE /v2/{name=projects/*/instances/*/clusters/*/backups/*}).
// It is retried on transient failures; a NOT_FOUND answer to a retry whose
// earlier attempt may have been processed counts as success.
func (c *Client) DeleteBackup(ctx context.Context, name string) error {
	if err := c.check(); err != nil {
		return err
	}
	if err := checkBackupName("name", name); err != nil {
		return rest.Prefixed(service, "DeleteBackup", err)
	}
	resp, err := c.rest.Do(ctx, &rest.Request{
		Op:     "DeleteBackup",
		Method: http.MethodDelete,
		Writes: true,
		Path:   backupPath("name", name),
		Mode:   rest.Idempotent,
	})
	if err != nil && resp != nil && resp.Ambiguous && resp.Attempts > 1 && gapi.Code(err) == codes.NotFound {
		return nil
	}
	return withOp("DeleteBackup", err)
}

// backupNameOK reports whether name has the backup pattern (a resume token
// that names a backup rather than an operation).
func backupNameOK(name string) bool {
	return checkBackupName("name", name) == nil
}
