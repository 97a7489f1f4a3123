package sigv4

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth"
)

const (
	testAKID   = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testToken  = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN//////////wEaCXVzLWVhc3QtMSJH"
	copyBody   = `{"SourceBackupId":"backup-0123456789abcdef0","SourceRegion":"us-west-2","ClientRequestToken":"c0ffee"}`
)

var testTime = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// fsxRequest builds the request the fsx client sends for CopyBackup.
func fsxRequest(t testing.TB, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "https://fsx.us-east-1.amazonaws.com/", bytes.NewReader([]byte(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSSimbaAPIService_v20180301.CopyBackup")
	req.Header.Set("User-Agent", "backupcopy/test")
	return req
}

func sign(t testing.TB, s *Signer, req *http.Request, body []byte, at time.Time) {
	t.Helper()
	require.NoError(t, s.Authenticate(auth.WithSigningTime(context.Background(), at), req, body))
}

func TestAuthenticateFSxRequest(t *testing.T) {
	tests := []struct {
		name, token, signedHeaders string
	}{
		{"long-term key", "", "content-length;content-type;host;x-amz-date;x-amz-target"},
		{"session token", testToken, "content-length;content-type;host;x-amz-date;x-amz-security-token;x-amz-target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := fsxRequest(t, copyBody)
			s := New(auth.StaticAWSCredentials(testAKID, testSecret, tt.token), "fsx", "us-east-1")
			sign(t, s, req, []byte(copyBody), testTime)

			a, err := ParseAuthorization(req.Header.Get("Authorization"))
			require.NoError(t, err)
			assert.Equal(t, testAKID, a.AccessKeyID)
			assert.Equal(t, "20261122/us-east-1/fsx/aws4_request", a.Scope())
			assert.Equal(t, tt.signedHeaders, strings.Join(a.SignedHeaders, ";"))
			assert.Len(t, a.Signature, 64)
			assert.Equal(t, "20261122T120000Z", req.Header.Get("X-Amz-Date"))
			assert.Equal(t, tt.token, req.Header.Get("X-Amz-Security-Token"))
			// net/http writes these from req.Host and req.ContentLength.
			assert.Empty(t, req.Header.Values("Host"))
			assert.Empty(t, req.Header.Values("Content-Length"))
			assert.Equal(t, "fsx.us-east-1.amazonaws.com", req.Host)
			assert.Equal(t, "backupcopy/test", req.Header.Get("User-Agent"))

			require.NoError(t, Verify(req, []byte(copyBody), testAKID, testSecret, "fsx", testTime, 0))
		})
	}
}

// TestAuthenticateKnownAnswer pins the signature of a fixed FSx request;
// the expected value was computed independently (by aws-sdk-go-v2's signer
// in internal/peertest for the same input).
func TestAuthenticateKnownAnswer(t *testing.T) {
	req := fsxRequest(t, copyBody)
	s := New(auth.StaticAWSCredentials(testAKID, testSecret, ""), "fsx", "us-east-1")
	sign(t, s, req, []byte(copyBody), testTime)
	a, err := ParseAuthorization(req.Header.Get("Authorization"))
	require.NoError(t, err)
	canonical := canonicalRequest(req, a.SignedHeaders, hexSHA256([]byte(copyBody)))
	assert.Equal(t, "POST\n/\n\n"+
		"content-length:"+fmt.Sprint(len(copyBody))+"\n"+
		"content-type:application/x-amz-json-1.1\n"+
		"host:fsx.us-east-1.amazonaws.com\n"+
		"x-amz-date:20261122T120000Z\n"+
		"x-amz-target:AWSSimbaAPIService_v20180301.CopyBackup\n\n"+
		"content-length;content-type;host;x-amz-date;x-amz-target\n"+
		hexSHA256([]byte(copyBody)), canonical)
	assert.Equal(t, knownFSxSignature, a.Signature)
}

// knownFSxSignature is aws-sdk-go-v2's signature for TestAuthenticateKnownAnswer's request.
const knownFSxSignature = "2ee25d16129238df28c539ea2a9736bf145978e19b2273fed39b5f64946be912"

func TestAuthenticateResignsEachAttempt(t *testing.T) {
	creds := &swappableCreds{}
	creds.set(auth.AWSCredentials{AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: testToken})
	s := New(creds, "fsx", "us-east-1")
	req := fsxRequest(t, copyBody)
	sign(t, s, req, []byte(copyBody), testTime)
	first := req.Header.Get("Authorization")
	assert.Equal(t, testToken, req.Header.Get("X-Amz-Security-Token"))

	// a retry a second later with long-term credentials: new date, no token
	creds.set(auth.AWSCredentials{AccessKeyID: testAKID, SecretAccessKey: testSecret})
	sign(t, s, req, []byte(copyBody), testTime.Add(time.Second))
	assert.NotEqual(t, first, req.Header.Get("Authorization"))
	assert.Len(t, req.Header.Values("Authorization"), 1)
	assert.Len(t, req.Header.Values("X-Amz-Date"), 1)
	assert.Equal(t, "20261122T120001Z", req.Header.Get("X-Amz-Date"))
	assert.Empty(t, req.Header.Values("X-Amz-Security-Token"))
	require.NoError(t, Verify(req, []byte(copyBody), testAKID, testSecret, "fsx", testTime, 0))
}

func TestAuthenticateNormalizesRequest(t *testing.T) {
	tests := []struct {
		name, url, wantHost, wantQuery string
	}{
		{"https default port dropped", "https://fsx.us-east-1.amazonaws.com:443/", "fsx.us-east-1.amazonaws.com", ""},
		{"http default port dropped", "http://127.0.0.1:80/", "127.0.0.1", ""},
		{"other port kept", "http://127.0.0.1:8443/", "127.0.0.1:8443", ""},
		{"https on port 80 kept", "https://h.example:80/", "h.example:80", ""},
		{"ipv6 kept", "http://[::1]:9000/", "[::1]:9000", ""},
		{"query made canonical", "https://h.example/p?b=2&a=x+y&a=%7e&c", "h.example", "a=x%20y&a=~&b=2&c="},
		{"query sorted by encoded form", "https://h.example/?Param-3=3&Param=2&%E1%88%B4=1", "h.example", "%E1%88%B4=1&Param=2&Param-3=3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, tt.url, nil)
			require.NoError(t, err)
			s := New(auth.StaticAWSCredentials(testAKID, testSecret, ""), "svc", "us-east-1")
			sign(t, s, req, nil, testTime)
			assert.Equal(t, tt.wantHost, req.Host)
			assert.Equal(t, tt.wantQuery, req.URL.RawQuery)
			require.NoError(t, Verify(req, nil, testAKID, testSecret, "svc", testTime, 0))
		})
	}

	t.Run("header values and keys", func(t *testing.T) {
		req := fsxRequest(t, "{}")
		req.Header.Set("X-Spaced", "  a   b  c ")
		req.Header["x-lower"] = []string{"two"}
		req.Header["X-Lower"] = []string{"one"}
		req.Header["X-LOWER"] = []string{"zero"}
		req.Header["x-amz-security-token"] = []string{"stale"}
		req.Header.Set("X-Amzn-Trace-Id", "Root=1-unsigned")
		req.Header.Set("Content-Length", "999") // ignored: req.ContentLength is what is sent
		s := New(auth.StaticAWSCredentials(testAKID, testSecret, ""), "fsx", "us-east-1")
		sign(t, s, req, []byte("{}"), testTime)
		assert.Equal(t, []string{"a b c"}, req.Header["X-Spaced"])
		assert.Equal(t, []string{"zero", "one", "two"}, req.Header["X-Lower"])
		assert.NotContains(t, req.Header, "x-lower")
		assert.NotContains(t, req.Header, "X-LOWER")
		assert.NotContains(t, req.Header, "x-amz-security-token")
		a, err := ParseAuthorization(req.Header.Get("Authorization"))
		require.NoError(t, err)
		assert.Equal(t, "content-length;content-type;host;x-amz-date;x-amz-target;x-lower;x-spaced", strings.Join(a.SignedHeaders, ";"))
		assert.Equal(t, "2", canonicalHeaderValue(req, "content-length"))
		require.NoError(t, Verify(req, []byte("{}"), testAKID, testSecret, "fsx", testTime, 0))
	})
}

