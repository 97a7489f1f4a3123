package cbr_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/lro"
)

// Replicate a backup to another region and wait for the replica, here
// against the in-process fake.
func Example() {
	srv := cbrtest.NewServer()
	defer srv.Close()
	srv.SetDuration(300 * time.Millisecond)
	vault := srv.AddVault(cbrtest.Vault{Region: "cn-east-3"})
	backup := srv.AddBackup(cbr.Backup{Name: "ecs-web-01-daily"})

	ctx := context.Background()
	client, err := cbr.NewClient(ctx,
		cbr.WithEndpoint(srv.URL()), // omit for https://cbr.{region}.myhuaweicloud.com
		cbr.WithRegion("cn-north-4"),
		cbr.WithProjectID(cbrtest.ProjectID),
		cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	op, err := client.CopyBackup(ctx, &cbr.CopyBackupRequest{
		BackupID:             backup.ID,
		DestinationProjectID: "5c9d2a41e0b7f3864a1e7d0c2b9f6a35",
		DestinationRegion:    "cn-east-3",
		DestinationVaultID:   vault.ID,
		Name:                 "ecs-web-01-dr",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := op.Replication()
	fmt.Printf("replicating from %s to %s\n", r.SourceRegion, r.DestinationRegion)

	rec, err := op.Wait(ctx,
		lro.WithPollInterval(50*time.Millisecond, 100*time.Millisecond),
		lro.WithProgress(func(p lro.Progress) {
			if p.Done {
				fmt.Printf("progress %d%%\n", p.Percent)
			}
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("status:", rec.Status)

	replica, err := client.GetBackup(ctx, rec.DestinationBackupID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("replica:", replica.Name, replica.ImageType, replica.Status)

	// A second replica to the same region is refused.
	_, err = client.CopyBackup(ctx, &cbr.CopyBackupRequest{
		BackupID: backup.ID, DestinationProjectID: "5c9d2a41e0b7f3864a1e7d0c2b9f6a35",
		DestinationRegion: "cn-east-3", DestinationVaultID: vault.ID,
	})
	fmt.Println("again:", errors.Is(err, cbr.ErrAlreadyReplicated))
	// Output:
	// replicating from cn-north-4 to cn-east-3
	// progress 100%
	// status: success
	// replica: ecs-web-01-dr replication available
	// again: true
}
