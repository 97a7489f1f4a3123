// Package fsx copies Amazon FSx backups between (or within) AWS regions
// through the FSx API (2018-03-01, the awsJson1_1 protocol signed with SigV4),
// and follows each copy until it is AVAILABLE.
//
// A complete program:
//
//	package main
//
//	import (
//		"context"
//		"fmt"
//		"log"
//
//		"github.com/backupcopy/backupcopy/fsx"
//		"github.com/backupcopy/backupcopy/lro"
//	)
//
//	func main() {
//		ctx := context.Background()
//		// The destination region; credentials from the environment or ~/.aws.
//		client, err := fsx.NewClient(ctx, fsx.WithRegion("us-west-2"))
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer client.Close()
//
//		op, err := client.CopyBackup(ctx, &fsx.CopyBackupRequest{
//			SourceBackupID: "backup-0123456789abcdef0",
//			SourceRegion:   "us-east-1",
//			CopyTags:       true,
//			Tags:           []fsx.Tag{{Key: "purpose", Value: "dr"}},
//		})
//		if err != nil {
//			log.Fatal(err)
//		}
//		fmt.Println("copy:", op.Name()) // the new BackupId; resume with client.CopyBackupOperation
//		b, err := op.Wait(ctx, lro.WithProgress(func(p lro.Progress) {
//			fmt.Printf("%d%%\n", p.Percent)
//		}))
//		if err != nil {
//			log.Fatal(err)
//		}
//		fmt.Println(b.BackupID, b.Lifecycle)
//	}
//
// # Calls
//
// Every call is POST / with Content-Type application/x-amz-json-1.1 and
// X-Amz-Target AWSSimbaAPIService_v20180301.{Operation}, signed with SigV4
// (service "fsx", the client's region) over the exact body bytes, afresh on
// every attempt. CopyBackup and DeleteBackup carry a ClientRequestToken that
// is the same on every attempt, so all three calls are retried on connection
// failures, lost answers, 500/502/503/504 and throttling codes; never on
// other client errors such as ServiceLimitExceeded. When FSx refuses a
// signature for its date and its Date header is more than four minutes from
// the local clock, later requests are dated by the server's clock.
//
// # Errors
//
// Requests are validated against the FSx model before any I/O
// (*backupcopy.ValidationError names the field and the rule). API errors are wrapped
// as aws-sdk-go-v2 wraps them, *smithy.OperationError -> *ResponseError ->
// a typed error (inside a *backupcopy.CallError), and every typed error
// satisfies smithy.APIError; other failures (a connection that broke, an
// answer that does not decode) read "fsx: CopyBackup: ...":
//
//	var nf *fsx.BackupNotFound
//	if errors.As(err, &nf) { ... }
//	var ae smithy.APIError
//	if errors.As(err, &ae) { log.Print(ae.ErrorCode()) }
//
// A copy that ends FAILED or DELETED makes Wait return a *CopyFailedError.
//
// Every error can also be read the same way on all four clouds:
// backupcopy.ClassOf(err) says whether to retry later, give up, or check
// first whether the copy started; backupcopy.KindOf(err) says why; and
// errors.As(err, &ce) with ce *backupcopy.CallError gives whether the request
// reached the service, the attempts made, the HTTP status and the request id.
// ExpiredToken answers make the signer retrieve its credentials again and the
// call is sent once more; any other refusal of the credentials or signature,
// or a credentials provider that fails, ends the call with Kind
// PermissionDenied, and a Wait stops at the first such poll.
//
// # Testing
//
// Package fsxtest is an in-process fake of these three operations that
// checks SigV4 signatures; point the client at it with WithEndpoint.
//
// Importing this package links no gRPC, protobuf, OpenTelemetry, Google or
// Huawei code.
package fsx