// TestSigningPathsAgree: the aws-http-auth path and this package's direct
// path produce the same header for requests whose query order is the same
// either way.
func TestSigningPathsAgree(t *testing.T) {
	urls := []string{
		"https://fsx.us-east-1.amazonaws.com/",
		"https://h.example/a%20b/c%2Fd/~e/%C3%BC?x=1&x=0&y=a%2Fb",
		"http://127.0.0.1:8080/v1/x:copy?alt=json&$x=!'()*",
		"https://h.example/double//slash/./dot/../?",
	}
	for _, u := range urls {
		for _, token := range []string{"", testToken} {
			var auths [2]string
			for i, direct := range []bool{false, true} {
				req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader([]byte("payload")))
				require.NoError(t, err)
				req.Header.Add("X-Multi", "b")
				req.Header.Add("X-Multi", " a ")
				req.Header.Set("Content-Type", "text/plain; charset=utf-8")
				s := New(auth.StaticAWSCredentials(testAKID, testSecret, token), "svc", "eu-west-3")
				s.direct = direct
				sign(t, s, req, []byte("payload"), testTime)
				auths[i] = req.Header.Get("Authorization")
				require.NoError(t, Verify(req, []byte("payload"), testAKID, testSecret, "svc", testTime, 0), u)
			}
			assert.Equal(t, auths[0], auths[1], u)
		}
	}
}

