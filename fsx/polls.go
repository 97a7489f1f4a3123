package fsx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/internal/sharedpoll"
)

// Operation polls of one client are shared (internal/sharedpoll): the polls
// that arrive within batchWindow of each other are answered by one
// DescribeBackups request naming up to MaxBackupIDs backups, so many copies
// waited on at once cost one request per round instead of one each.
const batchWindow = 30 * time.Millisecond

type pollResult = sharedpoll.Result[*Backup]

// newPolls returns the client's shared DescribeBackups polls.
func (c *Client) newPolls() *sharedpoll.Batcher[*Backup] {
	return sharedpoll.New(sharedpoll.Config[*Backup]{
		Clock:  c.clock,
		Window: batchWindow,
		Max:    MaxBackupIDs,
		Fetch:  c.fetchBackups,
	})
}

// fetchBackups answers one batch. FSx fails the whole request with
// BackupNotFound when any id is unknown, so such an answer to a request for
// several ids is followed by one request per id.
func (c *Client) fetchBackups(ctx context.Context, _ string, order []string) map[string]pollResult {
	results := c.describeIDs(ctx, order)
	var nf *BackupNotFound
	if len(order) > 1 && results[order[0]].Err != nil && errors.As(results[order[0]].Err, &nf) {
		for _, id := range order {
			results[id] = c.describeIDs(ctx, []string{id})[id]
		}
	}
	return results
}

// describeIDs makes one DescribeBackups request for ids and returns, for
// each id, its backup or the request's error.
func (c *Client) describeIDs(ctx context.Context, ids []string) map[string]pollResult {
	out := make(map[string]pollResult, len(ids))
	page, err := c.describePage(ctx, &describeBackupsBody{BackupIDs: ids})
	if err != nil {
		for _, id := range ids {
			out[id] = pollResult{Err: err}
		}
		return out
	}
	for i := range page.Backups {
		b := page.Backups[i]
		if _, want := out[b.BackupID]; !want && contains(ids, b.BackupID) {
			out[b.BackupID] = pollResult{Value: &b}
		}
	}
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			out[id] = pollResult{Err: c.rest.Malformed(&rest.Request{Op: "DescribeBackups", Mode: rest.Idempotent}, nil,
				fmt.Errorf("the response does not describe backup %s", id))}
		}
	}
	return out
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
