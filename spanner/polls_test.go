package spanner_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

// Concurrent waits on one client share their polls (backupOperations lists
// of the instance, gets for what a list does not show), on a clock that
// runs copies of 10 minutes to 2 hours in well under a second. With lists
// failing for a while, or answers of lists lost, every wait still ends with
// its own backup.
func TestSharedPollsConcurrentWaits(t *testing.T) {
	for _, fault := range []*spannertest.Fault{
		nil,
		{Operation: "ListBackupOperations", Kind: spannertest.ServerError, Times: 6},
		{Operation: "ListBackupOperations", Kind: spannertest.LoseResponse, Times: 3},
	} {
		name := "no fault"
		if fault != nil {
			name = string(fault.Kind)
		}
		t.Run(name, func(t *testing.T) {
			clk := lro.NewScaledClock(t0, 40_000)
			srv := spannertest.NewServer(spannertest.WithOperationDurations(10*time.Minute, 2*time.Hour, 7))
			t.Cleanup(srv.Close)
			srv.SetClock(clk.Now)
			srv.AddDatabase(db)
			srv.AddInstance(inst2)
			src := inst + "/backups/src"
			srv.AddBackup(spanner.Backup{Name: src, Database: db, CreateTime: t0.Add(-time.Hour), SizeBytes: 4096})
			ctx := context.Background()
			c, err := spanner.NewClient(ctx, spanner.WithEndpoint(srv.URL()),
				spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"})), spanner.WithClock(clk))
			require.NoError(t, err)
			t.Cleanup(func() { c.Close() })

			var ops []*spanner.CopyBackupOperation
			for i := range 10 {
				op, err := c.CopyBackup(ctx, &spanner.CopyBackupRequest{
					Parent: inst2, BackupID: fmt.Sprintf("copy-%d", i), SourceBackup: src, ExpireTime: t0.Add(30 * 24 * time.Hour),
				})
				require.NoError(t, err)
				ops = append(ops, op)
			}
			if fault != nil {
				require.NoError(t, srv.InjectFault(*fault))
			}
			var wg sync.WaitGroup
			errs := make([]error, len(ops))
			names := make([]string, len(ops))
			for i, op := range ops {
				wg.Add(1)
				go func() {
					defer wg.Done()
					b, err := op.Wait(ctx)
					errs[i] = err
					if b != nil {
						names[i] = b.Name
					}
				}()
			}
			wg.Wait()
			for i := range ops {
				require.NoError(t, errs[i])
				assert.Equal(t, fmt.Sprintf("%s/backups/copy-%d", inst2, i), names[i])
			}
			t.Logf("%d lists, %d gets", srv.CountRequests("ListBackupOperations"), srv.CountRequests("GetOperation"))
		})
	}
}
