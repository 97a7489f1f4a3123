package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/auth"
)

func TestVerifyRejects(t *testing.T) {
	body := []byte(copyBody)
	replaceAuth := func(old, new string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
		}
	}
	tests := []struct {
		name     string
		mutate   func(r *http.Request)
		body     []byte // nil: the signed body
		akid     string // "": testAKID
		secret   string // "": testSecret
		service  string // "": fsx
		now      time.Time
		wantKind error
		wantCode string
		wantMsg  string
	}{
		{name: "changed body", body: []byte(strings.Replace(copyBody, "us-west-2", "us-west-1", 1)), wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature, wantMsg: "does not match"},
		{name: "truncated body", body: body[:len(body)-1], wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature},
		{name: "changed signed header", mutate: func(r *http.Request) {
			r.Header.Set("X-Amz-Target", "AWSSimbaAPIService_v20180301.DeleteBackup")
		}, wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature},
		{name: "removed signed header", mutate: func(r *http.Request) { r.Header.Del("Content-Type") }, wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature},
		{name: "added value to signed header", mutate: func(r *http.Request) { r.Header.Add("X-Amz-Target", "x") }, wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature},
		{name: "changed path", mutate: func(r *http.Request) { r.URL.Path = "/other" }, wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature},
		{name: "added query", mutate: func(r *http.Request) { r.URL.RawQuery = "a=1" }, wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature},
		{name: "changed method", mutate: func(r *http.Request) { r.Method = http.MethodPut }, wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature},
		{name: "changed host", mutate: func(r *http.Request) { r.Host = "fsx.us-west-2.amazonaws.com" }, wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature},
		{name: "changed date", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20261122T120001Z") }, wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature},
		{name: "changed token", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "other") }, wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature},
		{name: "wrong secret", secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ", wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature},
		{name: "changed region in scope", mutate: replaceAuth("/us-east-1/", "/us-east-2/"), wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature},
		{name: "uppercase signature", mutate: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			i := strings.Index(a, "Signature=") + len("Signature=")
			r.Header.Set("Authorization", a[:i]+strings.ToUpper(a[i:]))
		}, wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature},
		{name: "unknown access key", akid: "AKIAOTHERKEYEXAMPLE0", wantKind: ErrUnknownAccessKey, wantCode: CodeUnrecognizedClient, wantMsg: "security token included in the request is invalid"},
		{name: "wrong service", service: "s3", wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature, wantMsg: "Credential should be scoped to correct service: 's3'"},
		{name: "expired", now: testTime.Add(5*time.Minute + time.Second), wantKind: ErrRequestExpired, wantCode: CodeInvalidSignature,
			wantMsg: "Signature expired: 20261122T120000Z is now earlier than 20261122T120001Z (20261122T120501Z - 5 min.)"},
		{name: "from the future", now: testTime.Add(-5*time.Minute - time.Second), wantKind: ErrRequestExpired, wantCode: CodeInvalidSignature,
			wantMsg: "Signature not yet current: 20261122T120000Z is still later than 20261122T115959Z (20261122T115459Z + 5 min.)"},
		{name: "no Authorization", mutate: func(r *http.Request) { r.Header.Del("Authorization") }, wantKind: ErrMissingAuth, wantCode: CodeMissingAuthenticationToken, wantMsg: "Missing Authentication Token"},
		{name: "empty Authorization", mutate: func(r *http.Request) { r.Header.Set("Authorization", " ") }, wantKind: ErrMissingAuth, wantCode: CodeMissingAuthenticationToken},
		{name: "two Authorization headers", mutate: func(r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) }, wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature},
		{name: "other scheme", mutate: func(r *http.Request) { r.Header.Set("Authorization", "Basic Zm9vOmJhcg==") }, wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature, wantMsg: "Unsupported authorization algorithm \"Basic\""},
		{name: "sigv4a", mutate: replaceAuth("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"), wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature},
		{name: "no Signature", mutate: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
		}, wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature, wantMsg: "Authorization header requires 'Signature' parameter."},
		{name: "no Credential", mutate: replaceAuth("Credential=", "Cred="), wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature},
		{name: "element without =", mutate: replaceAuth("SignedHeaders=", "SignedHeaders "), wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature},
		{name: "short credential", mutate: replaceAuth("/us-east-1/fsx/aws4_request", "/us-east-1/aws4_request"), wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature},
		{name: "bad terminator", mutate: replaceAuth("/aws4_request", "/aws5_request"), wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature, wantMsg: "valid terminator"},
		{name: "bad scope date", mutate: replaceAuth("/20261122/", "/2026-11-22/"), wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature},
		{name: "scope date differs from X-Amz-Date", mutate: replaceAuth("/20261122/", "/20261121/"), wantKind: ErrSignatureMismatch, wantCode: CodeInvalidSignature, wantMsg: "Date in Credential scope does not match"},
		{name: "no X-Amz-Date", mutate: func(r *http.Request) { r.Header.Del("X-Amz-Date") }, wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature, wantMsg: "X-Amz-Date"},
		{name: "bad X-Amz-Date", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Date", "Sun, 22 Nov 2026 12:00:00 GMT") }, wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature},
		{name: "host not signed", mutate: replaceAuth(";host;", ";"), wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature, wantMsg: "must include host and x-amz-date"},
		{name: "date not signed", mutate: replaceAuth(";x-amz-date;", ";"), wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature},
		{name: "header listed twice", mutate: replaceAuth(";host;", ";host;host;"), wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature},
		{name: "upper-case signed header", mutate: replaceAuth(";host;", ";Host;"), wantKind: ErrMalformedAuth, wantCode: CodeIncompleteSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := fsxRequest(t, copyBody)
			sign(t, New(auth.StaticAWSCredentials(testAKID, testSecret, testToken), "fsx", "us-east-1"), req, body, testTime)
			require.NoError(t, Verify(req, body, testAKID, testSecret, "fsx", testTime, 0), "unmutated")
			if tt.mutate != nil {
				tt.mutate(req)
			}
			b, akid, secret, service, now := body, testAKID, testSecret, "fsx", testTime
			if tt.body != nil {
				b = tt.body
			}
			if tt.akid != "" {
				akid = tt.akid
			}
			if tt.secret != "" {
				secret = tt.secret
			}
			if tt.service != "" {
				service = tt.service
			}
			if !tt.now.IsZero() {
				now = tt.now
			}
			err := Verify(req, b, akid, secret, service, now, 5*time.Minute)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.wantKind)
			var ve *VerifyError
			require.True(t, errors.As(err, &ve))
			assert.Equal(t, tt.wantCode, ve.Code)
			if tt.wantMsg != "" {
				assert.Contains(t, ve.Message, tt.wantMsg)
			}
			for _, other := range []error{ErrMissingAuth, ErrMalformedAuth, ErrUnknownAccessKey, ErrSignatureMismatch, ErrRequestExpired} {
				if other != tt.wantKind {
					assert.NotErrorIs(t, err, other)
				}
			}
			assert.NotContains(t, err.Error(), testSecret)
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	body := []byte(copyBody)
	tests := []struct {
		name   string
		mutate func(r *http.Request)
		now    time.Time
		skew   time.Duration
	}{
		{name: "as signed"},
		{name: "unsigned header added in transit", mutate: func(r *http.Request) {
			r.Header.Set("Accept-Encoding", "gzip")
			r.Header.Set("X-Forwarded-For", "10.0.0.1")
		}},
		{name: "user agent changed", mutate: func(r *http.Request) { r.Header.Set("User-Agent", "proxy/1.0") }},
		{name: "signed header respaced", mutate: func(r *http.Request) {
			r.Header.Set("Content-Type", "  application/x-amz-json-1.1\t")
		}},
		{name: "host header map entry ignored", mutate: func(r *http.Request) { r.Header.Set("Host", "ignored.example") }},
		{name: "edge of the window, past", now: testTime.Add(5 * time.Minute)},
		{name: "edge of the window, future", now: testTime.Add(-5 * time.Minute)},
		{name: "wider window", now: testTime.Add(14 * time.Minute), skew: 15 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := fsxRequest(t, copyBody)
			sign(t, New(auth.StaticAWSCredentials(testAKID, testSecret, ""), "fsx", "us-east-1"), req, body, testTime)
			if tt.mutate != nil {
				tt.mutate(req)
			}
			now := testTime
			if !tt.now.IsZero() {
				now = tt.now
			}
			assert.NoError(t, Verify(req, body, testAKID, testSecret, "fsx", now, tt.skew))
		})
	}
}

