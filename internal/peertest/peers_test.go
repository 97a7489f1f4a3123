package peertest

// This file pins the peer SDK packages the differential tests use, so that
// go.sum stays complete whichever test files exist.
import (
	_ "github.com/aws/aws-sdk-go-v2/aws"
	_ "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	_ "github.com/aws/aws-sdk-go-v2/credentials"
	_ "github.com/aws/aws-sdk-go-v2/service/fsx"
	_ "github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	_ "github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	_ "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1"
	_ "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"
	_ "google.golang.org/api/bigtableadmin/v2"
	_ "google.golang.org/api/option"
	_ "google.golang.org/api/spanner/v1"
)