func TestAuthenticateErrors(t *testing.T) {
	providerErr := errors.New("no credentials here")
	failing := providerFunc(func(context.Context) (auth.AWSCredentials, error) { return auth.AWSCredentials{}, providerErr })
	empty := providerFunc(func(context.Context) (auth.AWSCredentials, error) {
		return auth.AWSCredentials{AccessKeyID: testAKID}, nil
	})
	good := auth.StaticAWSCredentials(testAKID, testSecret, "")
	tests := []struct {
		name   string
		signer *Signer
		req    func() *http.Request
		body   []byte
		want   string
	}{
		{"nil provider", New(nil, "fsx", "us-east-1"), func() *http.Request { return fsxRequest(t, "{}") }, []byte("{}"), "no AWS credentials provider"},
		{"no service", New(good, "", "us-east-1"), func() *http.Request { return fsxRequest(t, "{}") }, []byte("{}"), "no signing service"},
		{"no region", New(good, "fsx", ""), func() *http.Request { return fsxRequest(t, "{}") }, []byte("{}"), "no signing region"},
		{"provider fails", New(failing, "fsx", "us-east-1"), func() *http.Request { return fsxRequest(t, "{}") }, []byte("{}"), "no credentials here"},
		{"empty secret", New(empty, "fsx", "us-east-1"), func() *http.Request { return fsxRequest(t, "{}") }, []byte("{}"), "empty access key id or secret"},
		{"static without secret", New(auth.StaticAWSCredentials(testAKID, "", ""), "fsx", "us-east-1"), func() *http.Request { return fsxRequest(t, "{}") }, []byte("{}"), "secret access key"},
		{"length mismatch", New(good, "fsx", "us-east-1"), func() *http.Request { return fsxRequest(t, "{}") }, []byte("{ }"), "ContentLength is 2 but the body has 3 bytes"},
		{"opaque URL", New(good, "fsx", "us-east-1"), func() *http.Request {
			r := fsxRequest(t, "{}")
			r.URL.Opaque = "//other/path"
			return r
		}, []byte("{}"), "opaque"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req()
			err := tt.signer.Authenticate(context.Background(), req, tt.body)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, req.Header.Get("Authorization"))
			assert.NotContains(t, err.Error(), testSecret)
		})
	}
	err := New(failing, "fsx", "us-east-1").Authenticate(context.Background(), fsxRequest(t, "{}"), []byte("{}"))
	assert.ErrorIs(t, err, providerErr)
}

