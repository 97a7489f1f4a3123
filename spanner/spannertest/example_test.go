package spannertest_test

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

// A test seeds the fake with a source backup and a destination instance,
// points the client at it with WithEndpoint, runs the code under test and
// then inspects what the fake holds.
func ExampleNewServer() {
	srv := spannertest.NewServer(spannertest.WithOperationDuration(50 * time.Millisecond)) // default 2 s
	defer srv.Close()
	srv.AddBackup(spanner.Backup{
		Name:      "projects/p/instances/prod/backups/nightly",
		Database:  "projects/p/instances/prod/databases/orders",
		SizeBytes: 4096,
	})
	srv.AddInstance("projects/p/instances/dr")

	ctx := context.Background()
	client, err := spanner.NewClient(ctx,
		spanner.WithEndpoint(srv.URL()),
		spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test"})))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	// The code under test.
	op, err := client.CopyBackup(ctx, &spanner.CopyBackupRequest{
		Parent:       "projects/p/instances/dr",
		BackupID:     "nightly-dr",
		SourceBackup: "projects/p/instances/prod/backups/nightly",
		ExpireTime:   time.Now().Add(7 * 24 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := op.Wait(ctx, lro.WithPollInterval(10*time.Millisecond, 20*time.Millisecond)); err != nil {
		fmt.Println(err)
		return
	}

	// What the fake saw and holds.
	b, ok := srv.Backup("projects/p/instances/dr/backups/nightly-dr")
	fmt.Println(ok, b.State, b.SizeBytes, b.Database)
	fmt.Println("copy calls:", srv.CountRequests("CopyBackup"))
	// Output:
	// true READY 4096 projects/p/instances/prod/databases/orders
	// copy calls: 1
}

// InjectFault tests what the code under test does when the network fails.
// Here the copy's answer is lost after the fake made the copy: the client
// retries, is told ALREADY_EXISTS, recognises its own earlier attempt and
// returns that attempt's operation, so exactly one copy is made.
func ExampleServer_InjectFault() {
	srv := spannertest.NewServer(spannertest.WithOperationDuration(0))
	defer srv.Close()
	srv.AddBackup(spanner.Backup{
		Name:     "projects/p/instances/prod/backups/nightly",
		Database: "projects/p/instances/prod/databases/orders",
	})
	srv.AddInstance("projects/p/instances/dr")
	srv.InjectFault(spannertest.Fault{Operation: "CopyBackup", Kind: spannertest.ServerError, AfterProcessing: true})

	ctx := context.Background()
	client, err := spanner.NewClient(ctx,
		spanner.WithEndpoint(srv.URL()),
		spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test"})))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	req := &spanner.CopyBackupRequest{
		Parent:       "projects/p/instances/dr",
		BackupID:     "nightly-dr",
		SourceBackup: "projects/p/instances/prod/backups/nightly",
		ExpireTime:   time.Now().Add(7 * 24 * time.Hour),
	}
	op, err := client.CopyBackup(ctx, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("operation:", op.Name())
	fmt.Println("copy calls:", srv.CountRequests("CopyBackup"))

	// Sending the request again, with no answer lost, is a plain conflict:
	// recovery applies only to the call whose own attempt was lost.
	_, err = client.CopyBackup(ctx, req)
	fmt.Println("again:", status.Code(err))
	// Output:
	// operation: projects/p/instances/dr/backups/nightly-dr/operations/_auto_op_0000005a17e00001
	// copy calls: 2
	// again: AlreadyExists
}