func TestVerifyLookup(t *testing.T) {
	keys := map[string]string{testAKID: testSecret, "AKIASECONDKEYEXAMPLE": "second-secret"}
	lookup := func(id string) (string, bool) { s, ok := keys[id]; return s, ok }
	for id, secret := range keys {
		req := fsxRequest(t, "{}")
		sign(t, New(auth.StaticAWSCredentials(id, secret, ""), "fsx", "us-east-1"), req, []byte("{}"), testTime)
		assert.NoError(t, VerifyLookup(req, []byte("{}"), lookup, "fsx", testTime, 0))
	}
	req := fsxRequest(t, "{}")
	sign(t, New(auth.StaticAWSCredentials("AKIAUNKNOWNEXAMPLE00", "x", ""), "fsx", "us-east-1"), req, []byte("{}"), testTime)
	assert.ErrorIs(t, VerifyLookup(req, []byte("{}"), lookup, "fsx", testTime, 0), ErrUnknownAccessKey)
	assert.ErrorIs(t, Verify(req, []byte("{}"), "", "", "fsx", testTime, 0), ErrUnknownAccessKey)
}

// TestVerifyOverTheWire sends signed requests through a real HTTP connection
// to a server that verifies them, so that what net/http writes (Host,
// Content-Length, the escaped path, repeated headers) is what was signed.
func TestVerifyOverTheWire(t *testing.T) {
	var now time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := Verify(r, b, testAKID, testSecret, "fsx", now, 0); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	tests := []struct {
		name, method, path, query, token string
		header                           http.Header
		body                             []byte
	}{
		{name: "fsx copy", method: "POST", path: "/", body: []byte(copyBody), header: http.Header{
			"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {"AWSSimbaAPIService_v20180301.CopyBackup"}}},
		{name: "session token", method: "POST", path: "/", token: testToken, body: []byte("{}")},
		{name: "empty body", method: "POST", path: "/", body: nil},
		{name: "escaped path", method: "GET", path: "/a%20b/c%2Fd/%C3%BC/~x/it's", query: "z=1&a=%2F&a=b+c&k"},
		{name: "repeated and spaced headers", method: "PUT", path: "/x", body: []byte("data"), header: http.Header{
			"X-Multi": {"one", "  two  words  "}, "X-Empty": {""}, "Expect": {"100-continue"}}},
		{name: "one header under keys of different case", method: "POST", path: "/", body: []byte("{}"), header: http.Header{
			"X-Lower": {"second"}, "X-LOWER": {"first"}, "x-lower": {"third"}, "authorization": {"stale"}, "x-amz-date": {"stale"}}},
		{name: "query that sorts differently once encoded", method: "DELETE", path: "/", query: "Param-3=3&Param=2&%E1%88%B4=1&k=a/b&k=a-b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = time.Now().Truncate(time.Second)
			u := srv.URL + tt.path
			if tt.query != "" {
				u += "?" + tt.query
			}
			var rd io.Reader
			if tt.body != nil {
				rd = bytes.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, u, rd)
			require.NoError(t, err)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			sign(t, New(auth.StaticAWSCredentials(testAKID, testSecret, tt.token), "fsx", "us-east-1"), req, tt.body, now)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusNoContent, resp.StatusCode, "%s", msg)
		})
	}

	t.Run("wrong secret is refused on the server", func(t *testing.T) {
		now = time.Now().Truncate(time.Second)
		req, err := http.NewRequest("POST", srv.URL+"/", bytes.NewReader([]byte("{}")))
		require.NoError(t, err)
		sign(t, New(auth.StaticAWSCredentials(testAKID, "not-the-secret", ""), "fsx", "us-east-1"), req, []byte("{}"), now)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.Contains(t, string(msg), CodeInvalidSignature)
	})
}

