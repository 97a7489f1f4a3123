package gapi

import (
	"encoding/json"
	"net/http"
	"testing"

	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// FuzzDecodeError: any error body decodes to an *Error without panicking, with
// a status whose code matches Code.
func FuzzDecodeError(f *testing.F) {
	f.Add(409, `{"error":{"code":409,"message":"x","status":"ALREADY_EXISTS"}}`)
	f.Add(429, `{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2s"}]}}`)
	f.Add(500, `{"error":{"details":[{"@type":"bogus"},{}]}}`)
	f.Add(502, `<html>`)
	f.Fuzz(func(t *testing.T, code int, body string) {
		err := DecodeError("svc")(&rest.Response{StatusCode: code, Header: http.Header{}, Body: []byte(body)})
		if err == nil {
			t.Fatal("nil error")
		}
		_ = err.Error()
		if status.Code(err) != Code(err) {
			t.Fatalf("status.Code %v != Code %v", status.Code(err), Code(err))
		}
		_ = OperationError("svc", json.RawMessage(body))
	})
}
