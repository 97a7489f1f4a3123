package fleetsuite_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/internal/fleetsuite"
	"github.com/backupcopy/backupcopy/lro"
)

// Each adapter, asked to start a copy whose request already reached the
// cloud (a crash after sending, before recording), finds that copy instead of
// making a second one; Find before any start finds nothing.
func TestAdaptersStartTwiceMakeOneCopy(t *testing.T) {
	f, c := setup(t, fleetsuite.Counts{Bigtable: 1, SpannerCopy: 1, SpannerCreate: 1, CBR: 1, FSx: 1}, 30*time.Millisecond)
	plan := fleetsuite.Plan(&f.Env, c)
	ctx := context.Background()
	poll := lro.WithPollInterval(5*time.Millisecond, 10*time.Millisecond)
	for _, cp := range plan.Copies {
		t.Run(cp.Key, func(t *testing.T) {
			a := cp.Adapter
			if err := a.Preflight(ctx); err != nil {
				t.Fatal(err)
			}
			at := fleet.Attempt{RunID: "run1", Key: cp.Key, Token: fleet.Token("run1", cp.Key), Since: time.Now()}
			if name, err := a.Find(ctx, at); err != nil || name != "" {
				t.Fatalf("Find before any start: %q, %v", name, err)
			}
			first, err := a.Start(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			second, err := a.Start(ctx, at)
			if err != nil {
				t.Fatalf("second Start: %v", err)
			}
			found, err := a.Find(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			if cp.Adapter.Cloud() != "fsx" && found == "" {
				t.Error("Find after a start found nothing")
			}
			r1, err := a.Wait(ctx, first, poll)
			if err != nil {
				t.Fatal(err)
			}
			r2, err := a.Wait(ctx, second, poll)
			if err != nil || r2 != r1 {
				t.Errorf("the second start follows %q (%v), the first made %q", r2, err, r1)
			}
			if n := f.Made()[cp.Key]; n != 1 {
				t.Errorf("%d copies made, want 1", n)
			}
		})
	}
}

// A backup of the copy's name that is not this copy is a conflict: the
// runner gives up on it rather than following someone else's backup.
func TestBigtableFindRefusesAnotherBackup(t *testing.T) {
	f, c := setup(t, fleetsuite.Counts{Bigtable: 2}, 10*time.Millisecond)
	e := &f.Env
	f.Bigtable.AddBackup(bigtable.Backup{Name: e.BigtableClusters[0] + "/backups/taken", SourceTable: "projects/demo/instances/prod/tables/x"})
	a := &bigtable.FleetCopy{Client: c.Bigtable, ExpireAfter: 48 * time.Hour, Request: bigtable.CopyBackupRequest{Parent: e.BigtableClusters[0], BackupID: "taken", SourceBackup: e.BigtableSources[1]}}
	_, err := a.Find(context.Background(), fleet.Attempt{Key: "k", Since: time.Now()})
	if backupcopy.KindOf(err) != backupcopy.Conflict || !strings.Contains(err.Error(), "is not this copy") {
		t.Errorf("Find: %v, want a conflict", err)
	}
	if err := a.Preflight(context.Background()); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("Preflight: %v, want the name taken", err)
	}
}

func TestFSxCrossRegionNeedsASourceClient(t *testing.T) {
	_, c := setup(t, fleetsuite.Counts{}, time.Millisecond)
	a := &fsx.FleetCopy{Client: c.FSx, Request: fsx.CopyBackupRequest{SourceBackupID: "backup-0123456789abcdef0", SourceRegion: "us-west-2"}}
	if err := a.Validate(); err == nil || !strings.Contains(err.Error(), "SourceClient") {
		t.Errorf("Validate: %v, want SourceClient required", err)
	}
	a.SourceClient = c.FSx // a client of the wrong region
	if err := a.Validate(); err == nil || !strings.Contains(err.Error(), "us-west-2") {
		t.Errorf("Validate: %v, want the source region named", err)
	}
}

// Digests differ when the request does and not otherwise.
func TestAdapterDigests(t *testing.T) {
	f, c := setup(t, fleetsuite.Counts{Bigtable: 1, SpannerCopy: 1, SpannerCreate: 1, CBR: 1, FSx: 1}, time.Millisecond)
	a := fleetsuite.Plan(&f.Env, c)
	b := fleetsuite.Plan(&f.Env, c)
	seen := map[string]string{}
	for i := range a.Copies {
		da, db := a.Copies[i].Adapter.Digest(), b.Copies[i].Adapter.Digest()
		if da != db {
			t.Errorf("%s: digest not stable", a.Copies[i].Key)
		}
		if k, dup := seen[da]; dup {
			t.Errorf("%s and %s share a digest", k, a.Copies[i].Key)
		}
		seen[da] = a.Copies[i].Key
	}
	bt := b.Copies[0].Adapter.(*bigtable.FleetCopy)
	bt.ExpireAfter += time.Hour
	if a.Copies[0].Adapter.Digest() == bt.Digest() {
		t.Error("a changed expiry keeps the digest")
	}
}

// A Google operation the service no longer knows (it forgets finished ones
// after a while) is followed through the backup the request names.
func TestGoogleWaitFallsBackToTheBackup(t *testing.T) {
	f, c := setup(t, fleetsuite.Counts{Bigtable: 1, SpannerCopy: 1, SpannerCreate: 1}, 10*time.Millisecond)
	ctx := context.Background()
	poll := lro.WithPollInterval(5*time.Millisecond, 10*time.Millisecond)
	for _, cp := range fleetsuite.Plan(&f.Env, c).Copies {
		t.Run(cp.Key, func(t *testing.T) {
			at := fleet.Attempt{RunID: "r", Key: cp.Key, Token: fleet.Token("r", cp.Key), Since: time.Now()}
			name, err := cp.Adapter.Start(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			want, err := cp.Adapter.Wait(ctx, name, poll)
			if err != nil {
				t.Fatal(err)
			}
			gone := name[:strings.LastIndex(name, "/")+1] + "999999" // same shape, unknown
			got, err := cp.Adapter.Wait(ctx, gone, poll)
			if err != nil || got != want {
				t.Errorf("Wait(%s) = %q, %v; want %q", gone, got, err, want)
			}
		})
	}
}