func TestParseAuthorization(t *testing.T) {
	a, err := ParseAuthorization("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
	require.NoError(t, err)
	assert.Equal(t, &Authorization{
		AccessKeyID: "AKIDEXAMPLE", Day: "20150830", Region: "us-east-1", Service: "service",
		SignedHeaders: []string{"host", "x-amz-date"},
		Signature:     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
	}, a)
	assert.Equal(t, "20150830/us-east-1/service/aws4_request", a.Scope())

	// without the spaces after the commas, as some clients write it
	b, err := ParseAuthorization("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,SignedHeaders=host;x-amz-date,Signature=00")
	require.NoError(t, err)
	assert.Equal(t, "00", b.Signature)

	for _, bad := range []string{
		"",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256 ",
		"AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=00, Extra=1",
		"AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=00",
		"AWS4-HMAC-SHA256 Credential=/20150830/r/s/aws4_request, SignedHeaders=host, Signature=00",
		"AWS4-HMAC-SHA256 Credential=A/20150830//s/aws4_request, SignedHeaders=host, Signature=00",
		"AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host;;x, Signature=00",
		"AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=, Signature=00",
		"aws4-hmac-sha256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=00",
	} {
		_, err := ParseAuthorization(bad)
		assert.ErrorIs(t, err, ErrMalformedAuth, bad)
	}
}
