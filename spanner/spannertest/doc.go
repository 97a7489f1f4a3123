// Package spannertest is an in-process fake of the Cloud Spanner backup API
// (Spanner Database Admin v1, REST/JSON), for tests and offline examples. It
// speaks the real wire protocol, so both this module's spanner client and
// google.golang.org/api/spanner/v1 work against it:
//
//   - POST /v1/{parent=projects/*/instances/*}/backups:copy
//   - POST /v1/{parent=projects/*/instances/*}/backups?backupId= (with the encryptionConfig.* query parameters)
//   - GET /v1/{parent}/backups (pageToken, pageSize)
//   - GET and DELETE /v1/{name=projects/*/instances/*/backups/*}
//   - GET /v1/{name=projects/*/instances/*/backups/*/operations/*} and POST .../operations/*:cancel
//   - GET /v1/{parent=projects/*/instances/*}/backupOperations (filter)
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
//		"github.com/backupcopy/backupcopy/lro"
//		"github.com/backupcopy/backupcopy/spanner"
//		"github.com/backupcopy/backupcopy/spanner/spannertest"
//	)
//
//	func TestNightlyCopy(t *testing.T) {
//		srv := spannertest.NewServer(spannertest.WithOperationDuration(50 * time.Millisecond)) // default 2 s
//		defer srv.Close()
//		srv.AddBackup(spanner.Backup{
//			Name:     "projects/p/instances/prod/backups/nightly",
//			Database: "projects/p/instances/prod/databases/orders",
//		})
//		srv.AddInstance("projects/p/instances/dr")
//
//		ctx := context.Background()
//		client, err := spanner.NewClient(ctx,
//			spanner.WithEndpoint(srv.URL()),
//			spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test"})))
//		if err != nil {
//			t.Fatal(err)
//		}
//		defer client.Close()
//
//		op, err := client.CopyBackup(ctx, &spanner.CopyBackupRequest{
//			Parent:       "projects/p/instances/dr",
//			BackupID:     "nightly-dr",
//			SourceBackup: "projects/p/instances/prod/backups/nightly",
//			ExpireTime:   time.Now().Add(7 * 24 * time.Hour),
//		})
//		if err != nil {
//			t.Fatal(err)
//		}
//		backup, err := op.Wait(ctx, lro.WithPollInterval(10*time.Millisecond, 50*time.Millisecond))
//		if err != nil {
//			t.Fatal(err)
//		}
//		if backup.State != spanner.BackupReady {
//			t.Errorf("state %s, want READY", backup.State)
//		}
//		if n := srv.CountRequests("CopyBackup"); n != 1 {
//			t.Errorf("%d copy requests, want 1", n)
//		}
//	}
//
// # Seeding and inspecting
//
// [Server.AddBackup] seeds a backup (READY by default) and its instance;
// [Server.AddInstance] declares a copy destination and [Server.AddDatabase]
// a CreateBackup source. [Server.Backup], [Server.Requests] and
// [Server.CountRequests] show what the code under test did.
//
// # Rules and faults
//
// The fake enforces the documented rules: backup id and expire-time windows,
// version time in the past and within the retention period, encryption
// options, ALREADY_EXISTS (HTTP 409) for a taken id, NOT_FOUND for unknown
// resources, a READY source for a copy, one pending backup creation per
// database (FAILED_PRECONDITION), and no deletion of a backup that is being
// created or copied from. Requests need an "Authorization: Bearer" header
// unless the server is built WithoutAuthentication (or SetAuthRequired(false)
// is called); WithToken accepts one token only. Errors have the
// service's JSON shape ({"error": {"code", "message", "status", "details"}}).
//
// # Time
//
// Operations finish [DefaultDuration] (2 s) after they start, reporting
// progress in between; [WithOperationDuration] and
// [Server.SetOperationDuration] change that, and [Server.SetClock] drives
// operations without sleeping. Cancelling an operation ends it with a
// CANCELLED error and deletes the backup.
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
package spannertest
