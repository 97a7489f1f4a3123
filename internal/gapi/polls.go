package gapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/internal/sharedpoll"
	"github.com/backupcopy/backupcopy/lro"
)

// RunningFilter is the list filter of shared polls: the operations still
// running. Both APIs document `done` as a filter field ("False if the
// operation is in progress, else true", Spanner's backupOperations.list) or
// take the standard list filter (AIP-160, Bigtable's operations.list), and
// `=` on a boolean is valid in both. An operation that has finished drops
// out of the list and is read once with operations.get, which returns its
// result or error; so the list only ever says "still running", and an
// operation's end is always learnt from the operation itself.
const RunningFilter = "done=false"

// SharedPollGap is the least time between two list rounds of one parent:
// thousands of waits on one instance make at most one list (of as many
// pages as there are running operations) a second, below any admin-request
// quota, while a finished copy is noticed within about a second of its
// wait's own poll.
const SharedPollGap = time.Second

// PollPageSize is the pageSize of the lists of shared polls: the fewer
// pages a round takes, the more often it can come within the request
// budget. Neither API documents a maximum (Spanner: 0 means "the server's
// maximum allowed page size"; Bigtable: "the standard list page size");
// a server returns fewer when its maximum is lower.
const PollPageSize = 1000

// MaxPollPages bounds the pages one shared poll reads; operations on later
// pages are read with operations.get.
const MaxPollPages = 50

// MaxEndedReads bounds the finished operations a list round reads for the
// sleeping waits it wakes (about one per copy that ended since the round
// before: 15 a round at 10,000 copies of 10 minutes to 2 hours).
const MaxEndedReads = 50

// OperationPolls answers the polls of one client's operations: the polls of
// the operations of one parent (an instance) that fall due together are
// answered by one list of its running operations (RunningFilter), the
// operations that are not in it (finished, or beyond MaxPollPages) by
// operations.get, and a single poll by operations.get as before. When a
// parent refuses the list (INVALID_ARGUMENT, UNIMPLEMENTED, or
// PERMISSION_DENIED for a credential allowed to get but not to list
// operations), its polls use operations.get from then on.
type OperationPolls struct {
	rc     *rest.Client
	b      *sharedpoll.Batcher[*Operation]
	parent func(name string) string      // "" when the name has no listable parent
	list   func(parent string) rest.Path // the parent's list
	listOp string
	get    func(name string) rest.Path

	mu      sync.Mutex
	refused map[string]bool // parents whose list was refused
}

// PollsConfig describes where one API lists and gets its operations.
type PollsConfig struct {
	// Client makes the requests; Clock paces the rounds.
	Client *rest.Client
	Clock  clock.Clock
	// Parent returns the parent whose list holds the operation called name,
	// or "" to always get it.
	Parent func(name string) string
	// List is the parent's list (GET), ListOp its call's name.
	List   func(parent string) rest.Path
	ListOp string
	// Get is the operation's path (GET).
	Get func(name string) rest.Path
}

// NewOperationPolls returns shared polls for cfg.
func NewOperationPolls(cfg PollsConfig) *OperationPolls {
	p := &OperationPolls{rc: cfg.Client, parent: cfg.Parent, list: cfg.List, listOp: cfg.ListOp, get: cfg.Get, refused: map[string]bool{}}
	p.b = sharedpoll.New(sharedpoll.Config[*Operation]{Clock: cfg.Clock, Gap: SharedPollGap, Fetch: p.fetch})
	return p
}

// Get returns the operation called name, as its next shared round reads it.
func (p *OperationPolls) Get(ctx context.Context, name string) (*Operation, error) {
	return p.b.Get(ctx, p.parent(name), name)
}

// Poll polls the operation called name through p.
func (k OperationKind[R, M, W]) Poll(ctx context.Context, p *OperationPolls, name string) (lro.State[R, M], error) {
	op, err := p.Get(ctx, name)
	if err != nil {
		return lro.State[R, M]{}, err
	}
	return k.StateOf(op)
}

// fetch answers one round for parent.
func (p *OperationPolls) fetch(ctx context.Context, parent string, names []string) map[string]sharedpoll.Result[*Operation] {
	out := make(map[string]sharedpoll.Result[*Operation], len(names))
	p.mu.Lock()
	refused := p.refused[parent]
	p.mu.Unlock()
	// A list answers every running operation of the parent: worth it for
	// two polls, or for one while other waits sleep (it may wake them).
	if (len(names) > 1 || len(p.b.Watched(parent)) > 0) && parent != "" && !refused {
		if err := p.listRunning(ctx, parent, names, out); err != nil {
			if !listRefused(err) {
				for _, n := range names {
					if _, ok := out[n]; !ok {
						out[n] = sharedpoll.Result[*Operation]{Err: err}
					}
				}
				return out
			}
			p.mu.Lock()
			p.refused[parent] = true
			p.mu.Unlock()
		}
	}
	for _, n := range names {
		if _, ok := out[n]; ok {
			continue
		}
		op, err := p.getOne(ctx, n)
		out[n] = sharedpoll.Result[*Operation]{Value: op, Err: err}
	}
	return out
}

