// Package cbr replicates Huawei Cloud CBR (Cloud Backup and Recovery) backups
// to another region through the CBR v3 REST API
// (https://cbr.{region}.myhuaweicloud.com), and follows each replication to
// its end. Its main call is "replicate a backup",
// POST /v3/{project_id}/backups/{backup_id}/replicate, which copies a backup
// into a replication vault of another region.
//
// A complete program:
//
//	package main
//
//	import (
//		"context"
//		"errors"
//		"fmt"
//		"log"
//		"time"
//
//		"github.com/backupcopy/backupcopy/cbr"
//		"github.com/backupcopy/backupcopy/lro"
//	)
//
//	func main() {
//		ctx := context.Background()
//		// AK/SK from HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, the project
//		// from HUAWEICLOUD_SDK_PROJECT_ID; WithAKSK, WithToken, WithProjectID
//		// set them explicitly.
//		client, err := cbr.NewClient(ctx, cbr.WithRegion("cn-north-4"), cbr.WithUserAgent("nightly-dr/1.0"))
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer client.Close()
//
//		op, err := client.CopyBackup(ctx, &cbr.CopyBackupRequest{
//			BackupID:             "6df2b54c-dd62-4059-a07c-1b8f24f2725d",
//			DestinationProjectID: "5c9d2a41e0b7f3864a1e7d0c2b9f6a35",
//			DestinationRegion:    "cn-east-3",
//			DestinationVaultID:   "a9d2e0a4-2dc7-4ef1-84f9-5c4e0d2cb3f1",
//			Name:                 "web-01-dr",
//		})
//		var ce *cbr.Error
//		switch {
//		case errors.Is(err, cbr.ErrAlreadyReplicated):
//			log.Fatal("this backup is already replicated to cn-east-3")
//		case errors.As(err, &ce):
//			log.Fatalf("replicate refused: HTTP %d %s: %s (request id %s)", ce.StatusCode, ce.Code, ce.Message, ce.RequestID)
//		case err != nil:
//			log.Fatal(err)
//		}
//		// op.Name() is an opaque token: store it to resume with
//		// client.CopyBackupOperation(name), in this process or another.
//		fmt.Println("replication:", op.Name())
//
//		rec, err := op.Wait(ctx,
//			lro.WithPollInterval(10*time.Second, time.Minute),
//			lro.WithProgress(func(p lro.Progress) { fmt.Printf("replicated %d%%\n", p.Percent) }))
//		if err != nil {
//			log.Fatal(err) // a *cbr.ReplicationError if the replication failed
//		}
//		fmt.Println("replica:", rec.DestinationBackupID)
//	}
//
// # Client and options
//
// [NewClient] makes no request. It signs every request with AK/SK
// (SDK-HMAC-SHA256) from [WithAKSK], else from HUAWEICLOUD_SDK_AK and
// HUAWEICLOUD_SDK_SK (with HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary
// keys); [WithToken] sends a fixed IAM token instead, and [WithAuthenticator]
// takes any auth.Authenticator, such as an auth.HuaweiIAMTokenSource, which is
// refreshed once when the gateway says the token must be updated. The project
// comes from [WithProjectID], else HUAWEICLOUD_SDK_PROJECT_ID; the region from
// [WithRegion], which also picks the endpoint. [WithEndpoint] takes
// scheme://host[:port] and the client adds /v3/{project_id}/... itself
// (http:// only for loopback hosts: fakes, tests). [WithHTTPClient] supplies
// the base HTTP client: every request is still authenticated from the
// client's own options, and no credential follows a redirect to another host.
// [WithUserAgent] appends to the User-Agent, and [WithLogger] logs each
// attempt and retry, never a credential. A Client is safe for concurrent use;
// after [Client.Close] its calls fail with [ErrClosed], while operation
// handles made earlier keep working.
//
// # Copying, resuming and waiting
//
// [Client.CopyBackup] checks the request, sends it and returns a
// [CopyBackupOperation] at once; nothing blocks until Wait.
// [CopyBackupOperation.Replication] is the replicate call's answer. The
// operation follows the replication record that the call created on the
// source backup (GET /v3/{project_id}/backups/{backup_id}) until it succeeds
// or fails. Its Name is an opaque, stable token (it encodes the project,
// backup and record ids): keep it, and [Client.CopyBackupOperation] turns it
// back into a handle, in this process or another. Wait polls with jittered
// exponential backoff from [DefaultPollInitial] (2 s) up to [DefaultPollMax]
// (30 s); lro.WithPollInterval changes the schedule for one Wait, and
// lro.WithProgress reports the record's extra_info.progress. Poll makes a
// single round trip; Wait and Poll return the finished *[ReplicationRecord],
// whose DestinationBackupID is the replica. [Client.GetBackup] reads a backup
// with its replication records, and [Client.ListReplicationCapabilities] and
// [Client.CheckReplicationDestination] (or [WithRegionCheck]) tell which
// regions a backup may be replicated to.
//
// # Errors
//
// Requests are checked against the documented rules before anything is sent:
// a broken rule is a *backupcopy.ValidationError naming the field and the rule. API
// failures are *[Error] values with the HTTP status, the service's code (for
// example "BackupService.1009" or "APIGW.0301"), its message and the request
// id to quote to support. errors.Is matches them against this package's
// sentinels: [ErrAlreadyReplicated], [ErrReplicaLimit], [ErrRegionNotSupported],
// [ErrNotReplicable], [ErrVaultNotFound], [ErrAuthFailed], [ErrThrottled] and
// [ErrNotFound]; the Code... constants name the codes. A replication that
// ends in status fail or skip makes Wait return a *[ReplicationError] with
// the record's fail code and reason.
//
// Every error can also be read the same way on all four clouds:
// backupcopy.ClassOf(err) says whether to retry later, give up, or check
// first whether the copy started; backupcopy.KindOf(err) says why; and
// errors.As(err, &ce) with ce *backupcopy.CallError gives whether the request
// reached the service, the attempts made, the HTTP status and the request id.
// A 401 saying the IAM token must be updated invalidates an auth.Invalidator
// (such as auth.HuaweiIAMTokenSource) and the call is sent once more; any
// other refusal ends the call with Kind PermissionDenied at once (the gateway
// locks an access key for five minutes after five failures), and a Wait
// stops at the first such poll.
//
// # Retries and idempotency
//
// Reads and polls are retried on transient failures (connection errors, 429,
// 500, 502, 503, 504, APIGW.0308 throttling), up to 4 attempts with jittered
// backoff; a 401 saying the IAM token must be updated renews the token once
// (with an auth.HuaweiIAMTokenSource), and one for a signature outside the
// gateway's clock window re-signs by the gateway's clock. The replicate call has no idempotency token, so CopyBackup never
// resends it blindly: only when the request certainly did not reach CBR (no
// connection), or was refused at the gateway (throttled, expired token, clock
// skew). When an attempt may have been acted on (its answer was lost, a 5xx,
// an unreadable 200), CopyBackup reads the source backup's replication
// records: a record to the same destination region and vault dated after the
// call began is returned as this call's replication; if there is none, the
// request is sent once more. If that cannot be settled, the error is an
// *[OutcomeUnknownError]: check the backup's records before trying again.
//
// # Testing
//
// Package [github.com/backupcopy/backupcopy/cbr/cbrtest] is an in-process fake
// of these endpoints that verifies AK/SK signatures and enforces the
// replicate rules; point the client at it with WithEndpoint(srv.URL()).
//
// # Dependencies
//
// Importing this package links no gRPC, protobuf, OpenTelemetry, AWS or
// Google code: only the standard library and this module's auth and lro.
package cbr
