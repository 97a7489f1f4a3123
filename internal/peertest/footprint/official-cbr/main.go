// Command official-cbr replicates a Huawei CBR backup with
// huaweicloud-sdk-go-v3 (AK/SK).
package main

import (
	"fmt"
	"os"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	cbr "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/region"
)

func main() {
	cred, err := basic.NewCredentialsBuilder().WithAk(os.Getenv("HUAWEICLOUD_SDK_AK")).WithSk(os.Getenv("HUAWEICLOUD_SDK_SK")).
		WithProjectId(os.Getenv("HUAWEICLOUD_PROJECT_ID")).SafeBuild()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	reg, err := region.SafeValueOf("cn-north-4")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hc, err := cbr.CbrClientBuilder().WithRegion(reg).WithCredential(cred).SafeBuild()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	resp, err := cbr.NewCbrClient(hc).CopyBackup(&model.CopyBackupRequest{
		BackupId: "6df2b54c-dd62-4059-a07c-1b8f24f2725d",
		Body: &model.BackupReplicateReq{Replicate: &model.BackupReplicateReqBody{
			DestinationProjectId: "dest-proj", DestinationRegion: "cn-east-3", DestinationVaultId: "3b5816b5-f29c-4172-9d9a-76c719a659ce",
		}},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(resp.String())
}
