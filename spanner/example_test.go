package spanner_test

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

// Back up a database, copy the backup to another instance, and see a
// conflict reported with its canonical code. The fake stands in for Cloud
// Spanner; against the real service, drop the options (Application Default
// Credentials are used).
func Example() {
	ctx := context.Background()
	srv := spannertest.NewServer(spannertest.WithOperationDuration(0))
	defer srv.Close()
	srv.AddDatabase("projects/demo/instances/prod/databases/orders")
	srv.AddInstance("projects/demo/instances/dr")

	c, err := spanner.NewClient(ctx, spanner.WithEndpoint(srv.URL()),
		spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "token"})))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	op, err := c.CreateBackup(ctx, &spanner.CreateBackupRequest{
		Parent:     "projects/demo/instances/prod",
		BackupID:   "orders-nightly",
		Database:   "projects/demo/instances/prod/databases/orders",
		ExpireTime: time.Now().Add(7 * 24 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	backup, err := op.Wait(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(backup.Name, backup.State)

	req := &spanner.CopyBackupRequest{
		Parent:       "projects/demo/instances/dr",
		BackupID:     "orders-nightly-dr",
		SourceBackup: backup.Name,
		ExpireTime:   time.Now().Add(30 * 24 * time.Hour),
	}
	cop, err := c.CopyBackup(ctx, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	copied, err := cop.Wait(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(copied.Name, copied.State, "from", copied.SourceBackup)

	_, err = c.CopyBackup(ctx, req)
	fmt.Println(status.Code(err) == codes.AlreadyExists)
	// Output:
	// projects/demo/instances/prod/backups/orders-nightly READY
	// projects/demo/instances/dr/backups/orders-nightly-dr READY from projects/demo/instances/prod/backups/orders-nightly
	// true
}
