// Command official-google copies a Bigtable and a Spanner backup with
// google.golang.org/api's generated REST clients (default authentication).
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	bigtableadmin "google.golang.org/api/bigtableadmin/v2"
	spanner "google.golang.org/api/spanner/v1"
)

func main() {
	ctx := context.Background()
	if err := copyBigtable(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	if err := copySpanner(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

func copyBigtable(ctx context.Context) error {
	svc, err := bigtableadmin.NewService(ctx)
	if err != nil {
		return err
	}
	op, err := svc.Projects.Instances.Clusters.Backups.Copy("projects/p/instances/i/clusters/c2", &bigtableadmin.CopyBackupRequest{
		BackupId: "copy", SourceBackup: "projects/p/instances/i/clusters/c1/backups/src",
		ExpireTime: time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339),
	}).Context(ctx).Do()
	if err != nil {
		return err
	}
	fmt.Println(op.Name)
	return nil
}

func copySpanner(ctx context.Context) error {
	svc, err := spanner.NewService(ctx)
	if err != nil {
		return err
	}
	op, err := svc.Projects.Instances.Backups.Copy("projects/p/instances/dr", &spanner.CopyBackupRequest{
		BackupId: "copy", SourceBackup: "projects/p/instances/prod/backups/src",
		ExpireTime: time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339),
	}).Context(ctx).Do()
	if err != nil {
		return err
	}
	fmt.Println(op.Name)
	return nil
}
