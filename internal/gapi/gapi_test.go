package gapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/googleapis/gax-go/v2/apierror"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/rest"
)

func decode(t *testing.T, code int, body string) error {
	t.Helper()
	return DecodeAPIError("bigtable")("CopyBackup", &rest.Response{StatusCode: code, Header: http.Header{}, Body: []byte(body)})
}

func TestDecodeErrorCanonicalCode(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   codes.Code
		http   int
	}{
		{"409 already exists", 409, `{"error":{"code":409,"message":"Backup exists","status":"ALREADY_EXISTS"}}`, codes.AlreadyExists, 409},
		{"409 aborted", 409, `{"error":{"code":409,"message":"retry","status":"ABORTED"}}`, codes.Aborted, 409},
		{"400 failed precondition", 400, `{"error":{"code":400,"message":"not ready","status":"FAILED_PRECONDITION"}}`, codes.FailedPrecondition, 400},
		{"404 not found", 404, `{"error":{"code":404,"message":"nf","status":"NOT_FOUND"}}`, codes.NotFound, 404},
		{"503 html", 503, `<html>down</html>`, codes.Unavailable, 503},
		{"no status field", 404, `{"error":{"code":404,"message":"nf"}}`, codes.NotFound, 404},
		{"cancelled spelling", 499, `{"error":{"code":499,"message":"c","status":"CANCELLED"}}`, codes.Canceled, 499},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := decode(t, tt.status, tt.body)
			assert.Equal(t, tt.want, status.Code(err))
			assert.Equal(t, tt.want, Code(err))
			var ae *apierror.APIError
			require.True(t, errors.As(err, &ae))
			assert.Equal(t, tt.http, ae.HTTPCode())
		})
	}
}

func TestDecodeErrorDetailsKeptWithUnknownType(t *testing.T) {
	body := `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[
	 {"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RATE_LIMIT_EXCEEDED","domain":"googleapis.com","metadata":{"service":"bigtableadmin.googleapis.com"}},
	 {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.500s"},
	 {"@type":"type.googleapis.com/google.rpc.RequestInfo","requestId":"req-42"},
	 {"@type":"type.googleapis.com/example.Unknown","x":1},
	 {"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"backup_id","description":"bad"}]}]}}`
	err := decode(t, 429, body)
	var ae *apierror.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "RATE_LIMIT_EXCEEDED", ae.Reason())
	assert.Equal(t, "googleapis.com", ae.Domain())
	require.NotNil(t, ae.Details().RetryInfo)
	require.NotNil(t, ae.Details().BadRequest)
	assert.Equal(t, "backup_id", ae.Details().BadRequest.GetFieldViolations()[0].GetField())
	var ge *Error
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, 1500*time.Millisecond, ge.RetryDelay)
	assert.Equal(t, "req-42", ge.RequestID)
	assert.Len(t, ge.RawDetails, 5, "unknown details are kept raw")
	assert.Len(t, status.Convert(err).Details(), 4, "grpc status carries the known details")
	assert.Contains(t, err.Error(), "ResourceExhausted")
	assert.Contains(t, err.Error(), "req-42")
	assert.Equal(t, backupcopy.Throttled, backupcopy.KindOf(err))
	assert.Equal(t, 1500*time.Millisecond, Hint(&rest.Response{StatusCode: 429}, err).Delay)
}

