// Package peertest holds the tests that compare backupcopy with the official SDKs
// (aws-sdk-go-v2, google.golang.org/api, huaweicloud-sdk-go-v3). It is a separate
// module so that users of backupcopy never download those SDKs.
package peertest
