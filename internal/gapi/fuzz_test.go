package gapi

import (
	"encoding/json"
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// FuzzDecodeError: any error body decodes to an *Error without panicking,
// keeping the HTTP status, with a status whose code matches Code and is never
// OK for an error answer (3xx-5xx); an operation's error field likewise
// always decodes to a non-OK *Error.
func FuzzDecodeError(f *testing.F) {
	f.Add(409, `{"error":{"code":409,"message":"x","status":"ALREADY_EXISTS"}}`)
	f.Add(429, `{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2s"}]}}`)
	f.Add(500, `{"error":{"details":[{"@type":"bogus"},{}]}}`)
	f.Add(502, `<html>`)
	f.Add(500, `{"error":{"code":200,"message":"fine","status":"OK"}}`)
	f.Add(400, `{"code":0,"message":"m"}`)
	f.Fuzz(func(t *testing.T, code int, body string) {
		err := DecodeAPIError("svc")("Op", &rest.Response{StatusCode: code, Header: http.Header{}, Body: []byte(body)})
		if err == nil {
			t.Fatal("nil error")
		}
		_ = err.Error()
		if status.Code(err) != Code(err) {
			t.Fatalf("status.Code %v != Code %v", status.Code(err), Code(err))
		}
		e, ok := err.(*Error)
		if !ok || e.HTTPStatus != code {
			t.Fatalf("decoded %T %v", err, err)
		}
		if k := backupcopy.KindOf(err); k == backupcopy.KindUnknown || k == backupcopy.CopyFailed {
			t.Fatalf("HTTP %d %s has kind %v", code, body, k)
		}
		if code >= 300 && code < 600 && e.Code == codes.OK {
			t.Fatalf("HTTP %d %s decoded as OK", code, body)
		}
		oe := OperationError("svc", "CopyBackup", json.RawMessage(body))
		if Code(oe) == codes.OK || backupcopy.KindOf(oe) != backupcopy.CopyFailed || status.Code(oe) != Code(oe) || oe.Error() == "" {
			t.Fatalf("operation error %v has code %v (status.Code %v)", oe, Code(oe), status.Code(oe))
		}
	})
}
