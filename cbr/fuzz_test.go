package cbr

import (
	"strings"
	"testing"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// FuzzParseName: any string either parses into three single-segment ids that
// encode back to the same name, or is refused with a *ValidationError.
func FuzzParseName(f *testing.F) {
	f.Add(opRef{"p", "b", "r"}.name())
	f.Add("cbr1.")
	f.Add("cbr1.cC9iL3I")
	f.Add("operations/x")
	f.Fuzz(func(t *testing.T, name string) {
		ref, err := parseName(name)
		if err != nil {
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("error %T", err)
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
		e, ok := decodeError(resp).(*Error)
		if !ok || e.StatusCode != status || e.RequestID != "rid" {
			t.Fatalf("decoded %#v", e)
		}
		_ = classify(resp, e)
		_ = e.Error()
	})
}

// FuzzValidate: validation never panics, and a request it accepts has a
// body that is valid JSON with the same values.
func FuzzValidate(f *testing.F) {
	f.Add("b", "p", "cn-east-3", "v", "name_1", "desc")
	f.Add("a/b", "", "cn east", "", "a b", "<x>")
	f.Fuzz(func(t *testing.T, backup, project, region, vault, name, desc string) {
		r := &CopyBackupRequest{BackupID: backup, DestinationProjectID: project, DestinationRegion: region, DestinationVaultID: vault, Name: name, Description: desc}
		if err := r.validate("cn-north-4"); err != nil {
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("error %T", err)
			}
			return
		}
		if !strings.HasPrefix(string(r.body()), `{"replicate":{`) {
			t.Fatalf("body %s", r.body())
		}
	})
}
