// Package journal keeps a fleet run's state in one file, so that a run
// interrupted by a crash, a kill or a reboot resumes where it stood.
//
// The file is a bbolt database (go.etcd.io/bbolt): every write is a
// transaction made durable (fsync) before it returns, and the file is locked
// while open, so two runs cannot share it. A file that is locked, corrupt, or
// not a state file is refused with a one-line error and left as it is.
//
//	st, err := journal.Open(path)
//	if err != nil {
//		return err // journal.ErrLocked, journal.ErrCorrupt, or a file system error
//	}
//	defer st.Close()
//	res, err := fleet.Run(ctx, plan, fleet.Options{Store: st})
//
// Read returns what a state file holds without changing it, for a status
// report.
package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/backupcopy/backupcopy/fleet"
)

// Format is the state file format this package writes and reads.
const Format = 1

var (
	// ErrLocked is wrapped by the error of Open for a file another run
	// (or another process) has open.
	ErrLocked = errors.New("in use by another run")
	// ErrCorrupt is wrapped by the error of Open and Load for a file that is
	// not a readable state file.
	ErrCorrupt = errors.New("not a readable fleet state file")
)

var (
	bucketRun    = []byte("fleet")
	keyRun       = []byte("run")
	bucketCopies = []byte("copies")
)

// Store is a fleet.Store in one bbolt file. It is safe for concurrent use;
// concurrent Puts share transactions.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens (creating it if need be) the state file at path and locks it.
// It fails at once, without waiting, if another run holds the lock
// (ErrLocked), and fails if the file is not a state file (ErrCorrupt); in
// both cases the file is left as it is.
func Open(path string) (*Store, error) {
	return open(path, false)
}

func open(path string, readOnly bool) (*Store, error) {
	// A timeout below bbolt's retry interval means a single try.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Millisecond, ReadOnly: readOnly})
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, fmt.Errorf("journal: state file %s is %w (its lock is held): wait for that run to end, or use another state file", path, ErrLocked)
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrInvalidMapping):
			return nil, corrupt(path, err)
		}
		return nil, fmt.Errorf("journal: opening state file %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if _, err := s.Load(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func corrupt(path string, err error) error {
	return fmt.Errorf("journal: %s is %w (%v): it was left as it is; move it away to start a new run", path, ErrCorrupt, oneLine(err))
}

func oneLine(err error) string {
	b := []byte(err.Error())
	for i, c := range b {
		if c == '\n' || c == '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}

// Read returns what the state file at path holds (nil for an empty file),
// opening it read-only. It fails with ErrLocked while a run has it open.
func Read(path string) (*fleet.Snapshot, error) {
	s, err := open(path, true)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Load()
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// runJSON and recordJSON are the stored forms.
type runJSON struct {
	Format  int       `json:"format"`
	ID      string    `json:"id"`
	Plan    string    `json:"plan"`
	Created time.Time `json:"created"`
}

type recordJSON struct {
	Key       string    `json:"key"`
	Cloud     string    `json:"cloud"`
	Digest    string    `json:"digest"`
	State     string    `json:"state"`
	Operation string    `json:"operation,omitempty"`
	Token     string    `json:"token,omitempty"`
	Attempts  int       `json:"attempts,omitempty"`
	Error     string    `json:"error,omitempty"`
	Result    string    `json:"result,omitempty"`
	Since     time.Time `json:"since,omitzero"`
	Started   time.Time `json:"started,omitzero"`
	Finished  time.Time `json:"finished,omitzero"`
	Updated   time.Time `json:"updated,omitzero"`
}

func toJSON(r *fleet.Record) recordJSON {
	return recordJSON{Key: r.Key, Cloud: r.Cloud, Digest: r.Digest, State: r.State.String(), Operation: r.Operation,
		Token: r.Token, Attempts: r.Attempts, Error: r.Error, Result: r.Result, Since: r.Since, Started: r.Started,
		Finished: r.Finished, Updated: r.Updated}
}

func (j *recordJSON) record() (fleet.Record, error) {
	st, ok := fleet.ParseState(j.State)
	if !ok {
		return fleet.Record{}, fmt.Errorf("copy %q has unknown state %q", j.Key, j.State)
	}
	return fleet.Record{Key: j.Key, Cloud: j.Cloud, Digest: j.Digest, State: st, Operation: j.Operation,
		Token: j.Token, Attempts: j.Attempts, Error: j.Error, Result: j.Result, Since: j.Since, Started: j.Started,
		Finished: j.Finished, Updated: j.Updated}, nil
}

// Load implements fleet.Store.
func (s *Store) Load() (*fleet.Snapshot, error) {
	var snap *fleet.Snapshot
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRun)
		if b == nil {
			empty := true
			_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
			if !empty {
				return errors.New("a bbolt database of another program")
			}
			return nil
		}
		var rj runJSON
		if err := json.Unmarshal(b.Get(keyRun), &rj); err != nil {
			return fmt.Errorf("run header: %v", err)
		}
		if rj.Format != Format {
			return fmt.Errorf("format %d, this version reads format %d", rj.Format, Format)
		}
		snap = &fleet.Snapshot{Run: fleet.RunInfo{ID: rj.ID, Plan: rj.Plan, Created: rj.Created}}
		cb := tx.Bucket(bucketCopies)
		if cb == nil {
			return errors.New("no copies bucket")
		}
		snap.Records = make([]fleet.Record, 0, cb.Stats().KeyN)
		return cb.ForEach(func(k, v []byte) error {
			var j recordJSON
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("copy %q: %v", k, err)
			}
			if j.Key != string(k) {
				return fmt.Errorf("copy %q is stored under key %q", j.Key, k)
			}
			r, err := j.record()
			if err != nil {
				return err
			}
			snap.Records = append(snap.Records, r)
			return nil
		})
	})
	if err != nil {
		return nil, corrupt(s.path, err)
	}
	return snap, nil
}

// Init implements fleet.Store: it writes the run (if the file holds none)
// and the records in one transaction.
func (s *Store) Init(run fleet.RunInfo, recs []fleet.Record) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketRun)
		if err != nil {
			return err
		}
		if b.Get(keyRun) == nil {
			v, err := json.Marshal(runJSON{Format: Format, ID: run.ID, Plan: run.Plan, Created: run.Created})
			if err != nil {
				return err
			}
			if err := b.Put(keyRun, v); err != nil {
				return err
			}
		}
		cb, err := tx.CreateBucketIfNotExists(bucketCopies)
		if err != nil {
			return err
		}
		for i := range recs {
			if err := putRecord(cb, &recs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("journal: writing state file %s: %w", s.path, err)
	}
	return nil
}

func putRecord(b *bolt.Bucket, r *fleet.Record) error {
	v, err := json.Marshal(toJSON(r))
	if err != nil {
		return err
	}
	return b.Put([]byte(r.Key), v)
}

// Put implements fleet.Store. The record is on disk when Put returns;
// concurrent Puts are written in one transaction (bbolt's Batch).
func (s *Store) Put(rec *fleet.Record) error {
	v, err := json.Marshal(toJSON(rec))
	if err != nil {
		return fmt.Errorf("journal: encoding copy %q: %w", rec.Key, err)
	}
	err = s.db.Batch(func(tx *bolt.Tx) error {
		cb := tx.Bucket(bucketCopies)
		if cb == nil {
			return errors.New("the run was not stored (Init)")
		}
		return cb.Put([]byte(rec.Key), v)
	})
	if err != nil {
		return fmt.Errorf("journal: writing state file %s: %w", s.path, err)
	}
	return nil
}

// Close releases the file and its lock.
func (s *Store) Close() error { return s.db.Close() }
