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
// waited on at once cost one request per round instead of one each. Rounds
// come at most once per pollGap while other waits sleep, each one request
// (polls beyond MaxBackupIDs ids wait for the next rounds, those of the
// copies nearest their end first); a round's request
// fills its free places with the ids of sleeping waits, and one whose copy
// it finds ended (AVAILABLE, FAILED, DELETED) is woken to poll at once.
const (
	batchWindow = 30 * time.Millisecond
	pollGap     = time.Second
)

type pollResult = sharedpoll.Result[*Backup]

// newPolls returns the client's shared DescribeBackups polls.
func (c *Client) newPolls() *sharedpoll.Batcher[*Backup] {
	return sharedpoll.New(sharedpoll.Config[*Backup]{
		Clock:  c.clock,
		Window: batchWindow,
		Gap:    pollGap,
		Max:    MaxBackupIDs,
		Fetch:  c.fetchBackups,
	})
}

// watch is lro.Config.Watch for the copy called name (its backup id).
func (c *Client) watch(name string, wake func()) (stop func()) {
	return c.polls.Watch("", name, func(b *Backup) bool {
		switch b.Lifecycle {
		case LifecycleAvailable, LifecycleFailed, LifecycleDeleted:
			return true
		}
		return false
	}, wake)
}

// fetchBackups answers one batch, adding the ids of sleeping waits up to
// MaxBackupIDs. FSx fails the whole request with BackupNotFound when any id
// is unknown, so such an answer to a request for several ids is followed by
// one request per polled id (the added ones are left for their own polls).
func (c *Client) fetchBackups(ctx context.Context, _ string, order []string) map[string]pollResult {
	ids := order
	if len(order) < MaxBackupIDs {
		polled := make(map[string]bool, len(order))
		for _, id := range order {
			polled[id] = true
		}
		ids = append([]string(nil), order...)
		for _, id := range c.polls.Watched("") {
			if len(ids) == MaxBackupIDs {
				break
			}
			if !polled[id] {
				ids = append(ids, id)
			}
		}
	}
	results := c.describeIDs(ctx, ids)
	var nf *BackupNotFound
	if len(ids) > 1 && results[ids[0]].Err != nil && errors.As(results[ids[0]].Err, &nf) {
		for _, id := range order {
			results[id] = c.describeIDs(ctx, []string{id})[id]
		}
		return results
	}
	for _, id := range ids[len(order):] {
		if r := results[id]; r.Err == nil && r.Value != nil {
			c.polls.Seen("", id, r.Value)
		}
	}
	return results
}

// describeIDs makes one DescribeBackups request for ids and returns, for
// each id, its backup or the request's error.
func (c *Client) describeIDs(ctx context.Context, ids []string) map[string]pollResult {
	out := make(map[string]pollResult, len(ids))
	c.polls.Spent("", 1)
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
