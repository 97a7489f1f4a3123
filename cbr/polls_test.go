package cbr_test

import (
	"context"
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
