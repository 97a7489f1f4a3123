// Package bigtabletest is an in-process fake of the Bigtable Admin API v2
// backup endpoints, for tests and offline examples. It speaks the REST
// protocol with the real JSON shapes, so bigtable.Client and
// google.golang.org/api/bigtableadmin/v2 both work against it:
//
//   - POST /v2/{parent=projects/*/instances/*/clusters/*}/backups:copy
//   - POST /v2/{parent}/backups?backupId=
//   - GET /v2/{parent}/backups (pageToken, pageSize; cluster "-" for all)
//   - GET and DELETE /v2/{name=projects/*/instances/*/clusters/*/backups/*}
//   - GET /v2/{name=operations/**} and GET /v2/{name=operations/projects/**}/operations (filter)
//   - POST /v2/{name=operations/**}:cancel: the operation ends with a
//     CANCELLED error (code 1) and the backup being made is deleted
//
// A complete test of code that copies a backup:
//
//	package backups_test
//
//	import (
//		"context"
//		"testing"
//		"time"
//
//		"golang.org/x/oauth2"
//
//		"github.com/backupcopy/backupcopy/bigtable"
//		"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
//		"github.com/backupcopy/backupcopy/lro"
//	)
//
//	func TestNightlyCopy(t *testing.T) {
//		fake := bigtabletest.NewServer()
//		defer fake.Close()
//		fake.SetOperationDuration(50 * time.Millisecond) // default 2 s
//		fake.AddBackup(bigtable.Backup{Name: "projects/p/instances/i/clusters/c1/backups/nightly"})
//		fake.AddCluster("projects/p/instances/i/clusters/c2")
//
//		ctx := context.Background()
//		client, err := bigtable.NewClient(ctx,
//			bigtable.WithEndpoint(fake.URL()),
//			bigtable.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test"})))
//		if err != nil {
//			t.Fatal(err)
//		}
//		defer client.Close()
//
//		op, err := client.CopyBackup(ctx, &bigtable.CopyBackupRequest{
//			Parent:       "projects/p/instances/i/clusters/c2",
//			BackupID:     "nightly-copy",
//			SourceBackup: "projects/p/instances/i/clusters/c1/backups/nightly",
//			ExpireTime:   time.Now().Add(7 * 24 * time.Hour),
//		})
//		if err != nil {
//			t.Fatal(err)
//		}
//		backup, err := op.Wait(ctx, lro.WithPollInterval(10*time.Millisecond, 50*time.Millisecond))
//		if err != nil {
//			t.Fatal(err)
//		}
//		if backup.State != bigtable.BackupReady {
//			t.Errorf("state %s, want READY", backup.State)
//		}
//		if n := fake.CountRequests("CopyBackup"); n != 1 {
//			t.Errorf("%d copy requests, want 1", n)
//		}
//	}
//
// # Seeding and inspecting
//
// [Server.AddBackup] seeds a source backup (READY by default) and declares
// its cluster and table; [Server.AddCluster] declares a copy destination and
// [Server.AddTable] a CreateBackup source. [Server.Backup],
// [Server.Requests] and [Server.CountRequests] show what the code under test
// did.
//
// # Rules and faults
//
// The fake enforces the documented rules: the backup id pattern, the
// expire-time windows (copy 6 h to 30 days, create 6 h to 90 days, from the
// time the request arrives), an existing destination cluster, a READY source
// that is not itself a copy (FAILED_PRECONDITION), ALREADY_EXISTS (HTTP 409)
// for a taken id, NOT_FOUND. Every request must carry
// "Authorization: Bearer <token>" (any non-empty token) unless
// SetAuthRequired(false) was called (or WithoutAuthentication given); otherwise the answer is 401
// UNAUTHENTICATED. Errors have the service's JSON shape
// ({"error": {"code", "message", "status", "details"}}).
//
// # Time
//
// An operation reports progress over time and finishes
// [Server.SetOperationDuration] after it started ([DefaultDuration], 2 s, by
// default; 0 finishes it by the next request); then its backup is READY and
// the operation's name, operations/{backup name}/operations/{n}, stays
// valid for resuming. [Server.SetClock] drives operations and expire-time
// rules without sleeping.
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
package bigtabletest
