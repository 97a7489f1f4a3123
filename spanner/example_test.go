package spanner_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/lro"
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

// newExampleClient returns a client pointed at the fake, as a test would
// build one.
func newExampleClient(ctx context.Context, srv *spannertest.Server) (*spanner.Client, error) {
	return spanner.NewClient(ctx,
		spanner.WithEndpoint(srv.URL()),
		spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "example"})))
}

// Copy a backup into another instance and follow the copy to the end.
func ExampleClient_CopyBackup() {
	srv := spannertest.NewServer(spannertest.WithOperationDuration(100 * time.Millisecond))
	defer srv.Close()
	srv.AddBackup(spanner.Backup{
		Name:     "projects/demo/instances/prod/backups/orders-nightly",
		Database: "projects/demo/instances/prod/databases/orders",
	})
	srv.AddInstance("projects/demo/instances/dr")

	ctx := context.Background()
	client, err := newExampleClient(ctx, srv)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	op, err := client.CopyBackup(ctx, &spanner.CopyBackupRequest{
		Parent:       "projects/demo/instances/dr",
		BackupID:     "orders-nightly-dr",
		SourceBackup: "projects/demo/instances/prod/backups/orders-nightly",
		ExpireTime:   time.Now().Add(30 * 24 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("operation:", op.Name())
	fmt.Println("copying into", op.Metadata().Name)
	backup, err := op.Wait(ctx,
		lro.WithPollInterval(20*time.Millisecond, 50*time.Millisecond),
		lro.WithProgress(func(p lro.Progress) {
			if p.Done {
				fmt.Printf("done: %d%%\n", p.Percent)
			}
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(backup.Name, backup.State)
	fmt.Println("copy of", backup.SourceBackup)
	// Output:
	// operation: projects/demo/instances/dr/backups/orders-nightly-dr/operations/_auto_op_0000005a17e00001
	// copying into projects/demo/instances/dr/backups/orders-nightly-dr
	// done: 100%
	// projects/demo/instances/dr/backups/orders-nightly-dr READY
	// copy of projects/demo/instances/prod/backups/orders-nightly
}

// Resume a backup creation by its name in a fresh client, as a job restarted
// after a crash would: one client starts it and saves op.Name(); another,
// which knows nothing else, waits for it.
func ExampleClient_CreateBackupOperation() {
	srv := spannertest.NewServer(spannertest.WithOperationDuration(100 * time.Millisecond))
	defer srv.Close()
	srv.AddDatabase("projects/demo/instances/prod/databases/orders")
	ctx := context.Background()

	// First process: start the backup and keep its name.
	first, err := newExampleClient(ctx, srv)
	if err != nil {
		fmt.Println(err)
		return
	}
	op, err := first.CreateBackup(ctx, &spanner.CreateBackupRequest{
		Parent:     "projects/demo/instances/prod",
		BackupID:   "orders-nightly",
		Database:   "projects/demo/instances/prod/databases/orders",
		ExpireTime: time.Now().Add(7 * 24 * time.Hour),
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
	resumed := second.CreateBackupOperation(saved)
	fmt.Println("resuming", resumed.Name())
	fmt.Println("known before polling:", resumed.Done(), resumed.Progress().Percent)
	backup, err := resumed.Wait(ctx, lro.WithPollInterval(20*time.Millisecond, 50*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(backup.Name, backup.State, "of", backup.Database)
	// Output:
	// resuming projects/demo/instances/prod/backups/orders-nightly/operations/_auto_op_0000005a17e00001
	// known before polling: false -1
	// projects/demo/instances/prod/backups/orders-nightly READY of projects/demo/instances/prod/databases/orders
}

// Resume a copy by its name in a fresh client, as a job restarted after a
// crash would: one client starts the copy and saves op.Name(); another, which
// knows nothing else, waits for it.
func ExampleClient_CopyBackupOperation() {
	srv := spannertest.NewServer(spannertest.WithOperationDuration(100 * time.Millisecond))
	defer srv.Close()
	srv.AddDatabase("projects/demo/instances/prod/databases/orders")
	srv.AddBackup(spanner.Backup{Name: "projects/demo/instances/prod/backups/orders-nightly", Database: "projects/demo/instances/prod/databases/orders"})
	srv.AddInstance("projects/demo/instances/dr")
	ctx := context.Background()

	// First process: start the copy and keep its name.
	first, err := newExampleClient(ctx, srv)
	if err != nil {
		fmt.Println(err)
		return
	}
	op, err := first.CopyBackup(ctx, &spanner.CopyBackupRequest{
		Parent:       "projects/demo/instances/dr",
		BackupID:     "orders-nightly-dr",
		SourceBackup: "projects/demo/instances/prod/backups/orders-nightly",
		ExpireTime:   time.Now().Add(7 * 24 * time.Hour),
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
	fmt.Println("resuming", resumed.Name())
	fmt.Println("known before polling:", resumed.Done(), resumed.Progress().Percent)
	backup, err := resumed.Wait(ctx,
		lro.WithPollInterval(20*time.Millisecond, 50*time.Millisecond),
		lro.WithProgress(func(p lro.Progress) {
			if p.Done {
				fmt.Printf("done: %d%%\n", p.Percent)
			}
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(backup.Name, backup.State, "from", backup.SourceBackup)
	// Output:
	// resuming projects/demo/instances/dr/backups/orders-nightly-dr/operations/_auto_op_0000005a17e00001
	// known before polling: false -1
	// done: 100%
	// projects/demo/instances/dr/backups/orders-nightly-dr READY from projects/demo/instances/prod/backups/orders-nightly
}

// Cancel a running backup creation: the operation then ends with a
// CANCELLED error, and the service deletes the partial backup.
func ExampleCreateBackupOperation_Cancel() {
	srv := spannertest.NewServer(spannertest.WithOperationDuration(time.Hour))
	defer srv.Close()
	srv.AddDatabase("projects/demo/instances/prod/databases/orders")
	ctx := context.Background()
	client, err := newExampleClient(ctx, srv)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	op, err := client.CreateBackup(ctx, &spanner.CreateBackupRequest{
		Parent:     "projects/demo/instances/prod",
		BackupID:   "orders-adhoc",
		Database:   "projects/demo/instances/prod/databases/orders",
		ExpireTime: time.Now().Add(7 * 24 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := op.Cancel(ctx); err != nil {
		fmt.Println(err)
		return
	}
	_, err = op.Wait(ctx, lro.WithPollInterval(10*time.Millisecond, 20*time.Millisecond))
	fmt.Println("wait:", status.Code(err))
	_, err = client.GetBackup(ctx, "projects/demo/instances/prod/backups/orders-adhoc")
	fmt.Println("backup:", status.Code(err))
	// Output:
	// wait: Canceled
	// backup: NotFound
}

// The three kinds of failure a caller tells apart: a request that breaks a
// documented rule is refused before anything is sent (*backupcopy.ValidationError); an
// API error carries its canonical code (status.Code) and gax-go's view
// (*apierror.APIError); a transient failure is retried for you.
func ExampleClient_CopyBackup_errors() {
	srv := spannertest.NewServer(spannertest.WithOperationDuration(0))
	defer srv.Close()
	srv.AddInstance("projects/demo/instances/dr")
	ctx := context.Background()
	client, err := newExampleClient(ctx, srv)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	req := &spanner.CopyBackupRequest{
		Parent:       "projects/demo/instances/dr",
		BackupID:     "2026-nightly", // must start with a letter
		SourceBackup: "projects/demo/instances/prod/backups/orders-nightly",
		ExpireTime:   time.Now().Add(30 * 24 * time.Hour),
	}

	_, err = client.CopyBackup(ctx, req)
	var ve *backupcopy.ValidationError
	if errors.As(err, &ve) {
		fmt.Println("invalid:", ve.Field)
	}

	req.BackupID = "nightly-2026"
	_, err = client.CopyBackup(ctx, req) // the source does not exist
	var ae *apierror.APIError
	if errors.As(err, &ae) {
		fmt.Println("api error:", status.Code(err), "HTTP", ae.HTTPCode())
	}

	// An UNAVAILABLE answer, then success: the caller sees only the success.
	srv.AddBackup(spanner.Backup{
		Name:     "projects/demo/instances/prod/backups/orders-nightly",
		Database: "projects/demo/instances/prod/databases/orders",
	})
	srv.InjectFault(spannertest.Fault{Operation: "CopyBackup", Kind: spannertest.ServerError})
	before := srv.CountRequests("CopyBackup")
	op, err := client.CopyBackup(ctx, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("started:", op.Metadata().Name, "after", srv.CountRequests("CopyBackup")-before, "attempts")
	// Output:
	// invalid: CopyBackupRequest.BackupID
	// api error: NotFound HTTP 404
	// started: projects/demo/instances/dr/backups/nightly-2026 after 2 attempts
}
