package journal_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/fleet/journal"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.state")
	st, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if snap, err := st.Load(); err != nil || snap != nil {
		t.Fatalf("new file: %v, %v", snap, err)
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 123456789, time.UTC)
	run := fleet.RunInfo{ID: "r1", Plan: "nightly", Created: now}
	recs := []fleet.Record{
		{Key: "b", Cloud: "fsx", Digest: "d2", State: fleet.Queued, Token: "r1.b", Updated: now},
		{Key: "a", Cloud: "bigtable", Digest: "d1", State: fleet.Queued, Token: "r1.a", Updated: now},
	}
	if err := st.Init(run, recs); err != nil {
		t.Fatal(err)
	}
	started := fleet.Record{Key: "a", Cloud: "bigtable", Digest: "d1", State: fleet.Running, Operation: "operations/x", Token: "r1.a",
		Attempts: 2, Error: "earlier: throttled", Since: now, Started: now.Add(time.Second), Updated: now.Add(time.Second)}
	if err := st.Put(&started); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	snap, err := journal.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Run != run {
		t.Errorf("run %+v, want %+v", snap.Run, run)
	}
	if len(snap.Records) != 2 || snap.Records[0] != started || snap.Records[1] != recs[0] {
		t.Errorf("records %+v", snap.Records)
	}
}

func TestSecondOpenFailsAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.state")
	st, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for name, open := range map[string]func() error{
		"Open": func() error { s, err := journal.Open(path); closeIf(s); return err },
		"Read": func() error { _, err := journal.Read(path); return err },
	} {
		err := open()
		if !errors.Is(err, journal.ErrLocked) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), path) {
			t.Errorf("%s of a locked file: %v, want one line wrapping ErrLocked", name, err)
		}
	}
}

func closeIf(s *journal.Store) {
	if s != nil {
		s.Close()
	}
}

func TestCorruptOrForeignFileIsRefusedAndLeftAlone(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.state")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 2000), 0o600); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign.db")
	db, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("users")); return err }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	badRecord := filepath.Join(dir, "bad-record.state")
	st, err := journal.Open(badRecord)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Init(fleet.RunInfo{ID: "r", Plan: "p"}, []fleet.Record{{Key: "a", State: fleet.Queued}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err = bolt.Open(badRecord, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("copies")).Put([]byte("a"), []byte("{broken")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, path := range []string{garbage, foreign, badRecord} {
		before, _ := os.ReadFile(path)
		s, err := journal.Open(path)
		closeIf(s)
		if !errors.Is(err, journal.ErrCorrupt) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line wrapping ErrCorrupt", filepath.Base(path), err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Errorf("%s was changed", filepath.Base(path))
		}
	}
}
