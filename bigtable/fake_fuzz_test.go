package bigtable_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/internal/gapi"
)

// fuzzFake is one fake and client per fuzzing process, replaced every few
// hundred requests so that its state and request log stay small.
type fuzzFake struct {
	srv  *bigtabletest.Server
	c    *bigtable.Client
	uses int
}

var btFuzz fuzzFake

func (f *fuzzFake) get(t *testing.T) (*bigtabletest.Server, *bigtable.Client) {
	if f.srv == nil || f.uses >= 300 {
		if f.srv != nil {
			f.c.Close()
			f.srv.Close()
		}
		f.srv = bigtabletest.NewServer()
		f.srv.AddBackup(bigtable.Backup{Name: srcName, SourceTable: srcTable})
		f.srv.AddCluster(dstCl)
		f.srv.AddCluster("projects/p/instances/i/clusters/c1")
		c, err := bigtable.NewClient(context.Background(), bigtable.WithEndpoint(f.srv.URL()),
			bigtable.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})))
		if err != nil {
			t.Fatal(err)
		}
		f.c, f.uses = c, 0
	}
	f.uses++
	return f.srv, f.c
}

// FuzzCopyBackupAgainstFake sends fuzzed CopyBackup requests through the
// client to bigtabletest. A request the client refuses is refused with a
// *backupcopy.ValidationError and sends nothing. A request it accepts reaches the
// fake's CopyBackup route (never "unknown path") and is never answered
// INVALID_ARGUMENT, except for an expire time inside the client's 5-minute
// clock slack (intentional: the client never refuses what a service with a
// slightly different clock would take). A copy that succeeds creates exactly
// parent/backups/id from the source, and the operation's metadata says so.
func FuzzCopyBackupAgainstFake(f *testing.F) {
	f.Add(dstCl, "copy-1", srcName, int64(72*3600))
	f.Add(dstCl, "src", srcName, int64(6*3600+60))
	f.Add("projects/p/instances/i/clusters/c1", "src", srcName, int64(24*3600))
	f.Add(dstCl, "a.b", srcName, int64(30*24*3600-60))
	f.Add(dstCl, "x", srcName, int64(30*24*3600+120))
	f.Add("projects/p/instances/i/clusters/c%2F2", "x", srcName, int64(24*3600))
	f.Add(dstCl, "x", "projects/p/instances/i/clusters/c1/backups/none", int64(24*3600))
	f.Fuzz(func(t *testing.T, parent, id, source string, expireSec int64) {
		srv, c := btFuzz.get(t)
		before := srv.CountRequests("")
		expire := time.Now().Add(time.Duration(expireSec) * time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		op, err := c.CopyBackup(ctx, &bigtable.CopyBackupRequest{Parent: parent, BackupID: id, SourceBackup: source, ExpireTime: expire})
		sent := srv.CountRequests("") - before
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
		reqs := srv.Requests()
		last := reqs[len(reqs)-1]
		if p, perr := url.PathUnescape(last.Path); perr != nil || last.Method != "POST" || p != "/v2/"+parent+"/backups:copy" {
			t.Fatalf("request %s %s, want POST /v2/%s/backups:copy", last.Method, last.Path, parent)
		}
		if err != nil {
			if strings.Contains(err.Error(), "unknown path") {
				t.Fatalf("the fake could not route an accepted request: %v", err)
			}
			inSlack := expire.Sub(time.Now()) < bigtable.MinExpire+time.Minute || expire.Sub(time.Now()) > bigtable.MaxCopyExpire-time.Minute
			if gapi.Code(err) == codes.InvalidArgument && !inSlack {
				t.Fatalf("client accepted, fake refused: %v", err)
			}
			return
		}
		name := parent + "/backups/" + id
		if md := op.Metadata(); md == nil || md.Name != name || md.SourceBackupInfo.Backup != source {
			t.Fatalf("metadata %+v, want name %q from %q", md, name, source)
		}
		b, ok := srv.Backup(name)
		if !ok || b.SourceBackup != source || !b.ExpireTime.Equal(expire.UTC().Truncate(time.Microsecond)) {
			t.Fatalf("fake holds %+v (%v), want a copy of %q expiring %v", b, ok, source, expire)
		}
		if c.CopyBackupOperation(op.Name()).Name() != op.Name() {
			t.Fatal("operation handle does not resume by name")
		}
	})
}
