package fsx

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// Operation polls of one client are shared: the polls that arrive within
// batchWindow of each other are answered by one DescribeBackups request
// naming up to MaxBackupIDs backups, so many copies waited on at once cost
// one request per round instead of one each.
//
// Each batch is sent on its own goroutine, with a context that ends when the
// last of its waiters has left (their contexts ended), so a hung request
// neither holds up later polls nor outlives its callers.
const batchWindow = 30 * time.Millisecond

type pollResult struct {
	b   *Backup
	err error
}

type pollWaiter struct {
	ctx context.Context
	id  string
	ch  chan pollResult // buffered, 1
}

// batcher gathers DescribeBackups polls.
type batcher struct {
	c *Client

	mu      sync.Mutex
	queue   []pollWaiter
	running bool
}

// describe returns backup id as one DescribeBackups request (perhaps shared
// with other polls) reads it. It returns when the answer arrives or ctx ends.
func (bt *batcher) describe(ctx context.Context, id string) (*Backup, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := pollWaiter{ctx: ctx, id: id, ch: make(chan pollResult, 1)}
	bt.mu.Lock()
	bt.queue = append(bt.queue, w)
	start := !bt.running
	bt.running = true
	bt.mu.Unlock()
	if start {
		go bt.run()
	}
	select {
	case r := <-w.ch:
		return r.b, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run gathers the queue every batchWindow and sends it, in batches of up to
// MaxBackupIDs ids, until the queue stays empty for a window.
func (bt *batcher) run() {
	for {
		_ = bt.c.clock.Sleep(context.Background(), batchWindow)
		bt.mu.Lock()
		queue := bt.queue
		bt.queue = nil
		if len(queue) == 0 {
			bt.running = false
			bt.mu.Unlock()
			return
		}
		bt.mu.Unlock()
		for len(queue) > 0 {
			var batch, left []pollWaiter
			ids := map[string]bool{}
			for _, w := range queue {
				switch {
				case w.ctx.Err() != nil:
					// gone before its batch left: nothing to send for it
				case ids[w.id] || len(ids) < MaxBackupIDs:
					ids[w.id] = true
					batch = append(batch, w)
				default:
					left = append(left, w)
				}
			}
			queue = left
			if len(batch) > 0 {
				go bt.send(batch)
			}
		}
	}
}

// send answers one batch. FSx fails the whole request with BackupNotFound
// when any id is unknown, so such an answer to a request for several ids is
// followed by one request per id.
func (bt *batcher) send(batch []pollWaiter) {
	// Values (such as a signing time) come from the first waiter's context;
	// the requests end when every waiter has gone.
	ctx, cancel := context.WithCancel(context.WithoutCancel(batch[0].ctx))
	defer cancel()
	var live atomic.Int64
	live.Store(int64(len(batch)))
	for _, w := range batch {
		stop := context.AfterFunc(w.ctx, func() {
			if live.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}

	var order []string
	seen := map[string]bool{}
	for _, w := range batch {
		if !seen[w.id] {
			seen[w.id] = true
			order = append(order, w.id)
		}
	}
	results := bt.c.describeIDs(ctx, order)
	var nf *BackupNotFound
	if len(order) > 1 && results[order[0]].err != nil && errors.As(results[order[0]].err, &nf) {
		for _, id := range order {
			results[id] = bt.c.describeIDs(ctx, []string{id})[id]
		}
	}
	for _, w := range batch {
		w.ch <- results[w.id]
	}
}

// describeIDs makes one DescribeBackups request for ids and returns, for
// each id, its backup or the request's error.
func (c *Client) describeIDs(ctx context.Context, ids []string) map[string]pollResult {
	out := make(map[string]pollResult, len(ids))
	page, err := c.describePage(ctx, &describeBackupsBody{BackupIDs: ids})
	if err != nil {
		for _, id := range ids {
			out[id] = pollResult{err: err}
		}
		return out
	}
	for i := range page.Backups {
		b := page.Backups[i]
		if _, want := out[b.BackupID]; !want && contains(ids, b.BackupID) {
			out[b.BackupID] = pollResult{b: &b}
		}
	}
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			out[id] = pollResult{err: c.rest.Malformed(&rest.Request{Op: "DescribeBackups", Mode: rest.Idempotent}, nil,
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
