// Package bigtable copies and manages Cloud Bigtable backups through the
// Bigtable Admin API v2 (REST, https://bigtableadmin.googleapis.com).
//
// A copy starts with [Client.CopyBackup], which returns a
// [CopyBackupOperation] at once; [CopyBackupOperation.Wait] polls until the
// new backup is READY:
//
//	client, err := bigtable.NewClient(ctx) // Application Default Credentials
//	op, err := client.CopyBackup(ctx, &bigtable.CopyBackupRequest{
//		Parent:       "projects/p/instances/i/clusters/c2",
//		BackupID:     "nightly-copy",
//		SourceBackup: "projects/p/instances/i/clusters/c1/backups/nightly",
//		ExpireTime:   time.Now().Add(7 * 24 * time.Hour),
//	})
//	backup, err := op.Wait(ctx, lro.WithProgress(func(p lro.Progress) { log.Println(p.Percent) }))
//
// Requests are checked before anything is sent; a broken rule is a
// *[ValidationError] naming the field and the rule. API failures, and a failed
// operation's error from Wait, are *[Error] values: status.Code(err) gives the
// canonical code from the response's "status" field, and errors.As with an
// *apierror.APIError gives gax-go's view (Reason, Details, HTTPCode).
//
// Retries: reads, lists, deletes and polls are retried on transient failures
// (connection errors, 429, 500, 502, 503, 504, RetryInfo). CopyBackup and
// CreateBackup are retried too, because a retry cannot make a second backup
// (the id is fixed): when a retry is answered ALREADY_EXISTS after an earlier
// attempt of the same call may have been processed, the client checks that the
// existing backup has this call's source and expire time and returns a handle
// on its operation instead of the error.
//
// To resume a wait in another process, keep op.Name() and pass it to
// [Client.CopyBackupOperation]. The package bigtabletest is an in-process fake
// of these endpoints for tests.
package bigtable
