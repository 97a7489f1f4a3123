// Command official-fsx copies an FSx backup with aws-sdk-go-v2 (static
// credentials from the environment: aws-sdk-go-v2/config is not linked, which
// favours the SDK).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/fsx"
)

func main() {
	c := fsx.New(fsx.Options{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
	})
	out, err := c.CopyBackup(context.Background(), &fsx.CopyBackupInput{
		SourceBackupId: aws.String("backup-0123456789abcdef0"), SourceRegion: aws.String("us-west-2"),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(aws.ToString(out.Backup.BackupId))
}
