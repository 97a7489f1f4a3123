// Command ours-google copies a Bigtable and a Spanner backup with this
// module (default authentication: Application Default Credentials).
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/spanner"
)

func main() {
	ctx := context.Background()
	if err := copyBigtable(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	if err := copySpanner(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

func copyBigtable(ctx context.Context) error {
	c, err := bigtable.NewClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	op, err := c.CopyBackup(ctx, &bigtable.CopyBackupRequest{
		Parent: "projects/p/instances/i/clusters/c2", BackupID: "copy",
		SourceBackup: "projects/p/instances/i/clusters/c1/backups/src", ExpireTime: time.Now().Add(72 * time.Hour),
	})
	if err != nil {
		return err
	}
	fmt.Println(op.Name())
	return nil
}

func copySpanner(ctx context.Context) error {
	c, err := spanner.NewClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	op, err := c.CopyBackup(ctx, &spanner.CopyBackupRequest{
		Parent: "projects/p/instances/dr", BackupID: "copy",
		SourceBackup: "projects/p/instances/prod/backups/src", ExpireTime: time.Now().Add(72 * time.Hour),
	})
	if err != nil {
		return err
	}
	fmt.Println(op.Name())
	return nil
}
