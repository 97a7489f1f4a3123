package bigtable

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"time"

	"google.golang.org/grpc/codes"

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

// Request bodies carry their times as gapi.FormatTime writes them (UTC,
// microseconds: what the service keeps).
type createBackupBody struct {
	SourceTable       string `json:"sourceTable"`
	ExpireTime        string `json:"expireTime"`
	BackupType        string `json:"backupType,omitempty"`
	HotToStandardTime string `json:"hotToStandardTime,omitempty"`
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
// The request is checked first; a broken rule returns a *backupcopy.ValidationError and
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
	expire := micro(req.ExpireTime)
	op := copyKind.Body()
	resp, err := c.rest.Do(ctx, &rest.Request{
		Op:     "CopyBackup",
		Method: http.MethodPost,
		Writes: true,
		Path:   rest.NewPath("v2").Name("CopyBackupRequest.Parent", req.Parent, clusterPattern).Lit("backups").Verb("copy"),
		Body:   copyBackupBody{BackupID: req.BackupID, SourceBackup: req.SourceBackup, ExpireTime: gapi.FormatTime(expire)},
		Mode:   rest.Idempotent,
		Out:    op,
	})
	if err != nil {
		err = withOp(opName, err)
		if resp != nil && resp.Ambiguous && gapi.Code(err) == codes.AlreadyExists {
			return c.recoverCopy(ctx, req, expire, err)
		}
		return nil, err
	}
	return c.copyOperationFrom(op)
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
		err = withOp(opName, err)
		if resp != nil && resp.Ambiguous && gapi.Code(err) == codes.AlreadyExists {
			return c.recoverCreate(ctx, req, expire, err)
		}
		return nil, err
	}
	return c.createOperationFrom(op)
}

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