func TestInvalidateForwardsToCache(t *testing.T) {
	var calls atomic.Int32
	p := auth.NewCachedAWSCredentials(providerFunc(func(context.Context) (auth.AWSCredentials, error) {
		calls.Add(1)
		return auth.AWSCredentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}, nil
	}))
	s := New(p, "fsx", "us-east-1")
	for i := 0; i < 3; i++ {
		sign(t, s, fsxRequest(t, "{}"), []byte("{}"), testTime)
	}
	assert.EqualValues(t, 1, calls.Load())
	s.Invalidate()
	sign(t, s, fsxRequest(t, "{}"), []byte("{}"), testTime)
	assert.EqualValues(t, 2, calls.Load())
	New(auth.StaticAWSCredentials(testAKID, testSecret, ""), "fsx", "us-east-1").Invalidate() // not a cache: no-op
}

func TestRedaction(t *testing.T) {
	signers := []*Signer{
		New(auth.StaticAWSCredentials(testAKID, testSecret, testToken), "fsx", "us-east-1"),
		New(auth.DefaultAWSCredentials(), "fsx", "us-east-1"),
		New(providerFunc(func(context.Context) (auth.AWSCredentials, error) { return auth.AWSCredentials{}, nil }), "fsx", "us-east-1"),
		New(nil, "fsx", "us-east-1"),
	}
	for _, s := range signers {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			out := fmt.Sprintf(verb, s)
			assert.NotContains(t, out, testSecret, verb)
			assert.NotContains(t, out, testToken, verb)
			assert.NotContains(t, out, "wJalr", verb)
			assert.NotContains(t, out, "IQoJb3", verb)
		}
		assert.Contains(t, fmt.Sprintf("%v", s), `Service: "fsx"`)
	}
	assert.Contains(t, fmt.Sprint(signers[0]), testAKID)
	assert.Contains(t, fmt.Sprint(signers[1]), "CachedAWSCredentials")

	// a mismatch error carries neither the secret nor the token in its text
	req := fsxRequest(t, copyBody)
	sign(t, signers[0], req, []byte(copyBody), testTime)
	err := Verify(req, []byte(copyBody), testAKID, "other-secret", "fsx", testTime, 0)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), testToken)
	assert.NotContains(t, fmt.Sprintf("%+v", err), testSecret)
}

type providerFunc func(context.Context) (auth.AWSCredentials, error)

func (f providerFunc) Retrieve(ctx context.Context) (auth.AWSCredentials, error) { return f(ctx) }

type swappableCreds struct{ v atomic.Value }

func (s *swappableCreds) set(c auth.AWSCredentials) { s.v.Store(c) }
func (s *swappableCreds) Retrieve(context.Context) (auth.AWSCredentials, error) {
	return s.v.Load().(auth.AWSCredentials), nil
}

// TestSignerErrorKinds: missing credentials are PermissionDenied, a provider's
// own Kind is kept, the caller's ended context stays Canceled.
func TestSignerErrorKinds(t *testing.T) {
	req := func() *http.Request { return httptest.NewRequest("POST", "https://fsx.us-east-1.amazonaws.com/", nil) }
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cached := &auth.CachedAWSCredentials{Provider: slowProvider{}, RefreshTimeout: 50 * time.Millisecond}
	for _, tt := range []struct {
		name string
		err  error
		want backupcopy.Kind
	}{
		{"no provider", New(nil, "fsx", "us-east-1").Authenticate(context.Background(), req(), nil), backupcopy.PermissionDenied},
		{"empty static keys", New(auth.StaticAWSCredentials("", "", ""), "fsx", "us-east-1").Authenticate(context.Background(), req(), nil), backupcopy.PermissionDenied},
		{"no region", New(auth.StaticAWSCredentials("a", "s", ""), "fsx", "").Authenticate(context.Background(), req(), nil), backupcopy.InvalidInput},
		{"caller gave up", New(cached, "fsx", "us-east-1").Authenticate(cancelled, req(), nil), backupcopy.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Error(t, tt.err)
			assert.Equal(t, tt.want, backupcopy.KindOf(tt.err))
		})
	}
	verr := Verify(req(), nil, "AKID", "secret", "fsx", time.Now(), 0)
	assert.Equal(t, backupcopy.PermissionDenied, backupcopy.KindOf(verr))
}

// slowProvider answers only when its context ends.
type slowProvider struct{}

func (slowProvider) Retrieve(ctx context.Context) (auth.AWSCredentials, error) {
	<-ctx.Done()
	return auth.AWSCredentials{}, ctx.Err()
}
