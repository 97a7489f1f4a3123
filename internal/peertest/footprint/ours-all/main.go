// Command ours-all copies a backup on all four clouds with this module.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/spanner"
)

func main() {
	ctx := context.Background()
	for _, f := range []func(context.Context) (string, error){copyBigtable, copySpanner, copyCBR, copyFSx} {
		name, err := f(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		fmt.Println(name)
	}
}

func copyBigtable(ctx context.Context) (string, error) {
	c, err := bigtable.NewClient(ctx)
	if err != nil {
		return "", err
	}
	defer c.Close()
	op, err := c.CopyBackup(ctx, &bigtable.CopyBackupRequest{
		Parent: "projects/p/instances/i/clusters/c2", BackupID: "copy",
		SourceBackup: "projects/p/instances/i/clusters/c1/backups/src", ExpireTime: time.Now().Add(72 * time.Hour),
	})
	if err != nil {
		return "", err
	}
	return op.Name(), nil
}

func copySpanner(ctx context.Context) (string, error) {
	c, err := spanner.NewClient(ctx)
	if err != nil {
		return "", err
	}
	defer c.Close()
	op, err := c.CopyBackup(ctx, &spanner.CopyBackupRequest{
		Parent: "projects/p/instances/dr", BackupID: "copy",
		SourceBackup: "projects/p/instances/prod/backups/src", ExpireTime: time.Now().Add(72 * time.Hour),
	})
	if err != nil {
		return "", err
	}
	return op.Name(), nil
}

func copyCBR(ctx context.Context) (string, error) {
	c, err := cbr.NewClient(ctx, cbr.WithRegion("cn-north-4"), cbr.WithProjectID(os.Getenv("HUAWEICLOUD_PROJECT_ID")),
		cbr.WithAKSK(os.Getenv("HUAWEICLOUD_SDK_AK"), os.Getenv("HUAWEICLOUD_SDK_SK")))
	if err != nil {
		return "", err
	}
	defer c.Close()
	op, err := c.CopyBackup(ctx, &cbr.CopyBackupRequest{
		BackupID: "6df2b54c-dd62-4059-a07c-1b8f24f2725d", DestinationProjectID: "dest-proj",
		DestinationRegion: "cn-east-3", DestinationVaultID: "3b5816b5-f29c-4172-9d9a-76c719a659ce",
	})
	if err != nil {
		return "", err
	}
	return op.Name(), nil
}

func copyFSx(ctx context.Context) (string, error) {
	c, err := fsx.NewClient(ctx, fsx.WithRegion("us-east-1"))
	if err != nil {
		return "", err
	}
	defer c.Close()
	op, err := c.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: "backup-0123456789abcdef0", SourceRegion: "us-west-2"})
	if err != nil {
		return "", err
	}
	return op.Name(), nil
}
