// Command official-all copies a backup on all four clouds with the official
// SDKs: google.golang.org/api (bigtableadmin/v2, spanner/v1),
// huaweicloud-sdk-go-v3 (cbr/v1) and aws-sdk-go-v2 (fsx).
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/fsx"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	cbr "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1"
	cbrmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"
	cbrregion "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/region"
	bigtableadmin "google.golang.org/api/bigtableadmin/v2"
	spanner "google.golang.org/api/spanner/v1"
)

func main() {
	ctx := context.Background()
	for _, f := range []func(context.Context) (string, error){copyBigtable, copySpanner, copyCBR, copyFSx} {
		name, err := f(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		fmt.Println(name)
	}
}

func copyBigtable(ctx context.Context) (string, error) {
	svc, err := bigtableadmin.NewService(ctx)
	if err != nil {
		return "", err
	}
	op, err := svc.Projects.Instances.Clusters.Backups.Copy("projects/p/instances/i/clusters/c2", &bigtableadmin.CopyBackupRequest{
		BackupId: "copy", SourceBackup: "projects/p/instances/i/clusters/c1/backups/src",
		ExpireTime: time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339),
	}).Context(ctx).Do()
	if err != nil {
		return "", err
	}
	return op.Name, nil
}

func copySpanner(ctx context.Context) (string, error) {
	svc, err := spanner.NewService(ctx)
	if err != nil {
		return "", err
	}
	op, err := svc.Projects.Instances.Backups.Copy("projects/p/instances/dr", &spanner.CopyBackupRequest{
		BackupId: "copy", SourceBackup: "projects/p/instances/prod/backups/src",
		ExpireTime: time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339),
	}).Context(ctx).Do()
	if err != nil {
		return "", err
	}
	return op.Name, nil
}

func copyCBR(context.Context) (string, error) {
	cred, err := basic.NewCredentialsBuilder().WithAk(os.Getenv("HUAWEICLOUD_SDK_AK")).WithSk(os.Getenv("HUAWEICLOUD_SDK_SK")).
		WithProjectId(os.Getenv("HUAWEICLOUD_PROJECT_ID")).SafeBuild()
	if err != nil {
		return "", err
	}
	reg, err := cbrregion.SafeValueOf("cn-north-4")
	if err != nil {
		return "", err
	}
	hc, err := cbr.CbrClientBuilder().WithRegion(reg).WithCredential(cred).SafeBuild()
	if err != nil {
		return "", err
	}
	resp, err := cbr.NewCbrClient(hc).CopyBackup(&cbrmodel.CopyBackupRequest{
		BackupId: "6df2b54c-dd62-4059-a07c-1b8f24f2725d",
		Body: &cbrmodel.BackupReplicateReq{Replicate: &cbrmodel.BackupReplicateReqBody{
			DestinationProjectId: "dest-proj", DestinationRegion: "cn-east-3", DestinationVaultId: "3b5816b5-f29c-4172-9d9a-76c719a659ce",
		}},
	})
	if err != nil {
		return "", err
	}
	return resp.String(), nil
}

func copyFSx(ctx context.Context) (string, error) {
	c := fsx.New(fsx.Options{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
	})
	out, err := c.CopyBackup(ctx, &fsx.CopyBackupInput{
		SourceBackupId: aws.String("backup-0123456789abcdef0"), SourceRegion: aws.String("us-west-2"),
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Backup.BackupId), nil
}
