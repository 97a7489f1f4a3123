package spanner_test

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
	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

// spFuzz is one fake and client per fuzzing process, replaced every few
// hundred requests so that its state and request log stay small.
var spFuzz struct {
	srv  *spannertest.Server
	c    *spanner.Client
	uses int
}

const fuzzSrc = inst + "/backups/src"

func spFuzzEnv(t *testing.T) (*spannertest.Server, *spanner.Client) {
	if spFuzz.srv == nil || spFuzz.uses >= 300 {
		if spFuzz.srv != nil {
			spFuzz.c.Close()
			spFuzz.srv.Close()
		}
		srv := spannertest.NewServer(spannertest.WithOperationDuration(0))
		srv.AddDatabase(db)
		srv.AddInstance(inst2)
		srv.AddBackup(spanner.Backup{Name: fuzzSrc, Database: db, CreateTime: time.Now().Add(-24 * time.Hour)})
		c, err := spanner.NewClient(context.Background(), spanner.WithEndpoint(srv.URL()),
			spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test-token"})))
		if err != nil {
			t.Fatal(err)
		}
		spFuzz.srv, spFuzz.c, spFuzz.uses = srv, c, 0
	}
	spFuzz.uses++
	return spFuzz.srv, spFuzz.c
}

// FuzzRequestsAgainstFake sends fuzzed CreateBackup and CopyBackup requests
// through the client to spannertest. A refused request is refused with a
// *backupcopy.ValidationError and sends nothing. An accepted one reaches the fake's
// create or copy route (never "unknown path") and is not answered
// INVALID_ARGUMENT, except where the client deliberately leaves the check to
// the service: an encryption type outside the enum the fake knows (the
// client only checks its shape, so new types need no client release), a
// copy's expire time less than 6 hours after the source's create time (the
// client does not read the source), and times inside the client's 5-minute
// clock slack; and a database named with another spelling of the project
// (the client compares only instance ids, since a project may be named by id
// or by number, while the fake compares whole names). A request that
// succeeds creates parent/backups/id.
func FuzzRequestsAgainstFake(f *testing.F) {
	f.Add(true, inst2, "copy-1", fuzzSrc, int64(72*3600), int64(0), "", "", "")
	f.Add(true, inst2, "copy-2", fuzzSrc, int64(60), int64(0), "CUSTOMER_MANAGED_ENCRYPTION", "projects/p/locations/l/keyRings/r/cryptoKeys/k", "")
	f.Add(true, inst, "copy-3", fuzzSrc, int64(24*3600), int64(0), "GOOGLE_DEFAULT_ENCRYPTION", "", "")
	f.Add(false, inst, "b-1", db, int64(6*3600+120), int64(-3600), "", "", "")
	f.Add(false, inst, "b-2", db, int64(24*3600), int64(0), "CUSTOMER_MANAGED_ENCRYPTION", "", "projects/p/locations/l/keyRings/r/cryptoKeys/k1,projects/p/locations/l/keyRings/r/cryptoKeys/k2")
	f.Add(false, inst, "b-3", db, int64(24*3600), int64(0), "USE_DATABASE_ENCRYPTION", "", "")
	f.Add(false, "projects/my-proj/instances/pr%2Fod", "b-4", "projects/my-proj/instances/pr%2Fod/databases/orders", int64(24*3600), int64(0), "", "", "")
	f.Fuzz(func(t *testing.T, isCopy bool, parent, id, source string, expireSec, versionSec int64, encType, key, keys string) {
		srv, c := spFuzzEnv(t)
		before := srv.CountRequests("")
		now := time.Now()
		expire := now.Add(time.Duration(expireSec) * time.Second)
		var version time.Time
		if versionSec != 0 {
			version = now.Add(time.Duration(versionSec) * time.Second)
		}
		var keyList []string
		if keys != "" {
			keyList = strings.Split(keys, ",")
		}
		withEnc := encType != "" || key != "" || keyList != nil
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var err error
		var opName string
		known := map[string]bool{"GOOGLE_DEFAULT_ENCRYPTION": true, "CUSTOMER_MANAGED_ENCRYPTION": true}
		if isCopy {
			known["USE_CONFIG_DEFAULT_OR_BACKUP_ENCRYPTION"] = true
			r := &spanner.CopyBackupRequest{Parent: parent, BackupID: id, SourceBackup: source, ExpireTime: expire}
			if withEnc {
				r.Encryption = &spanner.CopyEncryptionConfig{Type: spanner.CopyEncryptionType(encType), KMSKeyName: key, KMSKeyNames: keyList}
			}
			var op *spanner.CopyBackupOperation
			if op, err = c.CopyBackup(ctx, r); err == nil {
				opName = op.Name()
			}
		} else {
			known["USE_DATABASE_ENCRYPTION"] = true
			r := &spanner.CreateBackupRequest{Parent: parent, BackupID: id, Database: source, ExpireTime: expire, VersionTime: version}
			if withEnc {
				r.Encryption = &spanner.EncryptionConfig{Type: spanner.EncryptionType(encType), KMSKeyName: key, KMSKeyNames: keyList}
			}
			var op *spanner.CreateBackupOperation
			if op, err = c.CreateBackup(ctx, r); err == nil {
				opName = op.Name()
			}
		}
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
		want := "/v1/" + parent + "/backups"
		if isCopy {
			want += ":copy"
		}
		if p, perr := url.PathUnescape(reqs[before].Path); perr != nil || p != want || reqs[before].Method != "POST" {
			t.Fatalf("request %s %s, want POST %s", reqs[before].Method, reqs[before].Path, want)
		}
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, "unknown path") || strings.Contains(msg, "unknown method") {
				t.Fatalf("the fake could not route an accepted request: %v", err)
			}
			if gapi.Code(err) != codes.InvalidArgument {
				return
			}
			d := expire.Sub(time.Now())
			switch {
			case withEnc && !known[encType]:
			case strings.Contains(msg, "expire_time") && (isCopy || d < spanner.MinExpire+time.Minute || d > spanner.MaxCreateExpire-time.Minute):
			case strings.Contains(msg, "version_time") && !version.IsZero() && version.After(time.Now().Add(-time.Minute)):
			case strings.Contains(msg, "must be in the backup's instance") && !isCopy && sameInstanceID(source, parent):
			default:
				t.Fatalf("client accepted, fake refused: %v", err)
			}
			return
		}
		name := parent + "/backups/" + id
		if b, ok := srv.Backup(name); !ok || !b.ExpireTime.Equal(expire.UTC().Truncate(time.Microsecond)) {
			t.Fatalf("fake holds %+v (%v) for %q", b, ok, name)
		}
		if !strings.HasPrefix(opName, name+"/operations/") {
			t.Fatalf("operation %q is not under %q", opName, name)
		}
	})
}

// sameInstanceID reports whether a database name and an instance name have
// the same instance id (projects/*/instances/{id}/...).
func sameInstanceID(database, instance string) bool {
	d, i := strings.Split(database, "/"), strings.Split(instance, "/")
	return len(d) > 3 && len(i) > 3 && d[3] == i[3]
}
