package fsx

import (
	"context"
	"fmt"
	"iter"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// DescribeBackupsRequest selects backups. The zero value (or nil) lists
// every backup of the account in the client's region.
type DescribeBackupsRequest struct {
	// BackupIDs names at most 50 backups; it overrides Filters. An id that
	// does not exist makes the call fail with *BackupNotFound.
	BackupIDs []string
	// Filters narrow the list (see the Filter... names).
	Filters []Filter
	// MaxResults is the page size asked for (0: the service's default). The
	// service may return shorter pages; DescribeBackups reads all of them.
	MaxResults int
}

type describeBackupsBody struct {
	BackupIDs  []string     `json:"BackupIds,omitempty"`
	Filters    []wireFilter `json:"Filters,omitempty"`
	MaxResults int          `json:"MaxResults,omitempty"`
	NextToken  string       `json:"NextToken,omitempty"`
}

type wireFilter struct {
	Name   FilterName `json:"Name,omitempty"`
	Values []string   `json:"Values,omitempty"`
}

type describeBackupsPage struct {
	Backups   []Backup `json:"Backups"`
	NextToken string   `json:"NextToken"`
}

// DescribeBackups calls FSx DescribeBackups (POST / with X-Amz-Target
// AWSSimbaAPIService_v20180301.DescribeBackups) page after page, following
// NextToken until a page has none (a page may be short, or even empty, and
// still carry one), and yields every backup. A failure is yielded once, with
// a nil backup, and ends the sequence. Each page is retried on transient
// failures and throttling.
func (c *Client) DescribeBackups(ctx context.Context, req *DescribeBackupsRequest) iter.Seq2[*Backup, error] {
	return func(yield func(*Backup, error) bool) {
		if err := c.check(); err != nil {
			yield(nil, err)
			return
		}
		if err := req.validate(); err != nil {
			yield(nil, err)
			return
		}
		body := &describeBackupsBody{}
		if req != nil {
			body.BackupIDs = req.BackupIDs
			body.MaxResults = req.MaxResults
			for _, f := range req.Filters {
				body.Filters = append(body.Filters, wireFilter(f))
			}
		}
		pages := rest.Pages("DescribeBackups", c.rest.MalformedPage("DescribeBackups"),
			func(token string) ([]Backup, string, error) {
				body.NextToken = token
				page, err := c.describePage(ctx, body)
				if err != nil {
					return nil, "", err
				}
				return page.Backups, page.NextToken, nil
			})
		for b, err := range pages {
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(&b, nil) {
				return
			}
		}
	}
}

func (c *Client) describePage(ctx context.Context, body *describeBackupsBody) (*describeBackupsPage, error) {
	var page describeBackupsPage
	if _, _, err := c.call(ctx, "DescribeBackups", encodeJSON(body), false, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

type deleteBackupBody struct {
	BackupID           string `json:"BackupId"`
	ClientRequestToken string `json:"ClientRequestToken,omitempty"`
}

// DeleteBackup calls FSx DeleteBackup (POST / with X-Amz-Target
// AWSSimbaAPIService_v20180301.DeleteBackup). It sends a ClientRequestToken
// generated once per call, so it is retried on transient failures like
// CopyBackup. A backup being copied cannot be deleted (*BackupBeingCopied).
func (c *Client) DeleteBackup(ctx context.Context, backupID string) error {
	if err := c.check(); err != nil {
		return err
	}
	if err := checkBackupID("backupID", backupID); err != nil {
		return rest.Prefixed(service, "DeleteBackup", err)
	}
	token, err := NewClientRequestToken()
	if err != nil {
		return fmt.Errorf("fsx: DeleteBackup: generating a ClientRequestToken: %w", err)
	}
	var out struct {
		BackupID  string    `json:"BackupId"`
		Lifecycle Lifecycle `json:"Lifecycle"`
	}
	_, _, err = c.call(ctx, "DeleteBackup", encodeJSON(deleteBackupBody{BackupID: backupID, ClientRequestToken: token}), true, &out)
	return err
}
