package spanner

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// FuzzBackupJSON: any input either fails to decode or decodes to a Backup
// whose encoding decodes again to the same encoding.
func FuzzBackupJSON(f *testing.F) {
	f.Add(`{"name":"projects/p/instances/i/backups/b","sizeBytes":"12","expireTime":"2026-11-22T10:00:00.1234567Z"}`)
	f.Add(`{"encryptionInfo":{"encryptionStatus":{"code":99,"details":[{"@type":"x"}]}},"instancePartitions":[{}]}`)
	f.Add(`{"sizeBytes":-1,"state":"READY","encryptionInformation":[null]}`)
	f.Fuzz(func(t *testing.T, in string) {
		var b Backup
		if json.Unmarshal([]byte(in), &b) != nil {
			return
		}
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var again Backup
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		out2, _ := json.Marshal(again)
		if string(out) != string(out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}

// FuzzOperationState: any google.longrunning.Operation JSON, read as a create
// or a copy operation, gives a state or an error, never a panic. A running
// operation has no outcome; a done one has exactly one of a result (Percent
// 100; for a copy, SourceBackup filled from the metadata when the response
// has none) or an error whose canonical code is not OK, agrees with
// status.Code and names the call; metadata that decoded encodes into an Any
// of the right "@type" that decodes to the same encoding again.
func FuzzOperationState(f *testing.F) {
	f.Add(true, `{"name":"projects/p/instances/i/backups/b/operations/o","metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CopyBackupMetadata","name":"projects/p/instances/i/backups/b","sourceBackup":"projects/p/instances/j/backups/s","progress":{"progressPercent":50,"startTime":"2026-11-22T10:00:00Z"}}}`)
	f.Add(true, `{"name":"o","done":true,"metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CopyBackupMetadata","sourceBackup":"s"},"response":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.Backup","name":"n","state":"READY","sizeBytes":"5"}}`)
	f.Add(false, `{"name":"o","done":true,"error":{"code":1,"message":"Cancelled"}}`)
	f.Add(false, `{"name":"o","done":true,"error":{"code":99,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1s"}]}}`)
	f.Add(false, `{"name":"o","metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CopyBackupMetadata"}}`)
	f.Add(false, `{"name":"o","done":true,"response":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.Backup","encryptionInfo":{"encryptionStatus":{"code":7}}}}`)
	f.Add(true, `{"name":"o","done":true,"response":{}}`)
	f.Fuzz(func(t *testing.T, isCopy bool, in string) {
		var op gapi.Operation
		if json.Unmarshal([]byte(in), &op) != nil {
			return
		}
		if isCopy {
			st, err := copyKind.StateOf(&op)
			checkState(t, op, st.Done, st.Result, st.Err, st.Percent, err, "CopyBackup")
			if err == nil && st.Metadata != nil {
				metaStable(t, *st.Metadata, copyMetadataType)
				if st.Result != nil && st.Result.SourceBackup == "" && st.Metadata.SourceBackup != "" {
					t.Fatalf("copy result lost the metadata's source %q", st.Metadata.SourceBackup)
				}
			}
		} else {
			st, err := createKind.StateOf(&op)
			checkState(t, op, st.Done, st.Result, st.Err, st.Percent, err, "CreateBackup")
			if err == nil && st.Metadata != nil {
				metaStable(t, *st.Metadata, createMetadataType)
			}
		}
	})
}

func checkState(t *testing.T, op gapi.Operation, done bool, res *Backup, opErr error, pct int, err error, opName string) {
	t.Helper()
	if err != nil {
		if err.Error() == "" {
			t.Fatal("empty error")
		}
		return
	}
	if done != op.Done {
		t.Fatalf("done %v for an operation with done %v", done, op.Done)
	}
	if !done {
		if res != nil || opErr != nil {
			t.Fatalf("running operation with an outcome: %v, %v", res, opErr)
		}
		return
	}
	if (res == nil) == (opErr == nil) {
		t.Fatalf("done operation with result %v and error %v", res, opErr)
	}
	if res != nil {
		if pct != 100 {
			t.Fatalf("succeeded with percent %d", pct)
		}
		return
	}
	var ge *Error
	if !errors.As(opErr, &ge) {
		t.Fatalf("operation error %T is not a *spanner.Error", opErr)
	}
	if ge.Code == codes.OK || gapi.Code(opErr) != ge.Code || status.Code(opErr) != ge.Code || ge.Operation != opName || opErr.Error() == "" {
		t.Fatalf("operation error %#v (status.Code %v)", ge, status.Code(opErr))
	}
}

// metaStable checks that metadata encodes into an Any of its type whose
// decoding encodes to the same bytes.
func metaStable[M any](t *testing.T, m M, typ string) {
	t.Helper()
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("marshal %+v: %v", m, err)
	}
	var again M
	if err := gapi.DecodeAny(out, typ, &again); err != nil {
		t.Fatalf("re-decode %s: %v", out, err)
	}
	out2, _ := json.Marshal(again)
	if string(out) != string(out2) {
		t.Fatalf("metadata not stable:\n%s\n%s", out, out2)
	}
}

var fuzzNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// FuzzValidateRequests: CreateBackupRequest and CopyBackupRequest validation
// never panics and refuses only with a *backupcopy.ValidationError naming a field. An
// accepted request builds /v1/{parent}/backups[:copy] with the parent
// filling exactly its pattern; its new backup name parent/backups/{id} is a
// valid backup name (and a valid operation-handle name); a create's database
// is in the parent instance; the expire (and version) times lie in the
// documented windows widened by the clock slack; KMS settings are consistent
// with the encryption type; and the JSON body decodes back to the values.
func FuzzValidateRequests(f *testing.F) {
	f.Add(true, "projects/p/instances/i2", "copy-1", "projects/p/instances/i/backups/src", int64(72*3600), int64(0), "", "", "")
	f.Add(true, "projects/p/instances/i2", "c2", "projects/p/instances/i/backups/s1", int64(366*24*3600+200), int64(0), "CUSTOMER_MANAGED_ENCRYPTION", "projects/p/locations/l/keyRings/r/cryptoKeys/k", "")
	f.Add(false, "projects/p/instances/i", "b-1", "projects/123/instances/i/databases/d", int64(6*3600), int64(-3600), "GOOGLE_DEFAULT_ENCRYPTION", "", "")
	f.Add(false, "projects/p/instances/i", "b_2", "projects/p/instances/i/databases/d", int64(24*3600), int64(0), "CUSTOMER_MANAGED_ENCRYPTION", "", "projects/p/locations/l/keyRings/r/cryptoKeys/k1")
	f.Add(false, "projects/p/instances/i", "B", "projects/p/instances/j/databases/d", int64(24*3600), int64(-8*24*3600), "ENCRYPTION_TYPE_UNSPECIFIED", "x", "y")
	f.Fuzz(func(t *testing.T, isCopy bool, parent, id, source string, expireSec, versionSec int64, encType, key, keys string) {
		expire := fuzzNow.Add(time.Duration(expireSec) * time.Second)
		var version time.Time
		if versionSec != 0 {
			version = fuzzNow.Add(time.Duration(versionSec) * time.Second)
		}
		var keyList []string
		if keys != "" {
			keyList = strings.Split(keys, ",")
		}
		var err error
		if isCopy {
			r := &CopyBackupRequest{Parent: parent, BackupID: id, SourceBackup: source, ExpireTime: expire}
			if encType != "" || key != "" || keyList != nil {
				r.Encryption = &CopyEncryptionConfig{Type: CopyEncryptionType(encType), KMSKeyName: key, KMSKeyNames: keyList}
			}
			err = r.validate(fuzzNow)
		} else {
			r := &CreateBackupRequest{Parent: parent, BackupID: id, Database: source, ExpireTime: expire, VersionTime: version}
			if encType != "" || key != "" || keyList != nil {
				r.Encryption = &EncryptionConfig{Type: EncryptionType(encType), KMSKeyName: key, KMSKeyNames: keyList}
			}
			err = r.validate(fuzzNow)
		}
		if err != nil {
			var ve *backupcopy.ValidationError
			if !errors.As(err, &ve) || ve.Field == "" {
				t.Fatalf("refused with %T %v", err, err)
			}
			return
		}
		p := rest.NewPath("v1").Name("Parent", parent, instancePattern).Lit("backups")
		want := "/v1/" + parent + "/backups"
		if isCopy {
			p, want = p.Verb("copy"), want+":copy"
		}
		u, perr := url.Parse("https://h.example" + p.String())
		if p.Err() != nil || perr != nil || u.RawQuery != "" || u.Fragment != "" || u.Path != want ||
			len(strings.Split(u.EscapedPath(), "/")) != len(strings.Split(want, "/")) {
			t.Fatalf("accepted parent %q builds path %q (%v, %v)", parent, p.String(), p.Err(), perr)
		}
		name := backupName(parent, id)
		if checkBackupName("name", name) != nil || checkOperationName("name", name) != nil {
			t.Fatalf("accepted a request whose backup name %q is invalid", name)
		}
		maxExpire := MaxCreateExpire
		if isCopy {
			maxExpire = MaxCopyExpire
		}
		if expire.After(fuzzNow.Add(maxExpire + clockSlack)) {
			t.Fatalf("accepted expire %v", expire)
		}
		if encType != "" || key != "" || keyList != nil {
			cmek := encType == string(CustomerManagedEncryption)
			if cmek == (key == "" && keyList == nil) || key != "" && keyList != nil {
				t.Fatalf("accepted encryption %q with key %q and keys %q", encType, key, keyList)
			}
		}
		if isCopy {
			body := wireCopyBody{BackupID: id, SourceBackup: source, ExpireTime: requestTime(expire)}
			raw, _ := json.Marshal(body)
			var back wireCopyBody
			if err := json.Unmarshal(raw, &back); err != nil || back.BackupID != id || back.SourceBackup != source || !sentAs(back.ExpireTime, expire) {
				t.Fatalf("body %s decodes to %+v (%v)", raw, back, err)
			}
			return
		}
		if rest.NameSegments(source, databasePattern)[1] != rest.NameSegments(parent, instancePattern)[1] {
			t.Fatalf("accepted database %q outside %q", source, parent)
		}
		if expire.Before(fuzzNow.Add(MinExpire - clockSlack)) {
			t.Fatalf("accepted expire %v", expire)
		}
		if !version.IsZero() && (version.After(fuzzNow.Add(clockSlack)) || version.Before(fuzzNow.Add(-maxVersionRetention-clockSlack))) {
			t.Fatalf("accepted version time %v", version)
		}
		body := wireCreateBody{Database: source, ExpireTime: requestTime(expire), VersionTime: requestTime(version)}
		raw, _ := json.Marshal(body)
		var back wireCreateBody
		if err := json.Unmarshal(raw, &back); err != nil || back.Database != source || !sentAs(back.ExpireTime, expire) || (back.VersionTime == "") != version.IsZero() || (!version.IsZero() && !sentAs(back.VersionTime, version)) {
			t.Fatalf("body %s decodes to %+v (%v)", raw, back, err)
		}
	})
}

// sentAs reports whether a request's wire time is t to the microsecond.
func sentAs(wire string, t time.Time) bool {
	v, err := time.Parse(time.RFC3339Nano, wire)
	return err == nil && v.Equal(t.Truncate(time.Microsecond)) && len(wire) == len("2006-01-02T15:04:05.000000Z")
}
