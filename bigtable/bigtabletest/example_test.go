package bigtabletest_test

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/lro"
)

// A test seeds the fake with a source backup and a destination cluster,
// points the client at it with WithEndpoint, runs the code under test and
// then inspects what the fake holds.
func ExampleNewServer() {
	fake := bigtabletest.NewServer()
	defer fake.Close()
	fake.SetOperationDuration(50 * time.Millisecond) // default 2 s
	fake.AddBackup(bigtable.Backup{
		Name:        "projects/p/instances/i/clusters/c1/backups/nightly",
		SourceTable: "projects/p/instances/i/tables/orders",
		SizeBytes:   4096,
	})
	fake.AddCluster("projects/p/instances/i/clusters/c2")

	ctx := context.Background()
	client, err := bigtable.NewClient(ctx,
		bigtable.WithEndpoint(fake.URL()),
		bigtable.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test"})))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	// The code under test.
	op, err := client.CopyBackup(ctx, &bigtable.CopyBackupRequest{
		Parent:       "projects/p/instances/i/clusters/c2",
		BackupID:     "nightly-copy",
		SourceBackup: "projects/p/instances/i/clusters/c1/backups/nightly",
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
	b, ok := fake.Backup("projects/p/instances/i/clusters/c2/backups/nightly-copy")
	fmt.Println(ok, b.State, b.SizeBytes, b.SourceBackup)
	fmt.Println("copy calls:", fake.CountRequests("CopyBackup"))
	// Output:
	// true READY 4096 projects/p/instances/i/clusters/c1/backups/nightly
	// copy calls: 1
}

// The fake refuses what the service refuses, with the service's codes: a
// copy of a backup that is itself a copy, a taken backup id, a request
// without a bearer token.
func Example_rules() {
	fake := bigtabletest.NewServer()
	defer fake.Close()
	fake.AddBackup(bigtable.Backup{Name: "projects/p/instances/i/clusters/c1/backups/nightly"})
	fake.AddBackup(bigtable.Backup{
		Name:         "projects/p/instances/i/clusters/c2/backups/nightly-copy",
		SourceBackup: "projects/p/instances/i/clusters/c1/backups/nightly",
	})
	fake.AddCluster("projects/p/instances/i/clusters/c3")

	ctx := context.Background()
	client, err := bigtable.NewClient(ctx,
		bigtable.WithEndpoint(fake.URL()),
		bigtable.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test"})))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	copyTo := func(c *bigtable.Client, cluster, id, source string) error {
		_, err := c.CopyBackup(ctx, &bigtable.CopyBackupRequest{
			Parent:       "projects/p/instances/i/clusters/" + cluster,
			BackupID:     id,
			SourceBackup: "projects/p/instances/i/clusters/" + source,
			ExpireTime:   time.Now().Add(24 * time.Hour),
		})
		return err
	}

	err = copyTo(client, "c3", "second-copy", "c2/backups/nightly-copy")
	fmt.Println("copy of a copy:", status.Code(err))
	err = copyTo(client, "c2", "nightly-copy", "c1/backups/nightly")
	fmt.Println("taken id:", status.Code(err))

	anonymous, err := bigtable.NewClient(ctx, bigtable.WithEndpoint(fake.URL()), bigtable.WithoutAuthentication())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer anonymous.Close()
	err = copyTo(anonymous, "c3", "third-copy", "c1/backups/nightly")
	fmt.Println("no token:", status.Code(err))
	// Output:
	// copy of a copy: FailedPrecondition
	// taken id: AlreadyExists
	// no token: Unauthenticated
}

// InjectFault tests what the code under test does when the service fails.
// Here the copy's answer is lost after the fake made the copy: the client
// sends it again, is told ALREADY_EXISTS, recognises its own earlier attempt
// and returns that attempt's operation, so exactly one copy is made.
func ExampleServer_InjectFault() {
	fake := bigtabletest.NewServer(bigtabletest.WithOperationDuration(0), bigtabletest.WithoutAuthentication())
	defer fake.Close()
	fake.AddBackup(bigtable.Backup{Name: "projects/p/instances/i/clusters/c1/backups/nightly"})
	fake.AddCluster("projects/p/instances/i/clusters/c2")
	if err := fake.InjectFault(bigtabletest.Fault{Operation: "CopyBackup", Kind: bigtabletest.LoseResponse}); err != nil {
		fmt.Println(err)
		return
	}

	ctx := context.Background()
	client, err := bigtable.NewClient(ctx, bigtable.WithEndpoint(fake.URL()), bigtable.WithoutAuthentication())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	op, err := client.CopyBackup(ctx, &bigtable.CopyBackupRequest{
		Parent:       "projects/p/instances/i/clusters/c2",
		BackupID:     "nightly-copy",
		SourceBackup: "projects/p/instances/i/clusters/c1/backups/nightly",
		ExpireTime:   time.Now().Add(7 * 24 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := op.Wait(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Name, b.State)
	fmt.Println("copy calls:", fake.CountRequests("CopyBackup"))
	// Output:
	// projects/p/instances/i/clusters/c2/backups/nightly-copy READY
	// copy calls: 2
}
