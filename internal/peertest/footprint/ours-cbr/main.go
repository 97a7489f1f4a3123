// Command ours-cbr replicates a Huawei CBR backup with this module (AK/SK).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/backupcopy/backupcopy/cbr"
)

func main() {
	ctx := context.Background()
	c, err := cbr.NewClient(ctx, cbr.WithRegion("cn-north-4"), cbr.WithProjectID(os.Getenv("HUAWEICLOUD_PROJECT_ID")),
		cbr.WithAKSK(os.Getenv("HUAWEICLOUD_SDK_AK"), os.Getenv("HUAWEICLOUD_SDK_SK")))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer c.Close()
	op, err := c.CopyBackup(ctx, &cbr.CopyBackupRequest{
		BackupID: "6df2b54c-dd62-4059-a07c-1b8f24f2725d", DestinationProjectID: "dest-proj",
		DestinationRegion: "cn-east-3", DestinationVaultID: "3b5816b5-f29c-4172-9d9a-76c719a659ce",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(op.Name())
}
