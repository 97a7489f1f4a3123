package fleet_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/lro"
)

// kindErr is an error of a known kind, as the clients return.
type kindErr struct {
	kind backupcopy.Kind
	msg  string
}

func (e *kindErr) Error() string              { return e.msg }
func (e *kindErr) ErrorKind() backupcopy.Kind { return e.kind }

// cloud simulates one service for runner tests: copies keyed by token
// (idempotent), a limit on copies in progress per group that answers
// AtLimit, and faults by key.
type cloud struct {
	mu       sync.Mutex
	dur      time.Duration
	limit    map[string]int // cloud-side limit per group (0: none)
	running  map[string]int // copies in progress per group
	maxSeen  map[string]int // most copies in progress at once per group
	copies   map[string]*simCopy
	starts   int                        // Start calls
	finds    int                        // Find calls
	atLimit  int                        // AtLimit answers given
	throttle int                        // Throttled answers still to give
	fail     map[string]backupcopy.Kind // Start fails with this kind, per key
	lose     map[string]int             // Start makes the copy but answers OutcomeUnknown, n times per key
	bad      map[string]error
	gate     chan struct{} // if set, copies finish only once it is closed
}

type simCopy struct {
	key, group string
	created    int // how many times a copy was made for this token (must stay 1)
	done       chan struct{}
}

func newCloud(dur time.Duration) *cloud {
	return &cloud{dur: dur, limit: map[string]int{}, running: map[string]int{}, maxSeen: map[string]int{},
		copies: map[string]*simCopy{}, fail: map[string]backupcopy.Kind{}, lose: map[string]int{}, bad: map[string]error{}}
}

// made returns how many copies exist, and whether any token made more than one.
func (c *cloud) made() (n int, dup bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cp := range c.copies {
		n++
		if cp.created != 1 {
			dup = true
		}
	}
	return n, dup
}

func (c *cloud) stats() (starts, finds, atLimit int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.starts, c.finds, c.atLimit
}

func (c *cloud) most(group string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.maxSeen[group]
}

// simAdapter is one copy on a cloud.
type simAdapter struct {
	cl           *cloud
	key, group   string
	max          int
	source, dest string
	invalid      bool
}

func (a *simAdapter) Cloud() string { return "sim" }
func (a *simAdapter) Limit() fleet.Limit {
	return fleet.Limit{Group: a.group, Max: a.max, Source: "test"}
}
func (a *simAdapter) Route() fleet.Route {
	src := a.source
	if src == "" {
		src = "src/" + a.key
	}
	return fleet.Route{Source: src, Destination: a.dest}
}
func (a *simAdapter) Digest() string {
	h := sha256.Sum256([]byte(a.key + "|" + a.source + "|" + a.dest))
	return hex.EncodeToString(h[:])
}
func (a *simAdapter) Validate() error {
	if a.invalid {
		return &kindErr{backupcopy.InvalidInput, "sim: the request is invalid"}
	}
	return nil
}
func (a *simAdapter) Preflight(context.Context) error {
	a.cl.mu.Lock()
	defer a.cl.mu.Unlock()
	return a.cl.bad[a.key]
}

func (a *simAdapter) Start(ctx context.Context, at fleet.Attempt) (string, error) {
	c := a.cl
	c.mu.Lock()
	defer c.mu.Unlock()
	c.starts++
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if k, ok := c.fail[a.key]; ok {
		return "", &kindErr{k, "sim: " + k.String()}
	}
	if cp, ok := c.copies[at.Token]; ok {
		return cp.key + "/op", nil // the same token: the same copy
	}
	if c.throttle > 0 {
		c.throttle--
		return "", &kindErr{backupcopy.Throttled, "sim: throttled"}
	}
	if l := c.limit[a.group]; l > 0 && c.running[a.group] >= l {
		c.atLimit++
		return "", &kindErr{backupcopy.AtLimit, "sim: too many copies in progress"}
	}
	c.make(a, at.Token)
	if c.lose[a.key] > 0 {
		c.lose[a.key]--
		return "", &kindErr{backupcopy.OutcomeUnknown, "sim: the answer was lost"}
	}
	return a.key + "/op", nil
}

// make records a new copy (c.mu held).
func (c *cloud) make(a *simAdapter, token string) {
	cp := &simCopy{key: a.key, group: a.group, created: 1, done: make(chan struct{})}
	c.copies[token] = cp
	c.running[a.group]++
	if c.running[a.group] > c.maxSeen[a.group] {
		c.maxSeen[a.group] = c.running[a.group]
	}
	gate := c.gate
	go func() {
		if gate != nil {
			<-gate
		}
		time.Sleep(c.dur)
		c.mu.Lock()
		c.running[a.group]--
		c.mu.Unlock()
		close(cp.done)
	}()
}

func (a *simAdapter) Find(ctx context.Context, at fleet.Attempt) (string, error) {
	c := a.cl
	c.mu.Lock()
	defer c.mu.Unlock()
	c.finds++
	if _, ok := c.copies[at.Token]; ok {
		return a.key + "/op", nil
	}
	return "", nil
}

func (a *simAdapter) Wait(ctx context.Context, name string, opts ...lro.WaitOption) (string, error) {
	c := a.cl
	c.mu.Lock()
	var cp *simCopy
	for _, x := range c.copies {
		if x.key+"/op" == name {
			cp = x
		}
	}
	c.mu.Unlock()
	if cp == nil {
		return "", &kindErr{backupcopy.NotFound, "sim: no operation " + name}
	}
	select {
	case <-cp.done:
		return a.key + "/backup", nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// simPlan returns n copies of c in groups g0..g(groups-1), each with limit max.
func simPlan(c *cloud, n, groups, max int) fleet.Plan {
	p := fleet.Plan{Name: "sim"}
	for i := range n {
		key := fmt.Sprintf("copy-%03d", i)
		p.Copies = append(p.Copies, fleet.Copy{Key: key, Adapter: &simAdapter{cl: c, key: key, group: fmt.Sprintf("g%d", i%groups), max: max, dest: fmt.Sprintf("dst%d", i%groups)}})
	}
	return p
}

var errSimPreflight = errors.New("sim: the source is not ready")