// listRunning lists parent's running operations until every polled or
// watched name has been seen (or the list ends), records the polled ones it
// sees in out, and reads and wakes the watched ones a complete list does not
// show (they have finished). Each page counts against the parent's gap
// (Spent); the gets do not: every finished operation needs exactly one, as
// the last poll of per-operation polling does, and they go at the client's
// budget, so that thousands of ends are not held back behind the lists.
func (p *OperationPolls) listRunning(ctx context.Context, parent string, names []string, out map[string]sharedpoll.Result[*Operation]) error {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	watched := map[string]bool{}
	for _, n := range p.b.Watched(parent) {
		if !want[n] {
			watched[n] = true
		}
	}
	left := len(want) + len(watched)
	pages, spent := 0, 0
	spend := func() { // each page as it is read, so the next round waits for them
		if pages > spent {
			p.b.Spent(parent, pages-spent)
			spent = pages
		}
	}
	defer spend()
	for op, err := range listOperations(ctx, p.rc, p.listOp, p.list(parent), RunningFilter, PollPageSize, MaxPollPages, &pages) {
		spend()
		if errors.Is(err, errPageLimit) {
			return nil
		}
		if err != nil && pages > 1 {
			// A later page failed: the first answers stand; the rest
			// poll again (its page token may have expired as the list
			// changed, which is no answer about their operations).
			return sharedpoll.PageLost(err)
		}
		if err != nil {
			return err
		}
		switch {
		case op == nil:
			continue
		case want[op.Name]:
			if _, dup := out[op.Name]; !dup {
				out[op.Name] = sharedpoll.Result[*Operation]{Value: op}
				left--
			}
		case watched[op.Name]:
			delete(watched, op.Name)
			left--
			p.b.Seen(parent, op.Name, op)
		}
		if left == 0 {
			return nil
		}
	}
	// The list is complete: the watched operations it did not show have
	// most likely ended. Each is read once here, so its wait, woken with the
	// result (Seen), returns without waiting for a round of its own; one
	// still running (a list paged while others ended can skip one) sleeps
	// on, and one that cannot be read is woken to read it on its own poll.
	// Read only those still watched (whose waits did not wake meanwhile).
	still := map[string]bool{}
	for _, n := range p.b.Watched(parent) {
		still[n] = true
	}
	// At most MaxEndedReads a round: a list that shows far fewer running
	// operations than are waited on (a server that does not list them all)
	// must not turn each round into a get, or a wake, of every sleeping
	// wait; the rest sleep on and read theirs on their own schedule.
	reads := 0
	for n := range watched {
		if !still[n] || reads == MaxEndedReads {
			continue
		}
		reads++
		if op, err := p.getOne(ctx, n); err == nil {
			p.b.Seen(parent, n, op)
		} else {
			p.b.Absent(parent, n)
		}
	}
	return nil
}

// Watch is lro.Config.Watch for the operations of these polls: a list that
// no longer shows the operation as running wakes the wait.
func (p *OperationPolls) Watch(name string, wake func()) (stop func()) {
	parent := p.parent(name)
	if parent == "" {
		return func() {}
	}
	return p.b.Watch(parent, name, func(op *Operation) bool { return op.Done }, wake)
}

// NamePrefix returns the first len(pattern) segments of the resource name
// name as a slice of it (no copy: a client's PollsConfig.Parent runs before
// every sleep of every Wait), or "" unless name has more segments than that
// and each pattern segment that is not "" equals name's.
func NamePrefix(name string, pattern ...string) string {
	end := 0
	for _, want := range pattern {
		i := strings.IndexByte(name[end:], '/')
		if i < 0 || (want != "" && name[end:end+i] != want) {
			return ""
		}
		end += i + 1
	}
	if end == 0 {
		return ""
	}
	return name[:end-1]
}

// listRefused reports whether a list error means this parent's list cannot
// serve polls (rather than a passing failure).
func listRefused(err error) bool {
	if backupcopy.KindOf(err) == backupcopy.Transient {
		return false // a later page was lost (sharedpoll.PageLost): the list was served
	}
	switch Code(err) {
	case codes.InvalidArgument, codes.Unimplemented, codes.PermissionDenied, codes.NotFound:
		return true
	}
	return false
}

// getOne reads one operation (GET /v{n}/{name}).
func (p *OperationPolls) getOne(ctx context.Context, name string) (*Operation, error) {
	op, _, err := rest.Call[Operation](ctx, p.rc, &rest.Request{
		Op:     "GetOperation",
		Method: http.MethodGet,
		Path:   p.get(name),
		Mode:   rest.Idempotent,
	})
	return op, err
}
