package fsx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/auth/sigv4"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

const (
	testAKID   = "AKIDEXAMPLE000000001"
	testSecret = "testSecretKey/EXAMPLE0123456789abcdefgh"
	testRegion = "eu-west-1"
	testURL    = "https://fsx.eu-west-1.amazonaws.com/"
	srcID      = "backup-0123456789abcdef0"
)

// isolateEnv clears every AWS variable and points the shared files at
// nothing, so a developer's ~/.aws cannot leak into a test.
func isolateEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{EnvRegion, EnvDefaultRegion, EnvEndpointFSx, EnvEndpoint, EnvIgnoreEndpoints,
		EnvUseFIPSEndpoint, EnvProfile, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
}

// recorder is an httpmock responder that records each request body and
// answers with the next of its answers (the last one repeats).
type recorder struct {
	t       *testing.T
	mu      sync.Mutex
	bodies  [][]byte
	reqs    []*http.Request
	answers []func(r *http.Request) (*http.Response, error)
}

func (rc *recorder) respond(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.bodies = append(rc.bodies, body)
	rc.reqs = append(rc.reqs, r)
	n := len(rc.bodies)
	a := rc.answers[min(n, len(rc.answers))-1]
	rc.mu.Unlock()
	if err := sigv4.Verify(r, body, testAKID, testSecret, SigningName, time.Now(), 0); err != nil {
		rc.t.Errorf("attempt %d: signature does not verify: %v", n, err)
	}
	return a(r)
}

func (rc *recorder) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.bodies)
}

func jsonResp(status int, body string, hdr ...string) func(*http.Request) (*http.Response, error) {
	return func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(status, body)
		resp.Header.Set("Content-Type", ContentType)
		resp.Header.Set("X-Amzn-Requestid", "req-1234")
		for i := 0; i+1 < len(hdr); i += 2 {
			resp.Header.Set(hdr[i], hdr[i+1])
		}
		return resp, nil
	}
}

func errResp(status int, code, msg string, hdr ...string) func(*http.Request) (*http.Response, error) {
	b, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.simba#" + code, "Message": msg})
	return jsonResp(status, string(b), hdr...)
}

const copyOK = `{"Backup":{"BackupId":"backup-00000000000000abc","Lifecycle":"PENDING","CreationTime":1.7646e9,"ProgressPercent":0}}`

// newMockClient returns a client whose transport is mock (no network) and
// whose clock is fake (backoff sleeps take no time).
func newMockClient(t *testing.T, mock *httpmock.MockTransport, opts ...Option) *Client {
	t.Helper()
	isolateEnv(t)
	clk := clock.NewFake(time.Now())
	base := []Option{WithRegion(testRegion), WithCredentials(auth.StaticAWSCredentials(testAKID, testSecret, "")),
		WithHTTPClient(&http.Client{Transport: mock}), WithClock(clk)}
	c, err := NewClient(context.Background(), append(base, opts...)...)
	require.NoError(t, err)
	return c
}

func mockWith(t *testing.T, answers ...func(*http.Request) (*http.Response, error)) (*httpmock.MockTransport, *recorder) {
	mock := httpmock.NewMockTransport()
	rc := &recorder{t: t, answers: answers}
	mock.RegisterResponder(http.MethodPost, testURL, rc.respond)
	return mock, rc
}

