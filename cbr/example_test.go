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
	srv.SetOperationDuration(300 * time.Millisecond)
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

// newExampleClient returns a client pointed at the fake, as a test would
// build one.
func newExampleClient(ctx context.Context, srv *cbrtest.Server) (*cbr.Client, error) {
	return cbr.NewClient(ctx,
		cbr.WithEndpoint(srv.URL()),
		cbr.WithRegion(cbrtest.Region),
		cbr.WithProjectID(cbrtest.ProjectID),
		cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey))
}

// Resume a replication by its name in a fresh client, as a job restarted
// after a crash would: one client starts it and saves op.Name(); another,
// which knows nothing else, waits for it.
func ExampleClient_CopyBackupOperation() {
	srv := cbrtest.NewServer()
	defer srv.Close()
	srv.SetOperationDuration(200 * time.Millisecond)
	vault := srv.AddVault(cbrtest.Vault{Region: "cn-east-3"})
	backup := srv.AddBackup(cbr.Backup{Name: "ecs-web-01-daily"})
	ctx := context.Background()

	// First process: start the replication and keep its name.
	first, err := newExampleClient(ctx, srv)
	if err != nil {
		fmt.Println(err)
		return
	}
	op, err := first.CopyBackup(ctx, &cbr.CopyBackupRequest{
		BackupID:             backup.ID,
		DestinationProjectID: "5c9d2a41e0b7f3864a1e7d0c2b9f6a35",
		DestinationRegion:    "cn-east-3",
		DestinationVaultID:   vault.ID,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	saved := op.Name()
	first.Close()

	// Second process: a new client and the saved name are all it needs.
	second, err := newExampleClient(ctx, srv)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer second.Close()
	resumed := second.CopyBackupOperation(saved)
	fmt.Println("same token:", resumed.Name() == saved)
	fmt.Println("known before polling:", resumed.Done(), resumed.Replication() == nil)
	rec, err := resumed.Wait(ctx, lro.WithPollInterval(20*time.Millisecond, 50*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("status:", rec.Status, "to", resumed.Replication().DestinationRegion)
	fmt.Println("replica:", rec.DestinationBackupID != "")
	// Output:
	// same token: true
	// known before polling: false true
	// status: success to cn-east-3
	// replica: true
}

// An API error is a *cbr.Error with the HTTP status, the service's code and
// message, and the request id to quote to support; errors.Is matches it
// against the package's sentinels. Here the destination vault does not
// exist (BackupService.6105).
func ExampleError() {
	srv := cbrtest.NewServer()
	defer srv.Close()
	backup := srv.AddBackup(cbr.Backup{Name: "ecs-web-01-daily"})
	ctx := context.Background()
	client, err := newExampleClient(ctx, srv)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	_, err = client.CopyBackup(ctx, &cbr.CopyBackupRequest{
		BackupID:             backup.ID,
		DestinationProjectID: "5c9d2a41e0b7f3864a1e7d0c2b9f6a35",
		DestinationRegion:    "cn-east-3",
		DestinationVaultID:   "no-such-vault",
	})
	var ce *cbr.Error
	if errors.As(err, &ce) {
		fmt.Println(ce.StatusCode, ce.Code, ce.Code == cbr.CodeVaultNotFound)
		fmt.Println(ce.Message)
		fmt.Println("request id known:", ce.RequestID != "")
	}
	fmt.Println("vault not found:", errors.Is(err, cbr.ErrVaultNotFound))
	fmt.Println("already replicated:", errors.Is(err, cbr.ErrAlreadyReplicated))
	// Output:
	// 400 BackupService.6105 true
	// Vault no-such-vault not found
	// request id known: true
	// vault not found: true
	// already replicated: false
}

// GetBackup reads a backup with its replication records: after a
// replication, the source backup's record names the replica.
func ExampleClient_GetBackup() {
	srv := cbrtest.NewServer()
	defer srv.Close()
	srv.SetOperationDuration(0)
	vault := srv.AddVault(cbrtest.Vault{Region: "cn-east-3"})
	backup := srv.AddBackup(cbr.Backup{Name: "ecs-web-01-daily"})
	ctx := context.Background()
	client, err := newExampleClient(ctx, srv)
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
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := op.Wait(ctx, lro.WithPollInterval(10*time.Millisecond, 20*time.Millisecond)); err != nil {
		fmt.Println(err)
		return
	}

	b, err := client.GetBackup(ctx, backup.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Name, b.Status, b.ImageType)
	for _, r := range b.ReplicationRecords {
		fmt.Println(r.Status, r.SourceRegion, "->", r.DestinationRegion, r.Progress)
		replica, err := client.GetBackup(ctx, r.DestinationBackupID)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(replica.Name, replica.Status, replica.ImageType)
	}
	// Output:
	// ecs-web-01-daily available backup
	// success cn-north-4 -> cn-east-3 100
	// ecs-web-01-daily available replication
}
