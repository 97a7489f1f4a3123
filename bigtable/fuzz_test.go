package bigtable

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// FuzzNamePaths: a backup or operation name that passes validation becomes a
// path that decodes back to exactly /v2/{name}, with no "." or ".." segment
// and nothing that starts a query or fragment.
func FuzzNamePaths(f *testing.F) {
	f.Add("projects/p/instances/i/clusters/c/backups/b")
	f.Add("projects/example.com:p/instances/i/clusters/c/backups/a..b")
	f.Add("operations/projects/p/instances/i/clusters/c/backups/b/operations/1")
	f.Add("projects/p/instances/i/clusters/c/backups/../x")
	f.Add("operations/a/%2e%2e/b")
	f.Fuzz(func(t *testing.T, name string) {
		var p string
		switch {
		case checkBackupName("name", name) == nil:
			p = backupPath("name", name).String()
		case checkOperationName(name) == nil:
			p = operationPath(name).String()
		default:
			return
		}
		if strings.ContainsAny(p, "?#") {
			t.Fatalf("%q -> %q keeps a query or fragment character", name, p)
		}
		for _, seg := range strings.Split(p, "/")[1:] {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("%q -> %q has segment %q", name, p, seg)
			}
		}
		dec, err := url.PathUnescape(p)
		if err != nil || dec != "/v2/"+name {
			t.Fatalf("%q -> %q decodes to %q (%v)", name, p, dec, err)
		}
	})
}

// checkTimes fails unless every non-zero time is UTC, as the decoders
// promise (every fraction digit kept is checked by the round trips).
func checkTimes(t *testing.T, what string, ts ...time.Time) {
	t.Helper()
	for _, v := range ts {
		if v.IsZero() {
			continue
		}
		if v.Location() != time.UTC {
			t.Fatalf("%s: time %v is not UTC", what, v)
		}
	}
}

