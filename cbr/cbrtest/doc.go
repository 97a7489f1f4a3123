// Package cbrtest is an in-process fake of the Huawei Cloud CBR v3 endpoints
// that package cbr uses, for tests and offline examples. It speaks the real
// JSON, so huaweicloud-sdk-go-v3's CBR client pointed at it works too:
//
//   - POST /v3/{project_id}/backups/{backup_id}/replicate (replicate a backup)
//   - GET /v3/{project_id}/backups/{backup_id} (show a backup)
//   - GET /v3/{project_id}/backups (list backups: vault_id, image_type,
//     show_replication, limit up to MaxListLimit, offset)
//   - GET /v3/{project_id}/replication-capabilities
//
// A complete test of code that replicates a backup:
//
//	package backups_test
//
//	import (
//		"context"
//		"testing"
//		"time"
//
//		"github.com/backupcopy/backupcopy/cbr"
//		"github.com/backupcopy/backupcopy/cbr/cbrtest"
//		"github.com/backupcopy/backupcopy/lro"
//	)
//
//	func TestNightlyReplica(t *testing.T) {
//		srv := cbrtest.NewServer()
//		defer srv.Close()
//		srv.SetOperationDuration(50 * time.Millisecond) // default 2 s
//		vault := srv.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion})
//		backup := srv.AddBackup(cbr.Backup{Name: "web-01-daily"})
//
//		ctx := context.Background()
//		client, err := cbr.NewClient(ctx,
//			cbr.WithEndpoint(srv.URL()),
//			cbr.WithRegion(cbrtest.Region),
//			cbr.WithProjectID(cbrtest.ProjectID),
//			cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey))
//		if err != nil {
//			t.Fatal(err)
//		}
//		defer client.Close()
//
//		op, err := client.CopyBackup(ctx, &cbr.CopyBackupRequest{
//			BackupID:             backup.ID,
//			DestinationProjectID: cbrtest.ProjectID,
//			DestinationRegion:    cbrtest.DestinationRegion,
//			DestinationVaultID:   vault.ID,
//		})
//		if err != nil {
//			t.Fatal(err)
//		}
//		rec, err := op.Wait(ctx, lro.WithPollInterval(10*time.Millisecond, 50*time.Millisecond))
//		if err != nil {
//			t.Fatal(err)
//		}
//		replica, ok := srv.Backup(rec.DestinationBackupID)
//		if !ok || replica.ImageType != cbr.ImageTypeReplication {
//			t.Errorf("replica %+v", replica)
//		}
//		if n := srv.CountRequests("CopyBackup"); n != 1 {
//			t.Errorf("%d replicate requests, want 1", n)
//		}
//	}
//
// # Seeding and inspecting
//
// [Server.AddBackup] seeds a source backup in [Region] and returns it with
// its new id; [Server.AddVault] adds a vault (a replication vault when it is
// outside Region). Ids are deterministic, in creation order. [Server.Backup],
// [Server.Backups], [Server.Replications], [Server.Requests] and
// [Server.CountRequests] show what the code under test did.
//
// # Rules and faults
//
// Like the API gateway, the fake checks every request: an SDK-HMAC-SHA256
// signature made with [AccessKey] and [SecretKey] and dated within
// [MaxClockSkew], or X-Auth-Token equal to [Token] (or a token added with
// [Server.AcceptToken]); anything else gets 401 APIGW.0301 in the gateway's
// error shape. [Server.ExpireToken] and [Server.SetClockSkew] make it refuse
// an expired token or a skewed signature.
//
// It enforces the replicate rules: the backup must exist, be available and be
// an ordinary backup (a replica cannot be replicated again,
// BackupService.1002); the destination region must differ from the source and
// be listed in the capabilities (BackupService.1005, see
// [Server.SetCapabilities]); the destination vault must exist in that region
// (BackupService.6105) and be a replication vault; a backup gets at most one
// replica per destination region (BackupService.1009, unless the earlier
// replication failed). [Server.FailNextReplication] makes the next
// replication end in status fail.
//
// # Time
//
// A replication record moves waiting_replicate -> replicating
// (extra_info.progress rising) -> success over the operation duration
// ([DefaultDuration], 2 s, or [Server.SetOperationDuration]); then the
// replica (image_type replication) appears and the record carries its
// destination_backup_id. [Server.SetClock] drives replications without
// sleeping.
//
// # Faults and serving
//
// [Server.InjectFault] makes requests of one operation (named as
// [Operations] lists; the same names as [Server.CountRequests] takes) fail
// the way the service fails: throttled, a 5xx answer, a lost response (the
// change is made, the answer never comes) or a slow answer, a number of
// times or for a while. [NewServer] takes [WithOperationDuration],
// [WithoutAuthentication] and [WithoutListener]; [Server.Handler] serves the
// fake from another server, as `backupcopy emulator` serves all four fakes
// on one address.
package cbrtest