func TestCopyBackupWire(t *testing.T) {
	mock, rc := mockWith(t, jsonResp(200, copyOK))
	c := newMockClient(t, mock, WithUserAgent("app/1"))
	op, err := c.CopyBackup(context.Background(), &CopyBackupRequest{
		SourceBackupID: srcID, SourceRegion: "us-east-1", KMSKeyID: "arn:aws:kms:eu-west-1:123456789012:key/k",
		CopyTags: true, Tags: []Tag{{Key: "a", Value: ""}, {Key: "env", Value: "prod"}},
	})
	require.NoError(t, err)
	assert.Equal(t, "backup-00000000000000abc", op.Name())
	assert.False(t, op.Done())
	require.Equal(t, 1, rc.count())
	r := rc.reqs[0]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/", r.URL.Path)
	assert.Equal(t, ContentType, r.Header.Get("Content-Type"))
	assert.Equal(t, "AWSSimbaAPIService_v20180301.CopyBackup", r.Header.Get("X-Amz-Target"))
	assert.Contains(t, r.Header.Get("User-Agent"), "app/1")
	authz, err := sigv4.ParseAuthorization(r.Header.Get("Authorization"))
	require.NoError(t, err)
	assert.Equal(t, testRegion, authz.Region, "signed for the destination (client) region")
	assert.Equal(t, "fsx", authz.Service)
	var body map[string]any
	require.NoError(t, json.Unmarshal(rc.bodies[0], &body))
	tok, _ := body["ClientRequestToken"].(string)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, tok)
	delete(body, "ClientRequestToken")
	assert.Equal(t, map[string]any{
		"SourceBackupId": srcID, "SourceRegion": "us-east-1", "KmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/k",
		"CopyTags": true, "Tags": []any{map[string]any{"Key": "a", "Value": ""}, map[string]any{"Key": "env", "Value": "prod"}},
	}, body)

	// Minimal request: only SourceBackupId and the token.
	mock2, rc2 := mockWith(t, jsonResp(200, copyOK))
	c2 := newMockClient(t, mock2)
	_, err = c2.CopyBackup(context.Background(), &CopyBackupRequest{SourceBackupID: srcID, ClientRequestToken: "my-token.1"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"SourceBackupId":"`+srcID+`","ClientRequestToken":"my-token.1"}`, string(rc2.bodies[0]))
}

// TestRetriesKeepTheToken: 503, 500, a connection error after sending,
// throttling (on a 400) and a 502 are all retried, with the same body, hence
// the same ClientRequestToken, and a fresh signature each time.
func TestRetriesKeepTheToken(t *testing.T) {
	mock, rc := mockWith(t,
		errResp(503, "ServiceUnavailable", "busy"),
		errResp(500, "InternalServerError", "oops"),
		errResp(400, "ThrottlingException", "Rate exceeded"),
		jsonResp(200, copyOK))
	c := newMockClient(t, mock, withPolicy(rest.Policy{MaxAttempts: 5}))
	op, err := c.CopyBackup(context.Background(), &CopyBackupRequest{SourceBackupID: srcID})
	require.NoError(t, err)
	assert.Equal(t, "backup-00000000000000abc", op.Name())
	require.Equal(t, 4, rc.count())
	for i := 1; i < 4; i++ {
		assert.Equal(t, string(rc.bodies[0]), string(rc.bodies[i]), "attempt %d sends the same token", i+1)
	}

	for _, code := range []string{"Throttling", "TooManyRequestsException", "RequestLimitExceeded", "ProvisionedThroughputExceededException", "SlowDown"} {
		mock, rc := mockWith(t, errResp(400, code, "slow down"), jsonResp(200, copyOK))
		c := newMockClient(t, mock)
		_, err := c.CopyBackup(context.Background(), &CopyBackupRequest{SourceBackupID: srcID})
		require.NoError(t, err, code)
		assert.Equal(t, 2, rc.count(), code)
	}

	// A transport error (the connection broke after the request was sent).
	mock = httpmock.NewMockTransport()
	var n int
	var bodies []string
	mock.RegisterResponder(http.MethodPost, testURL, func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		n++
		if n == 1 {
			return nil, errors.New("connection reset by peer")
		}
		return jsonResp(200, copyOK)(r)
	})
	c = newMockClient(t, mock)
	_, err = c.CopyBackup(context.Background(), &CopyBackupRequest{SourceBackupID: srcID})
	require.NoError(t, err)
	require.Len(t, bodies, 2)
	assert.Equal(t, bodies[0], bodies[1])
}

// TestClientErrorsNotRetried: ServiceLimitExceeded and other 4xx end the
// call after one attempt, with the typed error.
func TestClientErrorsNotRetried(t *testing.T) {
	cases := []struct {
		code  string
		check func(t *testing.T, err error)
	}{
		{"ServiceLimitExceeded", func(t *testing.T, err error) {
			var e *ServiceLimitExceeded
			require.ErrorAs(t, err, &e)
			assert.Equal(t, LimitTotalInProgressCopyBackups, e.Limit)
		}},
		{"BackupNotFound", func(t *testing.T, err error) {
			var e *BackupNotFound
			require.ErrorAs(t, err, &e)
		}},
		{"BadRequest", func(t *testing.T, err error) {
			var e *BadRequest
			require.ErrorAs(t, err, &e)
		}},
		{"IncompatibleParameterError", func(t *testing.T, err error) {
			var e *IncompatibleParameterError
			require.ErrorAs(t, err, &e)
			assert.Equal(t, "ClientRequestToken", e.Parameter)
		}},
		{"InvalidSignatureException", func(t *testing.T, err error) {
			var e *GenericAPIError
			require.ErrorAs(t, err, &e, "a signature error without clock skew is final")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			body := `{"__type":"` + tc.code + `","message":"no","Limit":"TOTAL_IN_PROGRESS_COPY_BACKUPS","Parameter":"ClientRequestToken"}`
			mock, rc := mockWith(t, jsonResp(400, body))
			c := newMockClient(t, mock)
			_, err := c.CopyBackup(context.Background(), &CopyBackupRequest{SourceBackupID: srcID})
			require.Error(t, err)
			assert.Equal(t, 1, rc.count())
			tc.check(t, err)
			var ae smithy.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.code, ae.ErrorCode())
			var oe *smithy.OperationError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, "CopyBackup", oe.Operation())
			assert.Equal(t, "FSx", oe.Service())
			var re *ResponseError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, 400, re.StatusCode)
			assert.Equal(t, "req-1234", re.RequestID)
			assert.Contains(t, err.Error(), "operation error FSx: CopyBackup, https response error StatusCode: 400, RequestID: req-1234, "+tc.code)
			assert.NotContains(t, err.Error(), testSecret)
		})
	}
}

// TestClockSkewResigned: a signature error whose Date is 20 minutes off
// makes the next attempt signed with the server's time; one minute off is
// not skew (threshold four minutes) and ends the call.
func TestClockSkewResigned(t *testing.T) {
	isolateEnv(t)
	serverNow := time.Now().Add(20 * time.Minute)
	var dates []time.Time
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder(http.MethodPost, testURL, func(r *http.Request) (*http.Response, error) {
		body, _ := io.ReadAll(r.Body)
		d, _ := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		dates = append(dates, d)
		hdr := []string{"Date", serverNow.UTC().Format(http.TimeFormat)}
		if err := sigv4.Verify(r, body, testAKID, testSecret, SigningName, serverNow, 0); err != nil {
			var ve *sigv4.VerifyError
			require.ErrorAs(t, err, &ve)
			return errResp(400, ve.Code, ve.Message, hdr...)(r)
		}
		return jsonResp(200, copyOK, hdr...)(r)
	})
	c, err := NewClient(context.Background(), WithRegion(testRegion), WithCredentials(auth.StaticAWSCredentials(testAKID, testSecret, "")),
		WithHTTPClient(&http.Client{Transport: mock}))
	require.NoError(t, err)
	_, err = c.CopyBackup(context.Background(), &CopyBackupRequest{SourceBackupID: srcID})
	require.NoError(t, err)
	require.Len(t, dates, 2)
	assert.WithinDuration(t, time.Now(), dates[0], time.Minute)
	assert.WithinDuration(t, serverNow, dates[1], time.Minute)
	// Learnt: the next call needs one attempt.
	_, err = c.CopyBackup(context.Background(), &CopyBackupRequest{SourceBackupID: srcID})
	require.NoError(t, err)
	assert.Len(t, dates, 3)

	// Below the threshold: final.
	resp := &rest.Response{StatusCode: 400, Header: http.Header{"Date": {time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)}}}
	h := hint(resp, &ResponseError{Err: &GenericAPIError{ErrorDetails{Code: "InvalidSignatureException"}}}, time.Now())
	assert.Equal(t, rest.Hint{}, h)
}

// Every FSx answer has one Kind (and so one Class); only expired
// credentials and a signature refused for a skewed clock are sent again.
func TestErrorKindAndHint(t *testing.T) {
	now := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	far := http.Header{"Date": {now.Add(-10 * time.Minute).Format(http.TimeFormat)}}
	near := http.Header{"Date": {now.Format(http.TimeFormat)}}
	refresh, resign := rest.Hint{Refresh: true}, rest.Hint{Resign: true}
	cases := []struct {
		status int
		code   string
		hdr    http.Header
		kind   backupcopy.Kind
		hint   rest.Hint
	}{
		{400, "ThrottlingException", near, backupcopy.Throttled, rest.Hint{}},
		{400, "Throttling", near, backupcopy.Throttled, rest.Hint{}},
		{429, "TooManyRequestsException", near, backupcopy.Throttled, rest.Hint{}},
		{400, "RequestLimitExceeded", near, backupcopy.Throttled, rest.Hint{}},
		{400, "ServiceLimitExceeded", near, backupcopy.AtLimit, rest.Hint{}},
		{400, "BadRequest", near, backupcopy.InvalidInput, rest.Hint{}},
		{400, "BackupNotFound", near, backupcopy.NotFound, rest.Hint{}},
		{400, "SourceBackupUnavailable", near, backupcopy.Conflict, rest.Hint{}},
		{400, "IncompatibleParameterError", near, backupcopy.Conflict, rest.Hint{}},
		{500, "InternalServerError", near, backupcopy.Transient, rest.Hint{}},
		{502, "", near, backupcopy.Transient, rest.Hint{}},
		{503, "ServiceUnavailable", near, backupcopy.Transient, rest.Hint{}},
		{504, "", near, backupcopy.Transient, rest.Hint{}},
		{501, "", near, backupcopy.InvalidInput, rest.Hint{}},
		{403, "InvalidSignatureException", far, backupcopy.PermissionDenied, resign},
		{400, "SignatureDoesNotMatch", far, backupcopy.PermissionDenied, resign},
		{400, "RequestTimeTooSkewed", far, backupcopy.PermissionDenied, resign},
		{400, "RequestExpired", far, backupcopy.PermissionDenied, resign},
		{400, "AuthFailure", far, backupcopy.PermissionDenied, resign},
		{403, "InvalidSignatureException", near, backupcopy.PermissionDenied, rest.Hint{}},
		{403, "InvalidSignatureException", http.Header{}, backupcopy.PermissionDenied, rest.Hint{}},
		{403, "UnrecognizedClientException", far, backupcopy.PermissionDenied, rest.Hint{}},
		{400, "ExpiredTokenException", near, backupcopy.PermissionDenied, refresh},
	}
	for _, tc := range cases {
		resp := &rest.Response{StatusCode: tc.status, Header: tc.hdr}
		b, _ := json.Marshal(map[string]string{"__type": tc.code})
		err := decodeError("CopyBackup", &rest.Response{StatusCode: tc.status, Header: http.Header{}, Body: b})
		assert.Equal(t, tc.kind, backupcopy.KindOf(err), "%d %s", tc.status, tc.code)
		assert.Equal(t, tc.hint, hint(resp, err, now), "%d %s", tc.status, tc.code)
	}
}

func TestErrorDecoding(t *testing.T) {
	cases := []struct {
		name   string
		status int
		hdr    http.Header
		body   string
		code   string
		msg    string
		typ    any
	}{
		{"header wins", 400, http.Header{"X-Amzn-Errortype": {"BackupNotFound:http://internal.amazon.com/coral/com.amazonaws.simba/"}},
			`{"__type":"com.amazonaws.simba#BadRequest","message":"m"}`, "BackupNotFound", "m", &BackupNotFound{}},
		{"__type with namespace", 400, nil, `{"__type":"com.amazonaws.fsx#ServiceLimitExceeded","Message":"M","Limit":"TOTAL_IN_PROGRESS_COPY_BACKUPS"}`,
			"ServiceLimitExceeded", "M", &ServiceLimitExceeded{}},
		{"__type with colon and namespace", 400, nil, `{"__type":"aws.protocoltests#SourceBackupUnavailable:http://x/","message":"gone","BackupId":"backup-01234567"}`,
			"SourceBackupUnavailable", "gone", &SourceBackupUnavailable{}},
		{"code field", 400, nil, `{"code":"IncompatibleParameterError","message":"p","Parameter":"Tags"}`, "IncompatibleParameterError", "p", &IncompatibleParameterError{}},
		{"message lower wins", 400, nil, `{"__type":"BadRequest","message":"lower","Message":"upper"}`, "BadRequest", "lower", &BadRequest{}},
		{"server fault", 500, nil, `{"__type":"InternalServerError","Message":"x"}`, "InternalServerError", "x", &InternalServerError{}},
		{"unmodeled", 400, nil, `{"__type":"ThrottlingException","message":"Rate exceeded"}`, "ThrottlingException", "Rate exceeded", &GenericAPIError{}},
		{"not json", 502, nil, `<html>Bad Gateway</html>`, "BadGateway", "<html>Bad Gateway</html>", &GenericAPIError{}},
		{"empty", 503, nil, ``, "ServiceUnavailable", "", &GenericAPIError{}},
		{"header only", 400, http.Header{"X-Amzn-Errortype": {"InvalidRegion"}}, ``, "InvalidRegion", "", &InvalidRegion{}},
		{"delete errors", 400, nil, `{"__type":"BackupBeingCopied","BackupId":"backup-01234567"}`, "BackupBeingCopied", "", &BackupBeingCopied{}},
		{"restoring", 400, nil, `{"__type":"BackupRestoring","FileSystemId":"fs-1"}`, "BackupRestoring", "", &BackupRestoring{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"X-Amzn-Requestid": {"rid-9"}}
			for k, v := range tc.hdr {
				h[k] = v
			}
			err := DecodeAPIError(tc.status, h, []byte(tc.body))
			assert.IsType(t, tc.typ, err)
			var ae smithy.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.code, ae.ErrorCode())
			assert.Equal(t, tc.msg, ae.ErrorMessage())
			d := err.(interface {
				HTTPStatusCode() int
				ServiceRequestID() string
			})
			assert.Equal(t, tc.status, d.HTTPStatusCode())
			assert.Equal(t, "rid-9", d.ServiceRequestID())
			if tc.status >= 500 {
				assert.Equal(t, smithy.FaultServer, ae.ErrorFault())
			} else {
				assert.Equal(t, smithy.FaultClient, ae.ErrorFault())
			}
		})
	}
	err := DecodeAPIError(400, http.Header{}, []byte(`{"__type":"SourceBackupUnavailable","BackupId":"backup-01234567"}`))
	assert.Equal(t, "backup-01234567", err.(*SourceBackupUnavailable).BackupID)
	err = DecodeAPIError(400, http.Header{}, []byte(`{"__type":"BackupRestoring","FileSystemId":"fs-1"}`))
	assert.Equal(t, "fs-1", err.(*BackupRestoring).FileSystemID)
	assert.Equal(t, "Throttling", SanitizeErrorCode(" com.amazon#Throttling:http://x#y "))
}

// TestValidationBeforeIO: an httpmock transport with no responders proves
// that no invalid request reaches the network.
func TestValidationBeforeIO(t *testing.T) {
	long := func(n int, c string) string { return strings.Repeat(c, n) }
	tags := func(n int) []Tag {
		out := make([]Tag, n)
		for i := range out {
			out[i] = Tag{Key: "k" + long(i, "x"), Value: "v"}
		}
		return out
	}
	cases := []struct {
		name  string
		req   *CopyBackupRequest
		field string
	}{
		{"nil", nil, "CopyBackupRequest"},
		{"missing source", &CopyBackupRequest{}, "CopyBackupRequest.SourceBackupID"},
		{"bad prefix", &CopyBackupRequest{SourceBackupID: "snap-0123456789ab"}, "SourceBackupID"},
		{"upper hex", &CopyBackupRequest{SourceBackupID: "backup-0123456789ABCDEF"}, "SourceBackupID"},
		{"short hex", &CopyBackupRequest{SourceBackupID: "backup-0123"}, "SourceBackupID"},
		{"too long", &CopyBackupRequest{SourceBackupID: "backup-" + long(122, "a")}, "SourceBackupID"},
		{"region upper", &CopyBackupRequest{SourceBackupID: srcID, SourceRegion: "US-EAST-1"}, "SourceRegion"},
		{"region long", &CopyBackupRequest{SourceBackupID: srcID, SourceRegion: long(21, "a")}, "SourceRegion"},
		{"region slash", &CopyBackupRequest{SourceBackupID: srcID, SourceRegion: "us/east"}, "SourceRegion"},
		{"kms long", &CopyBackupRequest{SourceBackupID: srcID, KMSKeyID: long(2049, "k")}, "KMSKeyID"},
		{"kms newline", &CopyBackupRequest{SourceBackupID: srcID, KMSKeyID: "a\nb"}, "KMSKeyID"},
		{"token long", &CopyBackupRequest{SourceBackupID: srcID, ClientRequestToken: long(64, "t")}, "ClientRequestToken"},
		{"token space", &CopyBackupRequest{SourceBackupID: srcID, ClientRequestToken: "a b"}, "ClientRequestToken"},
		{"token unicode", &CopyBackupRequest{SourceBackupID: srcID, ClientRequestToken: "tökén"}, "ClientRequestToken"},
		{"51 tags", &CopyBackupRequest{SourceBackupID: srcID, Tags: tags(51)}, "Tags"},
		{"empty key", &CopyBackupRequest{SourceBackupID: srcID, Tags: []Tag{{Key: "", Value: "v"}}}, "Tags[0].Key"},
		{"long key", &CopyBackupRequest{SourceBackupID: srcID, Tags: []Tag{{Key: long(129, "k")}}}, "Tags[0].Key"},
		{"long value", &CopyBackupRequest{SourceBackupID: srcID, Tags: []Tag{{Key: "k", Value: long(257, "v")}}}, "Tags[0].Value"},
		{"bad key char", &CopyBackupRequest{SourceBackupID: srcID, Tags: []Tag{{Key: "a*b"}}}, "Tags[0].Key"},
		{"bad value char", &CopyBackupRequest{SourceBackupID: srcID, Tags: []Tag{{Key: "k", Value: "<script>"}}}, "Tags[0].Value"},
	}
	mock := httpmock.NewMockTransport()
	c := newMockClient(t, mock)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CopyBackup(context.Background(), tc.req)
			var ve *backupcopy.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Contains(t, ve.Field, tc.field)
			assert.NotEmpty(t, ve.Rule)
		})
	}
	for name, req := range map[string]*DescribeBackupsRequest{
		"51 ids":     {BackupIDs: make([]string, 51)},
		"bad id":     {BackupIDs: []string{"backup-XYZ"}},
		"neg max":    {MaxResults: -1},
		"empty name": {Filters: []Filter{{Values: []string{"x"}}}},
	} {
		for _, err := range c.DescribeBackups(context.Background(), req) {
			var ve *backupcopy.ValidationError
			assert.ErrorAs(t, err, &ve, name)
		}
	}
	var ve *backupcopy.ValidationError
	assert.ErrorAs(t, c.DeleteBackup(context.Background(), "fs-123"), &ve)
	_, err := c.CopyBackupOperation("not-a-backup").Poll(context.Background())
	assert.ErrorAs(t, err, &ve)
	_, err = c.CopyBackupOperation("").Wait(context.Background())
	assert.ErrorAs(t, err, &ve)
	assert.Zero(t, mock.GetTotalCallCount(), "no request was sent")

	// Values the service accepts are accepted.
	ok := []*CopyBackupRequest{
		{SourceBackupID: "backup-01234567"},
		{SourceBackupID: "backup-" + long(121, "f")},
		{SourceBackupID: srcID, SourceRegion: "ap-southeast-2", ClientRequestToken: "Az09_.-" + long(56, "x")},
		{SourceBackupID: srcID, ClientRequestToken: "a^b`c[d]"},
		{SourceBackupID: srcID, Tags: append(tags(49), Tag{Key: "Ünïcode 名前 = +-@:/._", Value: ""})},
		{SourceBackupID: srcID, Tags: []Tag{{Key: long(128, "k"), Value: long(256, "v")}}},
		{SourceBackupID: srcID, KMSKeyID: long(2048, "k")},
	}
	for i, r := range ok {
		assert.NoError(t, r.validate(), "case %d", i)
	}
}

