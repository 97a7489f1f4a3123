package fsx_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
)

// fxFuzz is one fake and client per fuzzing process, replaced every few
// hundred requests so that its state and request log stay small.
var fxFuzz struct {
	srv  *fsxtest.Server
	c    *fsx.Client
	src  string // an AVAILABLE backup in fsxtest.Region
	uses int
}

func fxFuzzEnv(t *testing.T) (*fsxtest.Server, *fsx.Client, string) {
	if fxFuzz.srv == nil || fxFuzz.uses >= 300 {
		if fxFuzz.srv != nil {
			fxFuzz.c.Close()
			fxFuzz.srv.Close()
		}
		srv := fsxtest.NewServer()
		srv.SetOperationDuration(0)
		srv.SetMaxInProgressCopies(1 << 20)
		src := srv.AddBackup(fsx.Backup{Tags: []fsx.Tag{{Key: "team", Value: "db"}}})
		c, err := fsx.NewClient(context.Background(), fsx.WithEndpoint(srv.URL()), fsx.WithRegion(fsxtest.Region),
			fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")),
			fsx.WithHTTPClient(&http.Client{}))
		if err != nil {
			t.Fatal(err)
		}
		fxFuzz.srv, fxFuzz.c, fxFuzz.src, fxFuzz.uses = srv, c, src.BackupID, 0
	}
	fxFuzz.uses++
	return fxFuzz.srv, fxFuzz.c, fxFuzz.src
}

// FuzzCopyBackupAgainstFake sends fuzzed CopyBackup requests through the
// client to fsxtest (a source id of "SRC" stands for the fake's seeded
// AVAILABLE backup, so that copies can succeed). A request the client
// refuses is refused with a *backupcopy.ValidationError and sends nothing. One it
// accepts is sent and never answered with the fake's validation errors
// (BadRequest, SerializationException): the client refuses everything the
// fake's model checks refuse. The reverse does not hold, on purpose: the
// client also refuses a KmsKeyId with a line break or invalid UTF-8, which
// the model's ^.{1,2048}$ excludes but the fake does not check. A copy that
// succeeds is PENDING or later, copies the seeded source, carries the
// request's tags, and the fake has it.
func FuzzCopyBackupAgainstFake(f *testing.F) {
	f.Add("SRC", "", "", "", "", "", false)
	f.Add("SRC", fsxtest.Region, "arn:aws:kms:us-east-1:1:key/k", "tok-1", "Name", "copy of db", true)
	f.Add("SRC", "us-west-2", "", "a_b.c-[]^`", "k:/=+-@", "", false)
	f.Add("backup-0123456789abcdef0", "cn-north-1", "k", "", "é 中", "٣", false)
	f.Add("backup-0123", "US", "\n", "~", "a<b", "", false)
	f.Fuzz(func(t *testing.T, id, region, kms, token, key, value string, copyTags bool) {
		srv, c, src := fxFuzzEnv(t)
		if id == "SRC" {
			id = src
		}
		var tags []fsx.Tag
		if key != "" || value != "" {
			tags = []fsx.Tag{{Key: key, Value: value}}
		}
		before := srv.CountRequests("CopyBackup")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req := &fsx.CopyBackupRequest{SourceBackupID: id, SourceRegion: region, KMSKeyID: kms, ClientRequestToken: token, CopyTags: copyTags, Tags: tags}
		op, err := c.CopyBackup(ctx, req)
		sent := srv.CountRequests("CopyBackup") - before
		var ve *backupcopy.ValidationError
		if errors.As(err, &ve) {
			if sent != 0 {
				t.Fatalf("refused (%v) after sending %d requests", err, sent)
			}
			return
		}
		if sent == 0 {
			t.Fatalf("accepted but sent nothing: %v", err)
		}
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) {
				switch ae.ErrorCode() {
				case "BadRequest", "SerializationException":
					t.Fatalf("client accepted, fake refused: %v", err)
				}
			}
			if strings.Contains(err.Error(), fsxtest.SecretAccessKey) {
				t.Fatalf("error echoes the secret key: %v", err)
			}
			return
		}
		b, ok := srv.Backup(op.Name())
		if !ok || b.SourceBackupID != src {
			t.Fatalf("fake holds %+v (%v) for %q, want a copy of %s", b, ok, op.Name(), src)
		}
		for _, tg := range tags {
			found := false
			for _, h := range b.Tags {
				found = found || h == tg
			}
			if !found {
				t.Fatalf("copy %+v lacks tag %+v", b, tg)
			}
		}
	})
}
