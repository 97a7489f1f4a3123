package peertest

// FSx per-call cost: CopyBackup (awsJson1_1, SigV4) ours vs aws-sdk-go-v2's
// service/fsx vs the floor, as for the other APIs in bench_copy_test.go. Both
// clients send the same fixed ClientRequestToken, so neither generates one.

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsfsx "github.com/aws/aws-sdk-go-v2/service/fsx"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
)

const benchFSxToken = "bench-token-0001"

func benchFSxOfficial(endpoint string, rt http.RoundTripper) *awsfsx.Client {
	return awsfsx.New(awsfsx.Options{
		Region:       fsxtest.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Transport: rt},
	})
}

func benchFSxOurs(b *testing.B, endpoint string, rt http.RoundTripper) *fsx.Client {
	c, err := fsx.NewClient(context.Background(), fsx.WithEndpoint(endpoint), fsx.WithRegion(fsxtest.Region),
		fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")),
		fsx.WithHTTPClient(&http.Client{Transport: rt}))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func benchCopyFSx(b *testing.B) {
	ctx := context.Background()
	fake := fsxtest.NewServer()
	src := fake.AddBackupIn(fsxtest.SourceRegion, fsx.Backup{})
	fake.SetOperationDuration(time.Hour)
	rec := &benchRecorder{base: benchTransport()}
	rc := benchFSxOurs(b, fake.URL(), rec)
	req := &fsx.CopyBackupRequest{SourceBackupID: src.BackupID, SourceRegion: fsxtest.SourceRegion, ClientRequestToken: benchFSxToken}
	_, err := rc.CopyBackup(ctx, req)
	rc.Close()
	fake.Close()
	if err != nil {
		b.Fatal(err)
	}
	ex := rec.exchange()
	srv := benchCanned(b, ex)

	b.Run("backupcopy", func(b *testing.B) {
		c := benchFSxOurs(b, srv.URL, benchTransport())
		defer c.Close()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			op, err := c.CopyBackup(ctx, req)
			if err != nil || op.Name() == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("official", func(b *testing.B) {
		c := benchFSxOfficial(srv.URL, benchTransport())
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			out, err := c.CopyBackup(ctx, &awsfsx.CopyBackupInput{SourceBackupId: aws.String(src.BackupID),
				SourceRegion: aws.String(fsxtest.SourceRegion), ClientRequestToken: aws.String(benchFSxToken)})
			if err != nil || out.Backup == nil || out.Backup.BackupId == nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) { benchFloor(b, srv.URL, ex) })
}
