package bigtable_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
)

// Concurrent waits on one client share their polls (operations lists of the
// instance, gets for what a list does not show). With lists failing for a
// while, or answers of lists lost, every wait still ends with its own
// backup: a failed list never ends a wait.
func TestSharedPollsConcurrentWaits(t *testing.T) {
	for _, fault := range []*bigtabletest.Fault{
		nil,
		{Operation: "ListOperations", Kind: bigtabletest.ServerError, For: 150 * time.Millisecond},
		{Operation: "ListOperations", Kind: bigtabletest.LoseResponse, Times: 3},
		{Operation: "ListOperations", Kind: bigtabletest.Throttle, Times: 2},
	} {
		name := "no fault"
		if fault != nil {
			name = string(fault.Kind)
		}
		t.Run(name, func(t *testing.T) {
			fake := newFake(t)
			fake.SetPageSize(3) // several pages per list
			c := newClient(t, fake.URL())
			ctx := context.Background()
			var ops []*bigtable.CopyBackupOperation
			for i := range 12 {
				op, err := c.CopyBackup(ctx, copyReq(fmt.Sprintf("copy-%d", i)))
				require.NoError(t, err)
				ops = append(ops, op)
			}
			if fault != nil {
				require.NoError(t, fake.InjectFault(*fault))
			}
			var wg sync.WaitGroup
			errs := make([]error, len(ops))
			names := make([]string, len(ops))
			for i, op := range ops {
				wg.Add(1)
				go func() {
					defer wg.Done()
					b, err := op.Wait(ctx, fastPoll)
					errs[i] = err
					if b != nil {
						names[i] = b.Name
					}
				}()
			}
			wg.Wait()
			for i := range ops {
				require.NoError(t, errs[i])
				assert.Equal(t, fmt.Sprintf("%s/backups/copy-%d", dstCl, i), names[i])
			}
			for _, r := range fake.Requests() {
				if r.Method == "GET" && len(r.RawQuery) > 0 && r.Path == "/v2/operations/projects/p/instances/i/operations" {
					assert.Contains(t, r.RawQuery, "filter=done%3Dfalse")
				}
			}
			t.Logf("%d lists, %d gets", fake.CountRequests("ListOperations"), fake.CountRequests("GetOperation"))
		})
	}
}
