package cbrtest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/lro"
)

func newExampleClient(ctx context.Context, srv *cbrtest.Server, ak, sk string) (*cbr.Client, error) {
	return cbr.NewClient(ctx,
		cbr.WithEndpoint(srv.URL()),
		cbr.WithRegion(cbrtest.Region),
		cbr.WithProjectID(cbrtest.ProjectID),
		cbr.WithAKSK(ak, sk))
}

// A test seeds the fake with a source backup and a destination vault, points
// the client at it with WithEndpoint (signing with the fake's AK/SK), runs
// the code under test and then inspects what the fake holds.
func ExampleNewServer() {
	srv := cbrtest.NewServer()
	defer srv.Close()
	srv.SetOperationDuration(50 * time.Millisecond) // default 2 s
	vault := srv.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion})
	backup := srv.AddBackup(cbr.Backup{Name: "web-01-daily"})
	fmt.Println("seeded", backup.ID, backup.Status, "in", cbrtest.Region)

	ctx := context.Background()
	client, err := newExampleClient(ctx, srv, cbrtest.AccessKey, cbrtest.SecretKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	// The code under test.
	op, err := client.CopyBackup(ctx, &cbr.CopyBackupRequest{
		BackupID:             backup.ID,
		DestinationProjectID: cbrtest.ProjectID,
		DestinationRegion:    cbrtest.DestinationRegion,
		DestinationVaultID:   vault.ID,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := op.Wait(ctx, lro.WithPollInterval(10*time.Millisecond, 20*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}

	// What the fake saw and holds.
	replica, _ := srv.Backup(rec.DestinationBackupID)
	fmt.Println("replica", replica.Name, replica.ImageType, "in vault", replica.VaultID == vault.ID)
	fmt.Println("replicate calls:", srv.CountRequests("CopyBackup"))
	// Output:
	// seeded 00000000-0000-4000-8000-000000000002 available in cn-north-4
	// replica web-01-daily replication in vault true
	// replicate calls: 1
}

// FailNextReplication makes the next replication end in status fail, so a
// test can check how the code under test reports it: Wait returns a
// *cbr.ReplicationError with the record's fail code and reason.
func ExampleServer_FailNextReplication() {
	srv := cbrtest.NewServer()
	defer srv.Close()
	srv.SetOperationDuration(0)
	vault := srv.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion})
	backup := srv.AddBackup(cbr.Backup{Name: "web-01-daily"})
	srv.FailNextReplication("BackupService.9001", "destination vault is full")

	ctx := context.Background()
	client, err := newExampleClient(ctx, srv, cbrtest.AccessKey, cbrtest.SecretKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	op, err := client.CopyBackup(ctx, &cbr.CopyBackupRequest{
		BackupID:             backup.ID,
		DestinationProjectID: cbrtest.ProjectID,
		DestinationRegion:    cbrtest.DestinationRegion,
		DestinationVaultID:   vault.ID,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = op.Wait(ctx, lro.WithPollInterval(10*time.Millisecond, 20*time.Millisecond))
	var re *cbr.ReplicationError
	if errors.As(err, &re) {
		fmt.Println(re.Status, re.FailCode, re.FailReason)
	}
	// Output:
	// fail BackupService.9001 destination vault is full
}

// The fake refuses what CBR refuses, with CBR's codes: a second replica of a
// backup to the same region, a replica replicated again, a signature made
// with the wrong secret key.
func Example_rules() {
	srv := cbrtest.NewServer()
	defer srv.Close()
	srv.SetOperationDuration(0)
	vault := srv.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion})
	backup := srv.AddBackup(cbr.Backup{Name: "web-01-daily"})
	ctx := context.Background()
	client, err := newExampleClient(ctx, srv, cbrtest.AccessKey, cbrtest.SecretKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	replicate := func(c *cbr.Client, backupID string) (*cbr.CopyBackupOperation, error) {
		return c.CopyBackup(ctx, &cbr.CopyBackupRequest{
			BackupID:             backupID,
			DestinationProjectID: cbrtest.ProjectID,
			DestinationRegion:    cbrtest.DestinationRegion,
			DestinationVaultID:   vault.ID,
		})
	}

	op, err := replicate(client, backup.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := op.Wait(ctx, lro.WithPollInterval(10*time.Millisecond, 20*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = replicate(client, backup.ID)
	fmt.Println("second replica:", errors.Is(err, cbr.ErrAlreadyReplicated))
	_, err = replicate(client, rec.DestinationBackupID)
	fmt.Println("replica of a replica:", errors.Is(err, cbr.ErrNotReplicable))

	wrong, err := newExampleClient(ctx, srv, cbrtest.AccessKey, "not-the-secret-key")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer wrong.Close()
	_, err = wrong.GetBackup(ctx, backup.ID)
	var ce *cbr.Error
	if errors.As(err, &ce) {
		fmt.Println("wrong secret:", ce.StatusCode, ce.Code, errors.Is(err, cbr.ErrAuthFailed))
	}
	// Output:
	// second replica: true
	// replica of a replica: true
	// wrong secret: 401 APIGW.0301 true
}

// InjectFault tests what the code under test does when the service fails.
// Here the gateway answers the first two look-ups with 503 APIGW.0201: the
// client retries them and the caller sees only the answer.
func ExampleServer_InjectFault() {
	srv := cbrtest.NewServer()
	defer srv.Close()
	backup := srv.AddBackup(cbr.Backup{Name: "web-01-daily"})
	if err := srv.InjectFault(cbrtest.Fault{Operation: "GetBackup", Kind: cbrtest.ServerError, Times: 2}); err != nil {
		fmt.Println(err)
		return
	}

	ctx := context.Background()
	client, err := newExampleClient(ctx, srv, cbrtest.AccessKey, cbrtest.SecretKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	b, err := client.GetBackup(ctx, backup.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Name, b.Status)
	fmt.Println("look-ups:", srv.CountRequests("GetBackup"))
	// Output:
	// web-01-daily available
	// look-ups: 3
}
