package bigtable

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"slices"

	"google.golang.org/grpc/codes"

	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
)

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
	return b, err
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
					return nil, "", err
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
	return err
}

// backupNameOK reports whether name has the backup pattern (a resume token
// that names a backup rather than an operation).
func backupNameOK(name string) bool {
	return checkBackupName("name", name) == nil
}
