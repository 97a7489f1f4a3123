package cbr_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
)

// Concurrent waits on one client share their polls (a backups list of the
// source vault with replication records, a show of the backup for what a
// list does not show). With lists failing for a while, or their answers
// lost, every wait still ends with its own replica.
func TestSharedPollsConcurrentWaits(t *testing.T) {
	for _, fault := range []*cbrtest.Fault{
		nil,
		{Operation: "ListBackups", Kind: cbrtest.ServerError, Times: 4},
		{Operation: "ListBackups", Kind: cbrtest.LoseResponse, Times: 3},
		{Operation: "ListBackups", Kind: cbrtest.Throttle, Times: 2},
	} {
		name := "no fault"
		if fault != nil {
			name = string(fault.Kind)
		}
		t.Run(name, func(t *testing.T) {
			s := cbrtest.NewServer()
			t.Cleanup(s.Close)
			s.SetOperationDuration(300 * time.Millisecond)
			dst := s.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion})
			vault := s.AddBackup(cbr.Backup{}).VaultID
			c := fakeClient(t, s.URL())
			t.Cleanup(func() { c.Close() })
			ctx := context.Background()
			var ops []*cbr.CopyBackupOperation
			var sources []string
			for range 12 {
				b := s.AddBackup(cbr.Backup{VaultID: vault})
				op, err := c.CopyBackup(ctx, &cbr.CopyBackupRequest{BackupID: b.ID, DestinationProjectID: "dest-proj",
					DestinationRegion: cbrtest.DestinationRegion, DestinationVaultID: dst.ID})
				if err != nil {
					t.Fatal(err)
				}
				ops = append(ops, op)
				sources = append(sources, b.ID)
			}
			if fault != nil {
				if err := s.InjectFault(*fault); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			errs := make([]error, len(ops))
			recs := make([]*cbr.ReplicationRecord, len(ops))
			for i, op := range ops {
				wg.Add(1)
				go func() {
					defer wg.Done()
					recs[i], errs[i] = op.Wait(ctx, fast)
				}()
			}
			wg.Wait()
			for i := range ops {
				if errs[i] != nil {
					t.Fatalf("wait %d: %v", i, errs[i])
				}
				replica, ok := s.Backup(recs[i].DestinationBackupID)
				if !ok || replica.ImageType != cbr.ImageTypeReplication || recs[i].SourceBackupID != sources[i] {
					t.Errorf("wait %d: record %+v, replica %+v", i, recs[i], replica)
				}
			}
			t.Logf("%d lists, %d shows", s.CountRequests("ListBackups"), s.CountRequests("GetBackup"))
		})
	}
}

// dropPages is a transport that fails the first n list requests for a page
// after the first (offset set), as a connection lost before the answer.
type dropPages struct {
	mu sync.Mutex
	n  int
}

func (d *dropPages) RoundTrip(r *http.Request) (*http.Response, error) {
	d.mu.Lock()
	drop := d.n > 0 && r.URL.Query().Get("offset") != ""
	if drop {
		d.n--
	}
	d.mu.Unlock()
	if drop {
		return nil, errors.New("dropPages: connection reset")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// Shared polls whose lists do not answer every poll: first polls of
// backups in several vaults (one read, then a list of its vault that leaves
// the others out), the second page of a vault's list lost, lists slow enough that later rounds
// wait for them, and two replications of one backup of which one ends
// first. Every wait ends with its own replica.
func TestSharedPollsListGaps(t *testing.T) {
	const otherRegion = "cn-south-1"
	for _, tc := range []struct {
		name   string
		vaults int // source vaults the backups are spread over
		filler int // backups in the first vault before the waited ones
		drop   int // list pages after the first to lose
		fault  *cbrtest.Fault
		twice  bool // each backup replicated to two regions
		byName bool // waited on by name through a second client (no vault known)
	}{
		{name: "two vaults", vaults: 2},
		{name: "three vaults by name", vaults: 3, byName: true},
		{name: "lost second page", vaults: 1, filler: cbrtest.MaxListLimit, drop: 3},
		{name: "slow list", vaults: 1, fault: &cbrtest.Fault{Operation: "ListBackups", Kind: cbrtest.Slow, Delay: 300 * time.Millisecond, Times: 3}},
		{name: "two records of one backup", vaults: 1, twice: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := cbrtest.NewServer()
			t.Cleanup(s.Close)
			s.SetCapabilities(cbrtest.Region, cbrtest.DestinationRegion, otherRegion)
			dst := []cbrtest.Vault{s.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion}), s.AddVault(cbrtest.Vault{Region: otherRegion})}
			var vaults []string
			for range tc.vaults {
				vaults = append(vaults, s.AddBackup(cbr.Backup{}).VaultID)
			}
			for range tc.filler {
				s.AddBackup(cbr.Backup{VaultID: vaults[0]})
			}
			c := fakeClient(t, s.URL(), cbr.WithHTTPClient(&http.Client{Transport: &dropPages{n: tc.drop}}))
			t.Cleanup(func() { c.Close() })
			waiter := c
			if tc.byName {
				waiter = fakeClient(t, s.URL())
				t.Cleanup(func() { waiter.Close() })
			}
			ctx := context.Background()
			type copyOp struct {
				op     *cbr.CopyBackupOperation
				source string
				region string
			}
			var ops []copyOp
			for i := range 12 {
				b := s.AddBackup(cbr.Backup{VaultID: vaults[i%len(vaults)]})
				n := 1
				if tc.twice {
					n = 2
				}
				for j := range n {
					// The second replication of a backup takes longer.
					s.SetOperationDuration(time.Duration(200*(1+2*j)) * time.Millisecond)
					op, err := c.CopyBackup(ctx, &cbr.CopyBackupRequest{BackupID: b.ID, DestinationProjectID: "dest-proj",
						DestinationRegion: dst[j].Region, DestinationVaultID: dst[j].ID})
					if err != nil {
						t.Fatal(err)
					}
					ops = append(ops, copyOp{waiter.CopyBackupOperation(op.Name()), b.ID, dst[j].Region})
				}
			}
			if tc.fault != nil {
				if err := s.InjectFault(*tc.fault); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			errs := make([]error, len(ops))
			recs := make([]*cbr.ReplicationRecord, len(ops))
			for i, o := range ops {
				wg.Add(1)
				go func() {
					defer wg.Done()
					wctx, cancel := context.WithTimeout(ctx, time.Minute) // a hang fails the test
					defer cancel()
					recs[i], errs[i] = o.op.Wait(wctx, fast)
				}()
			}
			wg.Wait()
			for i, o := range ops {
				if errs[i] != nil {
					t.Fatalf("wait %d: %v", i, errs[i])
				}
				replica, ok := s.Backup(recs[i].DestinationBackupID)
				if !ok || replica.ImageType != cbr.ImageTypeReplication || recs[i].SourceBackupID != o.source ||
					recs[i].DestinationRegion != o.region || recs[i].Status != cbr.ReplicationSuccess {
					t.Errorf("wait %d: record %+v, replica %+v", i, recs[i], replica)
				}
			}
			t.Logf("%d lists, %d shows", s.CountRequests("ListBackups"), s.CountRequests("GetBackup"))
		})
	}
}
