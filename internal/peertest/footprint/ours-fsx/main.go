// Command ours-fsx copies an FSx backup with this module (default
// credentials chain).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/backupcopy/backupcopy/fsx"
)

func main() {
	ctx := context.Background()
	c, err := fsx.NewClient(ctx, fsx.WithRegion("us-east-1"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer c.Close()
	op, err := c.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: "backup-0123456789abcdef0", SourceRegion: "us-west-2"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(op.Name())
}
