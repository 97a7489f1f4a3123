// Package bigtable copies and manages Cloud Bigtable backups through the
// Bigtable Admin API v2 over REST (https://bigtableadmin.googleapis.com). Its
// main call is backups.copy,
// POST /v2/{parent=projects/*/instances/*/clusters/*}/backups:copy, which
// copies a READY backup into another cluster, instance or project.
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
//		"github.com/googleapis/gax-go/v2/apierror"
//		"google.golang.org/grpc/codes"
//		"google.golang.org/grpc/status"
//
//		"github.com/backupcopy/backupcopy/bigtable"
//		"github.com/backupcopy/backupcopy/lro"
//	)
//
//	func main() {
//		ctx := context.Background()
//		// Application Default Credentials; WithTokenSource picks others.
//		client, err := bigtable.NewClient(ctx, bigtable.WithUserAgent("nightly-dr/1.0"))
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer client.Close()
//
//		op, err := client.CopyBackup(ctx, &bigtable.CopyBackupRequest{
//			Parent:       "projects/my-project/instances/prod/clusters/prod-c2",
//			BackupID:     "nightly-copy",
//			SourceBackup: "projects/my-project/instances/prod/clusters/prod-c1/backups/nightly",
//			ExpireTime:   time.Now().Add(7 * 24 * time.Hour),
//		})
//		var ae *apierror.APIError
//		switch {
//		case status.Code(err) == codes.AlreadyExists:
//			log.Fatal("nightly-copy exists already: pick another BackupID")
//		case errors.As(err, &ae):
//			log.Fatalf("copy refused: %v (reason %q, HTTP %d)", status.Code(err), ae.Reason(), ae.HTTPCode())
//		case err != nil:
//			log.Fatal(err)
//		}
//		// op.Name() is the operation's name: store it to resume with
//		// client.CopyBackupOperation(name), in this process or another.
//		fmt.Println("operation:", op.Name())
//
//		backup, err := op.Wait(ctx,
//			lro.WithPollInterval(5*time.Second, time.Minute),
//			lro.WithProgress(func(p lro.Progress) { fmt.Printf("copied %d%%\n", p.Percent) }))
//		if err != nil {
//			log.Fatal(err) // the operation failed: status.Code(err) is its code
//		}
//		fmt.Println(backup.Name, backup.State, backup.SizeBytes)
//	}
//
// # Client and options
//
// [NewClient] authenticates with Application Default Credentials (the
// cloud-platform scope) unless [WithTokenSource] or [WithoutAuthentication]
// says otherwise; it fails at once if no credentials are found.
// [WithEndpoint] takes scheme://host[:port] and the client adds /v2/ itself
// (http:// only for loopback hosts: emulators, fakes, tests).
// [WithHTTPClient] supplies the base HTTP client: every request is still
// authenticated from the client's own options, and no credential follows a
// redirect to another host. [WithUserAgent] appends to the User-Agent, and
// [WithLogger] logs each attempt and retry, never a credential. A Client is
// safe for concurrent use; after [Client.Close] its calls fail with
// [ErrClosed], while operation handles made earlier keep working.
//
// # Copying, resuming and waiting
//
// [Client.CopyBackup] checks the request, sends it and returns a
// [CopyBackupOperation] at once; nothing blocks until Wait. Its Name is the
// raw Google operation name
// (operations/projects/{p}/instances/{i}/clusters/{c}/backups/{b}/operations/{id}):
// keep it, and [Client.CopyBackupOperation] turns it back into a handle, in
// this process or another (it polls GET /v2/{name=operations/**}). Wait polls
// with jittered exponential backoff from [DefaultPollInitial] (1 s) up to
// [DefaultPollMax] (1 min); lro.WithPollInterval changes the schedule for one
// Wait, and lro.WithProgress reports the copy's percent from its metadata
// (op.Metadata()). Poll makes a single round trip.
// [Client.CreateBackup] and [Client.CreateBackupOperation] do the same for a
// new backup of a table; [Client.GetBackup], [Client.ListBackups] (every page,
// as an iter.Seq2) and [Client.DeleteBackup] complete the set.
// [CopyBackupOperation.Cancel] asks the service to stop a copy
// (POST /v2/{name=operations/**}:cancel): the backup being made is deleted
// and Wait then returns a codes.Canceled error. Times keep every fraction
// digit the service wrote (Google writes 0, 3, 6 or 9).
//
// # Errors
//
// Requests are checked against the documented rules before anything is sent:
// a broken rule is a *backupcopy.ValidationError naming the field and the rule. API
// failures, and a failed operation's error from Wait, are *[Error] values
// that read the way Google's own Go libraries do: status.Code(err) (grpc's
// status package) is the canonical code from the response's "status" field,
// so a 409 ALREADY_EXISTS is codes.AlreadyExists, and errors.As(err, &ae)
// with ae *apierror.APIError gives gax-go's view with Reason, Details and
// HTTPCode. (The APIError's own GRPCStatus maps the HTTP status, as gax-go
// does for every Google REST client, so a 409 shows there as Aborted: ask
// status.Code(err) for the code.)
//
// Every error can also be read the same way on all four clouds:
// backupcopy.ClassOf(err) says whether to retry later, give up, or check
// first whether the copy started; backupcopy.KindOf(err) says why; and
// errors.As(err, &ce) with ce *backupcopy.CallError gives whether the request
// reached the service, the attempts made, the HTTP status and the request id.
// An UNAUTHENTICATED answer drops the cached token and the call is sent once
// more with a fresh one; a second refusal, PERMISSION_DENIED, or a token
// source that fails ends the call with Kind PermissionDenied, and a Wait
// stops at the first such poll rather than polling on.
//
// # Retries and idempotency
//
// Reads, lists, deletes and polls are retried on transient failures
// (connection errors, 429, 500, 502, 503, 504, UNAVAILABLE,
// RESOURCE_EXHAUSTED), up to 4 attempts with jittered backoff, honouring
// Retry-After and RetryInfo. CopyBackup and CreateBackup are retried too,
// because a retry cannot make a second backup (the backup id is fixed): when
// a retry is answered ALREADY_EXISTS after an earlier attempt's answer was
// lost, the client checks that the existing backup has this call's source
// and expire time and returns a handle on its operation instead of the
// error. A backup of that name made by someone else stays an ALREADY_EXISTS
// error. A DELETE retried after a lost answer that finds the backup gone
// succeeds.
//
// # Testing
//
// Package [github.com/backupcopy/backupcopy/bigtable/bigtabletest] is an
// in-process fake of these endpoints that enforces the documented rules; point
// the client at it with WithEndpoint(fake.URL()).
//
// # Dependencies
//
// Importing this package links Google's libraries (x/oauth2, gax-go's
// apierror, grpc's status and codes, protobuf) but no AWS or Huawei Cloud
// code, and it never opens a gRPC connection.
package bigtable
