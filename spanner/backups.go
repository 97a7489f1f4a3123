package spanner

import (
	"context"
	"iter"
	"net/http"
	"net/url"

	"google.golang.org/grpc/codes"

	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
)

func backupName(parent, id string) string { return parent + "/backups/" + id }

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