func TestNewClientRegionAndEndpoint(t *testing.T) {
	ctx := context.Background()
	creds := WithCredentials(auth.StaticAWSCredentials(testAKID, testSecret, ""))

	isolateEnv(t)
	_, err := NewClient(ctx, creds)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no region")
	_, err = NewClient(ctx, creds, WithRegion("us-east-1/evil"))
	require.Error(t, err)
	_, err = NewClient(ctx, creds, WithRegion("us-east-1"), WithEndpoint("http://fsx.example.com"))
	require.Error(t, err, "plain http only for loopback")
	_, err = NewClient(ctx, WithRegion("us-east-1"), WithCredentials(nil))
	require.Error(t, err)

	c, err := NewClient(ctx, creds, WithRegion("us-east-1"))
	require.NoError(t, err)
	assert.Equal(t, "https://fsx.us-east-1.amazonaws.com", c.Endpoint())
	c, err = NewClient(ctx, creds, WithRegion("cn-north-1"))
	require.NoError(t, err)
	assert.Equal(t, "https://fsx.cn-north-1.amazonaws.com.cn", c.Endpoint())
	c, err = NewClient(ctx, creds, WithRegion("us-west-2"), WithFIPS())
	require.NoError(t, err)
	assert.Equal(t, "https://fsx-fips.us-west-2.amazonaws.com", c.Endpoint())

	t.Setenv(EnvDefaultRegion, "eu-central-1")
	c, err = NewClient(ctx, creds)
	require.NoError(t, err)
	assert.Equal(t, "eu-central-1", c.Region())
	t.Setenv(EnvRegion, "eu-north-1")
	t.Setenv(EnvEndpoint, "https://all.example.com")
	c, err = NewClient(ctx, creds)
	require.NoError(t, err)
	assert.Equal(t, "eu-north-1", c.Region())
	assert.Equal(t, "https://all.example.com", c.Endpoint())
	t.Setenv(EnvEndpointFSx, "https://fsx.example.com/")
	c, err = NewClient(ctx, creds)
	require.NoError(t, err)
	assert.Equal(t, "https://fsx.example.com", c.Endpoint())
	c, err = NewClient(ctx, creds, WithEndpoint("http://127.0.0.1:9"))
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9", c.Endpoint())
	t.Setenv(EnvIgnoreEndpoints, "true")
	c, err = NewClient(ctx, creds)
	require.NoError(t, err)
	assert.Equal(t, "https://fsx.eu-north-1.amazonaws.com", c.Endpoint())

	// The profile's region from the shared config file.
	isolateEnv(t)
	cfg := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(cfg, []byte("[default]\nregion = ap-northeast-1\n[profile dr]\nregion = ap-south-1\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", cfg)
	c, err = NewClient(ctx, creds)
	require.NoError(t, err)
	assert.Equal(t, "ap-northeast-1", c.Region())
	t.Setenv(EnvProfile, "dr")
	c, err = NewClient(ctx, creds)
	require.NoError(t, err)
	assert.Equal(t, "ap-south-1", c.Region())
}

// TestDefaultCredentialsFromEnvironment: without WithCredentials, requests
// are signed with the environment's keys.
func TestDefaultCredentialsFromEnvironment(t *testing.T) {
	mock, rc := mockWith(t, jsonResp(200, copyOK))
	isolateEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", testAKID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	c, err := NewClient(context.Background(), WithRegion(testRegion), WithHTTPClient(&http.Client{Transport: mock}))
	require.NoError(t, err)
	_, err = c.CopyBackup(context.Background(), &CopyBackupRequest{SourceBackupID: srcID})
	require.NoError(t, err)
	assert.Equal(t, 1, rc.count())

	// No credentials anywhere: a clear error, no request.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	c, err = NewClient(context.Background(), WithRegion(testRegion), WithHTTPClient(&http.Client{Transport: mock}))
	require.NoError(t, err)
	_, err = c.CopyBackup(context.Background(), &CopyBackupRequest{SourceBackupID: srcID})
	require.Error(t, err)
	assert.Equal(t, 1, rc.count())
	_, err = c.CopyBackupOperation(srcID).Wait(context.Background())
	require.Error(t, err, "a signer failure is not a transient poll error")
}

func TestDescribeBackupsPages(t *testing.T) {
	mock, rc := mockWith(t,
		jsonResp(200, `{"Backups":[{"BackupId":"backup-00000001","CreationTime":1700000000.5,"Lifecycle":"AVAILABLE"}],"NextToken":"t1"}`),
		jsonResp(200, `{"Backups":[],"NextToken":"t2"}`),
		jsonResp(200, `{"Backups":[{"BackupId":"backup-00000002","Tags":[{"Key":"a","Value":"b"}],"FileSystem":{"FileSystemId":"fs-1","FileSystemType":"WINDOWS"},"Volume":{"VolumeId":"fsvol-1"}}]}`))
	c := newMockClient(t, mock)
	var ids []string
	var got []*Backup
	for b, err := range c.DescribeBackups(context.Background(), &DescribeBackupsRequest{
		Filters: []Filter{{Name: FilterFileSystemID, Values: []string{"fs-1"}}}, MaxResults: 1,
	}) {
		require.NoError(t, err)
		ids = append(ids, b.BackupID)
		got = append(got, b)
	}
	assert.Equal(t, []string{"backup-00000001", "backup-00000002"}, ids)
	require.Equal(t, 3, rc.count())
	assert.JSONEq(t, `{"Filters":[{"Name":"file-system-id","Values":["fs-1"]}],"MaxResults":1}`, string(rc.bodies[0]))
	assert.JSONEq(t, `{"Filters":[{"Name":"file-system-id","Values":["fs-1"]}],"MaxResults":1,"NextToken":"t1"}`, string(rc.bodies[1]))
	assert.JSONEq(t, `{"Filters":[{"Name":"file-system-id","Values":["fs-1"]}],"MaxResults":1,"NextToken":"t2"}`, string(rc.bodies[2]))
	assert.Equal(t, time.Unix(1700000000, 500000000).UTC(), got[0].CreationTime)
	assert.Equal(t, "fs-1", got[1].FileSystemID)
	assert.Equal(t, "WINDOWS", got[1].FileSystemType)
	assert.Equal(t, "fsvol-1", got[1].VolumeID)
	for _, r := range rc.reqs {
		assert.Equal(t, "AWSSimbaAPIService_v20180301.DescribeBackups", r.Header.Get("X-Amz-Target"))
	}

	// Breaking out of the loop stops paging.
	mock, rc = mockWith(t, jsonResp(200, `{"Backups":[{"BackupId":"backup-00000001"},{"BackupId":"backup-00000003"}],"NextToken":"t1"}`))
	c = newMockClient(t, mock)
	for range c.DescribeBackups(context.Background(), nil) {
		break
	}
	assert.Equal(t, 1, rc.count())

	// A NextToken that repeats ends the listing with an error.
	mock, _ = mockWith(t, jsonResp(200, `{"Backups":[],"NextToken":"same"}`))
	c = newMockClient(t, mock)
	var last error
	for _, err := range c.DescribeBackups(context.Background(), nil) {
		last = err
	}
	require.Error(t, last)
}

func TestDeleteBackupWire(t *testing.T) {
	mock, rc := mockWith(t, errResp(503, "ServiceUnavailable", "x"), jsonResp(200, `{"BackupId":"backup-00000001","Lifecycle":"DELETED"}`))
	c := newMockClient(t, mock)
	require.NoError(t, c.DeleteBackup(context.Background(), "backup-00000001"))
	require.Equal(t, 2, rc.count())
	assert.Equal(t, string(rc.bodies[0]), string(rc.bodies[1]))
	var body map[string]string
	require.NoError(t, json.Unmarshal(rc.bodies[0], &body))
	assert.Equal(t, "backup-00000001", body["BackupId"])
	assert.NotEmpty(t, body["ClientRequestToken"])
	assert.Equal(t, "AWSSimbaAPIService_v20180301.DeleteBackup", rc.reqs[0].Header.Get("X-Amz-Target"))
}

// TestWaitStates: Wait follows PENDING -> COPYING -> AVAILABLE with
// progress; FAILED and DELETED end it with a *CopyFailedError; a poll that
// throttles is retried.
func TestWaitStates(t *testing.T) {
	desc := func(lc string, pct int, extra string) func(*http.Request) (*http.Response, error) {
		b, _ := json.Marshal(map[string]any{"Backups": []any{json.RawMessage(`{"BackupId":"backup-00000000000000abc","Lifecycle":"` + lc + `","ProgressPercent":` + jsonInt(pct) + extra + `}`)}})
		return jsonResp(200, string(b))
	}
	mock := httpmock.NewMockTransport()
	rc := &recorder{t: t, answers: []func(*http.Request) (*http.Response, error){
		jsonResp(200, copyOK),
		desc("PENDING", 0, ""),
		errResp(400, "ThrottlingException", "slow"),
		desc("COPYING", 40, ""),
		desc("COPYING", 80, ""),
		desc("AVAILABLE", 100, ""),
	}}
	mock.RegisterResponder(http.MethodPost, testURL, rc.respond)
	c := newMockClient(t, mock)
	op, err := c.CopyBackup(context.Background(), &CopyBackupRequest{SourceBackupID: srcID})
	require.NoError(t, err)
	var pcts []int
	b, err := op.Wait(context.Background(), lro.WithProgress(func(p lro.Progress) { pcts = append(pcts, p.Percent) }))
	require.NoError(t, err)
	assert.Equal(t, LifecycleAvailable, b.Lifecycle)
	assert.Equal(t, []int{0, 40, 80, 100}, pcts)
	assert.True(t, op.Done())
	assert.Equal(t, LifecycleAvailable, op.Metadata().Lifecycle)
	var body map[string]any
	require.NoError(t, json.Unmarshal(rc.bodies[1], &body))
	assert.Equal(t, map[string]any{"BackupIds": []any{"backup-00000000000000abc"}}, body)

	for _, tc := range []struct {
		lc, extra string
	}{{"FAILED", `,"FailureDetails":{"Message":"KMS key disabled"}`}, {"DELETED", ""}} {
		mock, _ := mockWith(t, desc(tc.lc, 0, tc.extra))
		c := newMockClient(t, mock)
		_, err := c.CopyBackupOperation("backup-00000000000000abc").Wait(context.Background())
		var fe *CopyFailedError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, Lifecycle(tc.lc), fe.Lifecycle)
		if tc.lc == "FAILED" {
			assert.Equal(t, "KMS key disabled", fe.Message)
			assert.Contains(t, err.Error(), "KMS key disabled")
			assert.NotErrorIs(t, err, ErrBackupDeleted)
		} else {
			assert.ErrorIs(t, err, ErrBackupDeleted)
		}
	}

	// BackupNotFound while polling ends Wait (it is not transient).
	mock, rc = mockWith(t, errResp(400, "BackupNotFound", "no"))
	c = newMockClient(t, mock)
	_, err = c.CopyBackupOperation("backup-00000000000000abc").Wait(context.Background())
	var nf *BackupNotFound
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, 1, rc.count())
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestClosed(t *testing.T) {
	mock := httpmock.NewMockTransport()
	c := newMockClient(t, mock)
	require.NoError(t, c.Close())
	_, err := c.CopyBackup(context.Background(), &CopyBackupRequest{SourceBackupID: srcID})
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, c.DeleteBackup(context.Background(), srcID), ErrClosed)
	for _, err := range c.DescribeBackups(context.Background(), nil) {
		assert.ErrorIs(t, err, ErrClosed)
	}
	assert.Zero(t, mock.GetTotalCallCount())
}