// FuzzBackupJSON: any JSON that decodes into a Backup has UTC times with
// every digit kept, and encodes into JSON that decodes into the same Backup (decode,
// encode, decode is stable), with a "@type"-free object.
func FuzzBackupJSON(f *testing.F) {
	f.Add([]byte(`{"name":"projects/p/instances/i/clusters/c/backups/b","sourceTable":"projects/p/instances/i/tables/t","expireTime":"2026-12-01T10:00:00.123456789Z","startTime":"2026-11-30T10:00:00+02:00","sizeBytes":"9007199254740993","state":"READY","encryptionInfo":{"encryptionType":"CUSTOMER_MANAGED_ENCRYPTION","encryptionStatus":{"code":2,"message":"m","details":[{}]},"kmsKeyVersion":"k"},"backupType":"HOT","hotToStandardTime":"2026-12-02T00:00:00Z"}`))
	f.Add([]byte(`{"sourceBackup":"x","sizeBytes":12,"endTime":null,"encryptionInfo":{}}`))
	f.Add([]byte(`{"expireTime":"0001-01-01T00:30:00+01:00"}`))
	f.Add([]byte(`{"expireTime":"9999-12-31T23:59:59.9999999-01:00"}`))
	f.Add([]byte(`{"encryptionInfo":{"encryptionStatus":{"code":-5}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Backup
		if json.Unmarshal(data, &b) != nil {
			return
		}
		checkTimes(t, "decoded", b.ExpireTime, b.StartTime, b.EndTime, b.HotToStandardTime)
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal %+v: %v", b, err)
		}
		var again Backup
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		if !reflect.DeepEqual(b, again) {
			t.Fatalf("round trip of %s:\n%+v\n%+v\nvia %s", data, b, again, out)
		}
	})
}

// FuzzOperationState: any google.longrunning.Operation JSON becomes an lro
// state or a *rest.MalformedResponseError, never a panic. A running operation has no
// outcome; a done one has exactly one of a result (then Percent 100) or an
// error whose canonical code is not OK and agrees with status.Code; Percent
// is -1 (create: not reported) or 0-100 (copy); and metadata that decoded
// encodes back to the same metadata.
func FuzzOperationState(f *testing.F) {
	f.Add(true, []byte(`{"name":"operations/projects/p/instances/i/clusters/c/backups/b/operations/1","metadata":{"@type":"type.googleapis.com/google.bigtable.admin.v2.CopyBackupMetadata","name":"projects/p/instances/i/clusters/c/backups/b","sourceBackupInfo":{"backup":"x","startTime":"2026-01-01T00:00:00Z"},"progress":{"progressPercent":140,"startTime":"2026-01-01T00:00:00Z"}}}`))
	f.Add(true, []byte(`{"name":"o","done":true,"response":{"@type":"type.googleapis.com/google.bigtable.admin.v2.Backup","name":"n","state":"READY"}}`))
	f.Add(true, []byte(`{"name":"o","done":true,"error":{"code":0,"message":"ok?"}}`))
	f.Add(false, []byte(`{"name":"o","done":true,"error":{"code":9,"message":"m","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"R"}]}}`))
	f.Add(false, []byte(`{"name":"o","metadata":{"@type":"type.googleapis.com/google.bigtable.admin.v2.CreateBackupMetadata","startTime":"2026-01-01T00:00:00Z","finishTime":"2026-01-01T00:00:01Z"}}`))
	f.Add(false, []byte(`{"name":"o","done":true,"response":{"@type":"wrong"}}`))
	f.Add(true, []byte(`{"done":true,"error":"x","metadata":null,"response":{}}`))
	f.Fuzz(func(t *testing.T, isCopy bool, data []byte) {
		var op gapi.Operation
		if json.Unmarshal(data, &op) != nil {
			return
		}
		if isCopy {
			st, err := copyKind.StateOf(&op)
			checkOpState(t, &op, st.Done, st.Result, st.Err, st.Percent, err, "CopyBackup")
			if st.Metadata != nil {
				if st.Percent < 0 || st.Percent > 100 {
					t.Fatalf("copy percent %d", st.Percent)
				}
				checkTimes(t, "copy metadata", st.Metadata.SourceBackupInfo.StartTime, st.Metadata.SourceBackupInfo.EndTime, st.Metadata.Progress.StartTime, st.Metadata.Progress.EndTime)
				metaRoundTrip(t, *st.Metadata, copyMetadataType)
			}
		} else {
			st, err := createKind.StateOf(&op)
			checkOpState(t, &op, st.Done, st.Result, st.Err, st.Percent, err, "CreateBackup")
			if st.Metadata != nil {
				checkTimes(t, "create metadata", st.Metadata.RequestTime, st.Metadata.FinishTime)
				metaRoundTrip(t, *st.Metadata, createMetadataType)
			}
		}
	})
}

func checkOpState(t *testing.T, op *gapi.Operation, done bool, res *Backup, opErr error, pct int, err error, opName string) {
	t.Helper()
	if err != nil {
		var de *rest.MalformedResponseError
		if !errors.As(err, &de) {
			t.Fatalf("error %T is not a *rest.MalformedResponseError: %v", err, err)
		}
		return
	}
	if done != op.Done {
		t.Fatalf("done %v for an operation with done %v", done, op.Done)
	}
	if pct < -1 || pct > 100 {
		t.Fatalf("percent %d", pct)
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
		checkTimes(t, "result", res.ExpireTime, res.StartTime, res.EndTime, res.HotToStandardTime)
		return
	}
	var ge *Error
	if !errors.As(opErr, &ge) {
		t.Fatalf("operation error %T is not an *Error", opErr)
	}
	if ge.Code == codes.OK || gapi.Code(opErr) != ge.Code || status.Code(opErr) != ge.Code {
		t.Fatalf("operation error code %v (gapi.Code %v, status.Code %v)", ge.Code, gapi.Code(opErr), status.Code(opErr))
	}
	if ge.Operation != opName || !strings.HasPrefix(opErr.Error(), service+": ") || opErr.Error() == "" {
		t.Fatalf("operation error %#v", ge)
	}
}

// metaRoundTrip checks that decoded metadata encodes (as an Any with its
// "@type") into JSON that decodes to the same value.
func metaRoundTrip[M any](t *testing.T, m M, typ string) {
	t.Helper()
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("marshal metadata %+v: %v", m, err)
	}
	var again M
	if err := gapi.DecodeAny(out, typ, &again); err != nil {
		t.Fatalf("re-decode metadata %s: %v", out, err)
	}
	if !reflect.DeepEqual(m, again) {
		t.Fatalf("metadata round trip:\n%+v\n%+v\nvia %s", m, again, out)
	}
}

var fuzzNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// FuzzValidateRequests: CopyBackupRequest and CreateBackupRequest validation
// never panics and refuses with a *backupcopy.ValidationError only. An accepted request
// builds its path without error, each name filling its pattern's segments
// (the path decodes back to /v2/{parent}/backups[:copy]); the new backup's
// name parent/backups/{id} is itself a valid backup name (so Name()-based
// resumption accepts it) and differs from the source; the expire time lies in
// the documented window widened by the clock slack; and the JSON body
// decodes back to the request's values.
func FuzzValidateRequests(f *testing.F) {
	f.Add(true, "projects/p/instances/i/clusters/c2", "copy-1", "projects/p/instances/i/clusters/c1/backups/src", int64(72*3600), "", int64(0))
	f.Add(true, "projects/p/instances/i/clusters/c1", "src", "projects/p/instances/i/clusters/c1/backups/src", int64(7*3600), "", int64(0))
	f.Add(true, "projects/p/instances/i/clusters/-", "a", "projects/p/instances/i/clusters/c1/backups/b", int64(30*24*3600+200), "", int64(0))
	f.Add(false, "projects/p/instances/i/clusters/c1", "b_1.x-y", "projects/p/instances/i/tables/t", int64(90*24*3600), "HOT", int64(25*3600))
	f.Add(false, "projects/p/instances/i/clusters/c1", "b", "projects/p/instances/j/tables/t", int64(6*3600-60), "STANDARD", int64(0))
	f.Add(false, "projects/a%2Fb/instances/i/clusters/c", "b", "projects/a%2Fb/instances/i/tables/t", int64(10*3600), "COLD", int64(-1))
	f.Fuzz(func(t *testing.T, isCopy bool, parent, id, source string, expireSec int64, typ string, hotSec int64) {
		expire := fuzzNow.Add(time.Duration(expireSec) * time.Second)
		var hot time.Time
		if hotSec != 0 {
			hot = fuzzNow.Add(time.Duration(hotSec) * time.Second)
		}
		var err error
		if isCopy {
			err = (&CopyBackupRequest{Parent: parent, BackupID: id, SourceBackup: source, ExpireTime: expire}).validate(fuzzNow)
		} else {
			err = (&CreateBackupRequest{Parent: parent, BackupID: id, SourceTable: source, ExpireTime: expire, BackupType: BackupType(typ), HotToStandardTime: hot}).validate(fuzzNow)
		}
		if err != nil {
			var ve *backupcopy.ValidationError
			if !errors.As(err, &ve) || ve.Field == "" {
				t.Fatalf("refused with %T %v", err, err)
			}
			return
		}
		p := rest.NewPath("v2").Name("Parent", parent, clusterPattern).Lit("backups")
		want := "/v2/" + parent + "/backups"
		if isCopy {
			p = p.Verb("copy")
			want += ":copy"
		}
		if p.Err() != nil {
			t.Fatalf("accepted parent %q but the path refuses it: %v", parent, p.Err())
		}
		u, perr := url.Parse("https://h.example" + p.String())
		if perr != nil || u.RawQuery != "" || u.Fragment != "" || u.Path != want {
			t.Fatalf("path %q parses to %+v (%v), want %q", p.String(), u, perr, want)
		}
		if len(strings.Split(u.EscapedPath(), "/")) != len(strings.Split(want, "/")) {
			t.Fatalf("path %q changed the segment count", p.String())
		}
		name := parent + "/backups/" + id
		if checkBackupName("name", name) != nil {
			t.Fatalf("accepted a request whose backup name %q is invalid", name)
		}
		if clusterOf(name) != parent || instanceOf(name) != instanceOf(parent) {
			t.Fatalf("name %q: cluster %q instance %q", name, clusterOf(name), instanceOf(name))
		}
		d := expire.Sub(fuzzNow)
		maxD := MaxCreateExpire
		if isCopy {
			maxD = MaxCopyExpire
		}
		if d < MinExpire-clockSlack || d > maxD+clockSlack {
			t.Fatalf("accepted expire time %v from now", d)
		}
		if isCopy {
			if source == name {
				t.Fatalf("accepted a copy onto its own source %q", source)
			}
			body := copyBackupBody{BackupID: id, SourceBackup: source, ExpireTime: gapi.FormatTime(micro(expire))}
			raw, _ := json.Marshal(body)
			var back copyBackupBody
			if json.Unmarshal(raw, &back) != nil || back != body {
				t.Fatalf("body %s does not decode back", raw)
			}
			if ts, err := time.Parse(time.RFC3339Nano, back.ExpireTime); err != nil || !ts.Equal(micro(expire)) {
				t.Fatalf("expire %q: %v", back.ExpireTime, err)
			}
			return
		}
		if instanceOf(source) != instanceOf(parent) {
			t.Fatalf("accepted table %q outside %q", source, instanceOf(parent))
		}
		body := createBackupBody{SourceTable: source, ExpireTime: gapi.FormatTime(expire), BackupType: typ}
		if !hot.IsZero() {
			body.HotToStandardTime = gapi.FormatTime(hot)
		}
		wantBody := Backup{SourceTable: source, ExpireTime: micro(expire), BackupType: BackupType(typ), HotToStandardTime: micro(hot)}
		raw, _ := json.Marshal(body)
		var back Backup
		if err := json.Unmarshal(raw, &back); err != nil || !reflect.DeepEqual(back, wantBody) {
			t.Fatalf("body %s decodes to %+v (%v), want %+v", raw, back, err, wantBody)
		}
	})
}