// Every canonical code has one Kind, and so one Class; only UNAUTHENTICATED
// asks for a fresh token.
func TestErrorKind(t *testing.T) {
	for _, tt := range []struct {
		status  int
		name    string
		message string
		want    backupcopy.Kind
	}{
		{503, "UNAVAILABLE", "m", backupcopy.Transient},
		{504, "DEADLINE_EXCEEDED", "m", backupcopy.Transient},
		{500, "INTERNAL", "m", backupcopy.Transient},
		{429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Admin requests' (AdminRequestsPerMinuteExceeded)", backupcopy.Throttled},
		{429, "RESOURCE_EXHAUSTED", "Too many pending operations on the cluster", backupcopy.AtLimit},
		{400, "RESOURCE_EXHAUSTED", "Maximum number of pending backups (1) for database d exceeded", backupcopy.AtLimit},
		{401, "UNAUTHENTICATED", "m", backupcopy.PermissionDenied},
		{403, "PERMISSION_DENIED", "m", backupcopy.PermissionDenied},
		{404, "NOT_FOUND", "m", backupcopy.NotFound},
		{409, "ALREADY_EXISTS", "m", backupcopy.Conflict},
		{400, "FAILED_PRECONDITION", "source not ready", backupcopy.Conflict},
		{400, "FAILED_PRECONDITION", "Cannot create a backup of database d: backup b is already being created. Only one pending backup creation per database is allowed", backupcopy.AtLimit},
		{409, "ABORTED", "m", backupcopy.Conflict},
		{400, "INVALID_ARGUMENT", "m", backupcopy.InvalidInput},
		{501, "UNIMPLEMENTED", "m", backupcopy.InvalidInput},
	} {
		err := decode(t, tt.status, `{"error":{"code":1,"message":"`+tt.message+`","status":"`+tt.name+`"}}`)
		assert.Equal(t, tt.want, backupcopy.KindOf(err), tt.name+" "+tt.message)
		assert.Equal(t, tt.name == "UNAUTHENTICATED", Hint(&rest.Response{StatusCode: tt.status}, err).Refresh, tt.name)
	}
	// An operation's own error means the copy ran and failed, whatever its code.
	opErr := OperationError("bigtable", "CopyBackup", json.RawMessage(`{"code":8,"message":"out of space"}`))
	assert.Equal(t, backupcopy.CopyFailed, backupcopy.KindOf(opErr))
	assert.Equal(t, "bigtable: CopyBackup: the operation failed: ResourceExhausted: out of space", opErr.Error())
}

func TestOperationError(t *testing.T) {
	err := OperationError("spanner", "CopyBackup", json.RawMessage(`{"code":6,"message":"Backup already exists","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"X"}]}`))
	assert.Equal(t, codes.AlreadyExists, status.Code(err))
	var ae *apierror.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "X", ae.Reason())
	assert.True(t, errors.Is(err, &Error{Code: codes.AlreadyExists}))
	assert.False(t, errors.Is(err, &Error{Code: codes.NotFound}))
	assert.Equal(t, codes.Unknown, status.Code(OperationError("s", "CopyBackup", json.RawMessage(`{"code":99}`))))
}

func TestTimeAndInt64(t *testing.T) {
	var v struct {
		T Time  `json:"t"`
		N Int64 `json:"n"`
		M Int64 `json:"m"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"t":"2026-11-22T10:00:00.123456789+02:00","n":"9007199254740993","m":12}`), &v))
	assert.Equal(t, time.Date(2026, 11, 22, 8, 0, 0, 123456789, time.UTC), v.T.UTC())
	assert.Equal(t, Int64(9007199254740993), v.N)
	assert.Equal(t, Int64(12), v.M)
	out, err := json.Marshal(v)
	require.NoError(t, err)
	assert.JSONEq(t, `{"t":"2026-11-22T08:00:00.123456789Z","n":"9007199254740993","m":"12"}`, string(out), "every digit kept")
	assert.Error(t, json.Unmarshal([]byte(`{"t":"yesterday"}`), &v))
	assert.Error(t, json.Unmarshal([]byte(`{"n":"1x"}`), &v))
}

func TestRetryPoll(t *testing.T) {
	assert.True(t, rest.RetryPoll(decode(t, 503, `{"error":{"status":"UNAVAILABLE"}}`)))
	assert.True(t, rest.RetryPoll(decode(t, 429, `{"error":{"status":"RESOURCE_EXHAUSTED","message":"rate"}}`)))
	assert.False(t, rest.RetryPoll(decode(t, 404, `{"error":{"status":"NOT_FOUND"}}`)))
	assert.False(t, rest.RetryPoll(decode(t, 401, `{"error":{"status":"UNAUTHENTICATED"}}`)), "a refused credential ends a Wait")
	assert.False(t, rest.RetryPoll(&rest.ValidationError{}))
	assert.False(t, rest.RetryPoll(nil))
}