func TestBackupJSONRoundTrip(t *testing.T) {
	in := Backup{
		BackupID: "backup-0123456789abcdef0", Lifecycle: LifecycleCopying, Type: BackupTypeUserInitiated, ProgressPercent: 42,
		CreationTime: time.Date(2026, 11, 3, 10, 0, 0, 123000000, time.UTC), FailureDetails: FailureDetails{},
		KMSKeyID: "k", ResourceARN: "arn:aws:fsx:us-east-1:123456789012:backup/backup-0123456789abcdef0",
		Tags: []Tag{{Key: "a", Value: "<&>"}}, OwnerID: "123456789012", SourceBackupID: "backup-00000001",
		SourceBackupRegion: "us-west-2", ResourceType: ResourceTypeVolume, SizeInBytes: 1 << 40, VolumeID: "fsvol-1",
	}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"CreationTime":1793700000.123`)
	var out Backup
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, out)

	for raw, want := range map[string]time.Time{
		`1700000000`:            time.Unix(1700000000, 0).UTC(),
		`1700000000.25`:         time.Unix(1700000000, 250000000).UTC(),
		`1.7e9`:                 time.Unix(1700000000, 0).UTC(),
		`-1.5`:                  time.Unix(-2, 500000000).UTC(),
		`1700000000.1234567891`: time.Unix(1700000000, 123456789).UTC(),
		`1700000000.123456789`:  time.Unix(1700000000, 123456789).UTC(),
		`1700000000.000000001`:  time.Unix(1700000000, 1).UTC(),
	} {
		var b Backup
		require.NoError(t, json.Unmarshal([]byte(`{"CreationTime":`+raw+`}`), &b), raw)
		assert.True(t, want.Equal(b.CreationTime), "%s: %v", raw, b.CreationTime)
	}
	for _, bad := range []string{`"2026-01-01"`, `1e400`, `99999999999999`, `true`} {
		var b Backup
		assert.Error(t, json.Unmarshal([]byte(`{"CreationTime":`+bad+`}`), &b), bad)
	}
	assert.True(t, bytes.Contains(must(json.Marshal(Backup{CreationTime: time.Unix(-2, 500000000)})), []byte(`"CreationTime":-1.5`)))
	assert.True(t, bytes.Contains(must(json.Marshal(Backup{CreationTime: time.Unix(1700000000, 123456789)})), []byte(`"CreationTime":1700000000.123456789`)), "every digit written")
	assert.Len(t, Lifecycles(), 7)
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// AWS echoes the canonical request it expected on a signature mismatch; the
// session token it holds never reaches the error.
func TestSignatureEchoTrimmed(t *testing.T) {
	const token = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"
	msg := "The request signature we calculated does not match the signature you provided.\n\n" +
		"The Canonical String for this request should have been\n'POST\n/\n\nhost:fsx.us-east-1.amazonaws.com\nx-amz-security-token:" + token + "\n'\n\n" +
		"The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20261201T000000Z\n...'"
	body, err := json.Marshal(map[string]string{"__type": "InvalidSignatureException", "message": msg})
	require.NoError(t, err)
	e := DecodeAPIError(403, http.Header{}, body)
	assert.NotContains(t, e.Error(), token)
	assert.NotContains(t, fmt.Sprintf("%+v %#v", e, e), token)
	assert.Contains(t, e.Error(), "does not match the signature you provided")
	var ae smithy.APIError
	require.ErrorAs(t, e, &ae)
	assert.Equal(t, "InvalidSignatureException", ae.ErrorCode())
}

func TestRegionOK(t *testing.T) {
	for _, r := range []string{"us-east-1", "cn-north-1", "eu-west-3", "a", "9"} {
		assert.True(t, regionOK(r), r)
	}
	for _, r := range []string{"", "-us", "us-", "US-east-1", "us_east_1", "us east", "us.east", "é"} {
		assert.False(t, regionOK(r), r)
	}
}
