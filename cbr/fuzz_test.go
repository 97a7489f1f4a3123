package cbr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// FuzzParseName: any string either parses into three single-segment ids that
// encode back to the same name, or is refused with a *backupcopy.ValidationError.
func FuzzParseName(f *testing.F) {
	f.Add(opRef{"p", "b", "r"}.name())
	f.Add("cbr1.")
	f.Add("cbr1.cC9iL3I")
	f.Add("operations/x")
	f.Fuzz(func(t *testing.T, name string) {
		ref, err := parseName(name)
		if err != nil {
			var ve *backupcopy.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		for _, id := range []string{ref.projectID, ref.backupID, ref.recordID} {
			if rest.CheckSegment("id", id) != nil {
				t.Fatalf("accepted id %q", id)
			}
		}
		if again, err := parseName(ref.name()); err != nil || again != ref {
			t.Fatalf("round trip %q -> %+v -> %+v, %v", name, ref, again, err)
		}
	})
}

// FuzzDecodeError: any error body decodes without panicking into an *Error
// that keeps the status and request id.
func FuzzDecodeError(f *testing.F) {
	f.Add(400, []byte(`{"error_code":"BackupService.1009","error_msg":"x"}`))
	f.Add(401, []byte(`{"error":{"code":"APIGW.0301","message":"y"}}`))
	f.Add(500, []byte(`not json`))
	f.Add(429, []byte(`{"error_code":7,"error_msg":null}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &rest.Response{StatusCode: status, Body: body, RequestID: "rid"}
		err := decodeError("Op", resp)
		var e *Error
		if !errors.As(err, &e) || e.StatusCode != status || e.RequestID != "rid" {
			t.Fatalf("decoded %#v", err)
		}
		if backupcopy.KindOf(err) == backupcopy.KindUnknown {
			t.Fatalf("%v has no kind", err)
		}
		_ = hint(resp, err)
		_ = err.Error()
	})
}

// FuzzValidate: validation never panics, and a request it accepts has a
// single-segment backup id, a destination other than the source region, and
// a body that is valid JSON decoding to the same values.
func FuzzValidate(f *testing.F) {
	f.Add("b", "p", "cn-east-3", "v", "name_1", "desc")
	f.Add("a/b", "", "cn east", "", "a b", "<x>")
	f.Add("b", "p\xad", "cn-east-3", "v", "", "")
	f.Fuzz(func(t *testing.T, backup, project, region, vault, name, desc string) {
		r := &CopyBackupRequest{BackupID: backup, DestinationProjectID: project, DestinationRegion: region, DestinationVaultID: vault, Name: name, Description: desc}
		if err := r.validate("cn-north-4"); err != nil {
			var ve *backupcopy.ValidationError
			if !errors.As(err, &ve) || !strings.HasPrefix(err.Error(), "cbr: CopyBackup: invalid ") {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if !strings.HasPrefix(string(r.body()), `{"replicate":{`) {
			t.Fatalf("body %s", r.body())
		}
		var back replicateBody
		if err := json.Unmarshal(r.body(), &back); err != nil || back.Replicate != (replicateFields{
			Description: desc, DestinationProjectID: project, DestinationRegion: region, DestinationVaultID: vault, Name: name,
		}) {
			t.Fatalf("body %s decodes to %+v (%v)", r.body(), back, err)
		}
		if rest.CheckSegment("BackupID", backup) != nil || region == "cn-north-4" {
			t.Fatalf("accepted backup %q to region %q", backup, region)
		}
	})
}

// FuzzBackupJSON: any JSON that decodes into a Backup (with its replication
// records) has UTC times and record progress within 0-100; its encoding
// decodes again to the same times (every fraction digit kept), and from
// then on decode and encode are a fixed point.
func FuzzBackupJSON(f *testing.F) {
	f.Add([]byte(`{"id":"b1","status":"available","created_at":"2026-11-22T10:00:00.123456","replication_records":[{"id":"r1","status":"replicating","created_at":"2026-11-22 10:00:01","destination_region":"cn-east-3","extra_info":{"progress":140,"destination_vault_id":"v2","fail_code":"x"}}]}`))
	f.Add([]byte(`{"id":"b2","created_at":"2026-11-22T10:00:00.1234567+08:00","expired_at":null,"updated_at":7,"replication_records":null}`))
	f.Add([]byte(`{"replication_records":[{"extra_info":{"progress":-3}},{}],"resource_size":12}`))
	f.Add([]byte(`{"created_at":"9999-12-31T23:00:00-05:00"}`))
	f.Add([]byte(`{"created_at":"0001-01-01T00:30:00+01:00"}`))
	f.Add([]byte(`{"created_at":"2026-11-22T10:00:00.123456789","updated_at":"2026-11-22T18:00:00.000000001+08:00","replication_records":[{"created_at":"2026-11-22 10:00:01.987654321"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Backup
		if json.Unmarshal(data, &b) != nil {
			return
		}
		checkUTC := func(ts ...time.Time) {
			for _, v := range ts {
				if !v.IsZero() && v.Location() != time.UTC {
					t.Fatalf("time %v is not UTC", v)
				}
			}
		}
		checkUTC(b.CreatedAt, b.UpdatedAt, b.ExpiredAt)
		for _, r := range b.ReplicationRecords {
			checkUTC(r.CreatedAt)
			if r.Progress < 0 || r.Progress > 100 {
				t.Fatalf("record progress %d", r.Progress)
			}
		}
		out1, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal %+v: %v", b, err)
		}
		var b2 Backup
		if err := json.Unmarshal(out1, &b2); err != nil {
			t.Fatalf("re-decode %s: %v", out1, err)
		}
		if len(b2.ReplicationRecords) != len(b.ReplicationRecords) || b2.ID != b.ID ||
			!b2.CreatedAt.Equal(b.CreatedAt) || !b2.UpdatedAt.Equal(b.UpdatedAt) || !b2.ExpiredAt.Equal(b.ExpiredAt) {
			t.Fatalf("re-decoding %s lost data:\n%+v\n%+v", out1, b, b2)
		}
		for i := range b.ReplicationRecords {
			if !b2.ReplicationRecords[i].CreatedAt.Equal(b.ReplicationRecords[i].CreatedAt) {
				t.Fatalf("record time %v re-decoded as %v", b.ReplicationRecords[i].CreatedAt, b2.ReplicationRecords[i].CreatedAt)
			}
		}
		out2, _ := json.Marshal(b2)
		var b3 Backup
		if err := json.Unmarshal(out2, &b3); err != nil || !reflect.DeepEqual(b2, b3) {
			t.Fatalf("not a fixed point (%v):\n%s\n%s", err, out1, out2)
		}
	})
}

// fuzzTransport answers the replicate call with one body and the backup
// read (the lost-answer lookup) with another, counting replicate calls.
type fuzzTransport struct {
	replicate, backup []byte
	status            int
	posts             int
}

func (ft *fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	body, status := ft.backup, http.StatusOK
	if r.Method == http.MethodPost {
		ft.posts++
		body, status = ft.replicate, ft.status
	}
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"rid"}},
		Body: io.NopCloser(bytes.NewReader(body)), Request: r, ContentLength: int64(len(body))}, nil
}

// FuzzReplicateResponse: whatever the replicate call answers (a fuzzed
// status and body) and whatever the backup read then returns, CopyBackup
// never panics, sends the replicate request at most twice when an answer
// may have been acted on (only gateway refusals are resent more, within the
// retry policy), and either fails
// or returns a handle on this call's replication: its name resumes (through
// CopyBackupOperation) the same project, the requested backup and a
// single-segment record id, and a handle found through the records names a
// record to the requested destination.
func FuzzReplicateResponse(f *testing.F) {
	f.Add(200, []byte(`{"replication":{"backup_id":"b","destination_project_id":"dp","destination_region":"cn-east-3","destination_vault_id":"v","project_id":"p","provider_id":"x","replication_record_id":"r1","source_region":"cn-north-4"}}`), []byte(`{}`))
	f.Add(200, []byte(`{"replication":{"replication_record_id":"r/../x"}}`), []byte(`{"backup":{"id":"b","replication_records":[{"id":"r2","destination_region":"cn-east-3","destination_vault_id":"v","destination_project_id":"dp"}]}}`))
	f.Add(500, []byte(`{"error_code":"BackupService.0001","error_msg":"x"}`), []byte(`{"backup":{"id":"b","replication_records":[{"id":"r3","destination_region":"cn-east-3","destination_vault_id":"v","created_at":"2000-01-01T00:00:00Z"}]}}`))
	f.Add(200, []byte(`{"replication":{"backup_id":"other","project_id":"q","replication_record_id":"r4"}}`), []byte(`{}`))
	f.Add(200, []byte(`{"replication":null}`), []byte(`{"backup":{"id":"zz","replication_records":[{"id":"r5","destination_region":"cn-east-3","destination_vault_id":"v","destination_project_id":""}]}}`))
	f.Fuzz(func(t *testing.T, status int, replicate, backup []byte) {
		if status < 100 || status > 599 {
			return
		}
		ft := &fuzzTransport{replicate: replicate, backup: backup, status: status}
		c, err := NewClient(context.Background(), WithEndpoint("http://127.0.0.1:9"), WithProjectID("p"), WithRegion("cn-north-4"),
			WithToken("tok"), WithHTTPClient(&http.Client{Transport: ft}), WithClock(clock.NewFake(time.Now())))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		req := &CopyBackupRequest{BackupID: "b", DestinationProjectID: "dp", DestinationRegion: "cn-east-3", DestinationVaultID: "v"}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		op, err := c.CopyBackup(ctx, req)
		// Answers that may have been acted on (2xx, 408, 5xx) allow one resend
		// after the records were read; gateway refusals (429, 401, 403, ...)
		// are resent within the retry policy.
		if mayAct := status < 300 || status == http.StatusRequestTimeout || status >= 500; mayAct && ft.posts > 2 || ft.posts > 10 {
			t.Fatalf("replicate sent %d times (answered %d)", ft.posts, status)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		ref, perr := parseName(op.Name())
		if perr != nil || ref.projectID != "p" || ref.backupID != req.BackupID || rest.CheckSegment("id", ref.recordID) != nil {
			t.Fatalf("handle %q resumes %+v (%v), want project p, backup %q", op.Name(), ref, perr, req.BackupID)
		}
		if rep := op.Replication(); rep == nil || rep.ReplicationRecordID != ref.recordID {
			t.Fatalf("replication %+v for handle %+v", rep, ref)
		}
		if md := op.Metadata(); md != nil && (md.DestinationRegion != req.DestinationRegion || md.DestinationVaultID != req.DestinationVaultID) {
			t.Fatalf("handle follows record %+v, not one to %s/%s", md, req.DestinationRegion, req.DestinationVaultID)
		}
	})
}
