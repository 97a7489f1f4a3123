package bigtable_test

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/lro"
)

// Copy a backup to another cluster and wait for it, here against the
// in-process fake.
func ExampleClient_CopyBackup() {
	fake := bigtabletest.NewServer()
	defer fake.Close()
	fake.SetOperationDuration(100 * time.Millisecond)
	fake.AddBackup(bigtable.Backup{
		Name:        "projects/my-project/instances/prod/clusters/prod-c1/backups/nightly",
		SourceTable: "projects/my-project/instances/prod/tables/orders",
		SizeBytes:   1 << 30,
	})
	fake.AddCluster("projects/my-project/instances/prod/clusters/prod-c2")

	ctx := context.Background()
	client, err := bigtable.NewClient(ctx,
		bigtable.WithEndpoint(fake.URL()),
		bigtable.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "example"})))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	op, err := client.CopyBackup(ctx, &bigtable.CopyBackupRequest{
		Parent:       "projects/my-project/instances/prod/clusters/prod-c2",
		BackupID:     "nightly-copy",
		SourceBackup: "projects/my-project/instances/prod/clusters/prod-c1/backups/nightly",
		ExpireTime:   time.Now().Add(7 * 24 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("copying into", op.Metadata().Name)
	backup, err := op.Wait(ctx, lro.WithPollInterval(20*time.Millisecond, 50*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(backup.Name, backup.State, backup.SizeBytes)
	fmt.Println("copy of", backup.SourceBackup)
	// Output:
	// copying into projects/my-project/instances/prod/clusters/prod-c2/backups/nightly-copy
	// projects/my-project/instances/prod/clusters/prod-c2/backups/nightly-copy READY 1073741824
	// copy of projects/my-project/instances/prod/clusters/prod-c1/backups/nightly
}
