package fsx

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// FuzzDecodeAPIError: any error answer decodes, without panicking, into an
// error that satisfies smithy.APIError, keeps the status and request id, and
// has a sanitised code (no ':' and no '#').
func FuzzDecodeAPIError(f *testing.F) {
	f.Add(400, "", []byte(`{"__type":"com.amazonaws.simba#BackupNotFound","Message":"x"}`))
	f.Add(400, "ServiceLimitExceeded:http://internal.amazon.com/coral/", []byte(`{"Limit":"TOTAL_IN_PROGRESS_COPY_BACKUPS"}`))
	f.Add(403, "", []byte(`{"code":"InvalidSignatureException","message":"Signature expired"}`))
	f.Add(500, "", []byte(`<html>`))
	f.Add(503, "", []byte(``))
	f.Add(400, "a#b:c#d", []byte(`{"__type":5}`))
	f.Fuzz(func(t *testing.T, status int, header string, body []byte) {
		h := http.Header{"X-Amzn-Requestid": {"rid"}}
		if header != "" {
			h.Set("X-Amzn-Errortype", header)
		}
		err := DecodeAPIError(status, h, body)
		ae, ok := err.(smithy.APIError)
		if !ok {
			t.Fatalf("%T is not a smithy.APIError", err)
		}
		if strings.ContainsAny(ae.ErrorCode(), ":#") {
			t.Fatalf("unsanitised code %q", ae.ErrorCode())
		}
		d := err.(interface {
			HTTPStatusCode() int
			ServiceRequestID() string
		})
		if d.HTTPStatusCode() != status || d.ServiceRequestID() != "rid" {
			t.Fatalf("status %d id %q", d.HTTPStatusCode(), d.ServiceRequestID())
		}
		_ = err.Error()
		_ = classify(nil2resp(status, h), &ResponseError{StatusCode: status, Err: err}, timeZero)
	})
}

// FuzzBackupJSON: any JSON that decodes into a Backup encodes back into
// JSON that decodes into the same Backup.
func FuzzBackupJSON(f *testing.F) {
	f.Add([]byte(`{"BackupId":"backup-0123456789abcdef0","Lifecycle":"COPYING","ProgressPercent":40,"CreationTime":1764600000.123}`))
	f.Add([]byte(`{"CreationTime":1.7e9,"Tags":[{"Key":"a","Value":"b"}],"FileSystem":{"FileSystemId":"fs-1"}}`))
	f.Add([]byte(`{"CreationTime":-0.5,"FailureDetails":{"Message":"m"},"SizeInBytes":9223372036854775807}`))
	f.Add([]byte(`{"CreationTime":"2020-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"Tags":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Backup
		if err := json.Unmarshal(data, &b); err != nil {
			return
		}
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal %+v: %v", b, err)
		}
		var again Backup
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		if !again.CreationTime.Equal(b.CreationTime) {
			t.Fatalf("time %v != %v (%s)", again.CreationTime, b.CreationTime, out)
		}
		again.CreationTime = b.CreationTime
		if !reflect.DeepEqual(normalize(b), normalize(again)) {
			t.Fatalf("round trip:\n%+v\n%+v\n%s", b, again, out)
		}
	})
}

// normalize treats an empty nested FileSystem/Volume like an absent one and
// drops nil-vs-empty tag differences.
func normalize(b Backup) Backup {
	if len(b.Tags) == 0 {
		b.Tags = nil
	}
	return b
}

var timeZero = time.Time{}

func nil2resp(status int, h http.Header) *rest.Response {
	return &rest.Response{StatusCode: status, Header: h}
}
