package fleet

import (
	"errors"
	"sort"
	"sync"
	"time"
)

// State is where a copy stands.
type State int

const (
	// Queued: not started (or refused at a limit and waiting to start).
	Queued State = iota
	// Starting: recorded before its request is sent. A copy found in this
	// state after a crash may or may not have started; the runner asks the
	// adapter's Find before sending anything.
	Starting
	// Running: the cloud accepted the copy; Record.Operation names it.
	Running
	// Done: the copy finished well; Record.Result names the new backup.
	Done
	// Failed: the copy failed for good; Record.Error says why.
	Failed
)

var stateNames = [...]string{Queued: "queued", Starting: "starting", Running: "running", Done: "done", Failed: "failed"}

// String returns "queued", "starting", "running", "done" or "failed".
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "unknown"
	}
	return stateNames[s]
}

// ParseState is the inverse of State.String.
func ParseState(s string) (State, bool) {
	for i, n := range stateNames {
		if n == s {
			return State(i), true
		}
	}
	return 0, false
}

// Final reports whether the state is Done or Failed.
func (s State) Final() bool { return s == Done || s == Failed }

// RunInfo identifies a run in its store.
type RunInfo struct {
	// ID is the run's id; tokens derive from it (see Token).
	ID string
	// Plan is the plan's name.
	Plan string
	// Created is when the run was first stored.
	Created time.Time
}

// Record is one copy's entry in the store.
type Record struct {
	// Key is the copy's key in the plan.
	Key string
	// Cloud is the adapter's Cloud().
	Cloud string
	// Digest is the adapter's Digest() when the run was stored: a plan that
	// changes it is refused.
	Digest string
	// State is where the copy stands.
	State State
	// Operation is the operation's name (the client's resume token), once
	// started.
	Operation string
	// Token is the token the copy's requests carry (see Token).
	Token string
	// Attempts counts the start requests sent.
	Attempts int
	// Error is the last error met (empty if none).
	Error string
	// Result names the new backup once done.
	Result string
	// Since is when the copy was first recorded as starting (Attempt.Since).
	Since time.Time
	// Started is when the cloud accepted the copy; Finished when it was
	// done or failed; Updated when the record was last written.
	Started, Finished, Updated time.Time
}

// Snapshot is what a store holds: the run and its copies.
type Snapshot struct {
	// Run identifies the run.
	Run RunInfo
	// Records has one record per copy, sorted by key.
	Records []Record
}

// Store keeps a run's state. Implementations must make Put durable before
// it returns (the runner records a copy as starting before it sends the
// request) and be safe for concurrent use.
type Store interface {
	// Load returns the run the store holds, or nil (and no error) if it
	// holds none.
	Load() (*Snapshot, error)
	// Init stores the run (if the store holds none) and the records, in one
	// write.
	Init(run RunInfo, recs []Record) error
	// Put stores one copy's record, replacing the one with the same key.
	Put(rec *Record) error
	// Close releases the store.
	Close() error
}

// MemoryStore is a Store in memory: it does not survive the process. The
// zero value is ready to use.
type MemoryStore struct {
	mu   sync.Mutex
	run  *RunInfo
	recs map[string]Record
	// closed is set by Close.
	closed bool
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// ErrStoreClosed is returned by a closed MemoryStore.
var ErrStoreClosed = errors.New("fleet: the store is closed")

// Load implements Store.
func (m *MemoryStore) Load() (*Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrStoreClosed
	}
	if m.run == nil {
		return nil, nil
	}
	s := &Snapshot{Run: *m.run, Records: make([]Record, 0, len(m.recs))}
	for _, r := range m.recs {
		s.Records = append(s.Records, r)
	}
	sort.Slice(s.Records, func(i, j int) bool { return s.Records[i].Key < s.Records[j].Key })
	return s, nil
}

// Init implements Store.
func (m *MemoryStore) Init(run RunInfo, recs []Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrStoreClosed
	}
	if m.run == nil {
		r := run
		m.run = &r
	}
	if m.recs == nil {
		m.recs = make(map[string]Record, len(recs))
	}
	for i := range recs {
		m.recs[recs[i].Key] = recs[i]
	}
	return nil
}

// Put implements Store.
func (m *MemoryStore) Put(rec *Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrStoreClosed
	}
	if m.run == nil {
		return errors.New("fleet: MemoryStore.Put before Init")
	}
	m.recs[rec.Key] = *rec
	return nil
}

// Close implements Store.
func (m *MemoryStore) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	return nil
}
