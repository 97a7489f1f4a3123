package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/auth/internal/credcache"
)

// The example in Huawei Cloud's API signing guide ("AK/SK signing and
// authentication"): its request, keys, date and signature.
const (
	hwGuideURL       = "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0"
	hwGuideAK        = "QTWAOYTTINDUT2QVKYUC"
	hwGuideSK        = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
	hwGuideDate      = "20191115T033655Z"
	hwGuideSignature = "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
)

func hwGuideRequest(t *testing.T) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", hwGuideURL, nil)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Sdk-Date", hwGuideDate)
	return req
}

func TestHuaweiGuideVector(t *testing.T) {
	req := hwGuideRequest(t)
	q, err := url.ParseQuery(req.URL.RawQuery)
	require.NoError(t, err)
	signed := []string{"content-type", "host", "x-sdk-date"}
	canonical := huaweiCanonicalRequest(req.Method, req.URL.EscapedPath(), q, huaweiRequestHost(req), req.Header, signed, huaweiPayloadHash(req.Header, nil))
	assert.Equal(t, "GET\n"+
		"/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n"+
		"limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n"+
		"content-type:application/json\n"+
		"host:service.region.example.com\n"+
		"x-sdk-date:20191115T033655Z\n"+
		"\n"+
		"content-type;host;x-sdk-date\n"+
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", canonical)
	assert.Equal(t, hwGuideSignature, huaweiSign(hwGuideSK, hwGuideDate, canonical))

	// The verifier, with its own canonicalization, accepts the guide's request,
	// and refuses it with one bit of the signature flipped.
	lookup := func(ak string) (string, bool) { return hwGuideSK, ak == hwGuideAK }
	at := time.Date(2019, 11, 15, 3, 36, 55, 0, time.UTC)
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access="+hwGuideAK+", SignedHeaders=content-type;host;x-sdk-date, Signature="+hwGuideSignature)
	require.NoError(t, VerifyHuaweiSignature(req, nil, lookup, at, 0))
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access="+hwGuideAK+", SignedHeaders=content-type;host;x-sdk-date, Signature="+hwGuideSignature[:63]+"f")
	assert.ErrorIs(t, VerifyHuaweiSignature(req, nil, lookup, at, 0), ErrHuaweiSignatureMismatch)
}

func TestHuaweiSignerDefaultHeaderSet(t *testing.T) {
	// The signer proper, on the guide's request: it signs what the SDK signs
	// (not content-type, not host), so the signature differs from the guide's.
	req := hwGuideRequest(t)
	at, _ := time.Parse(huaweiDateFormat, hwGuideDate)
	require.NoError(t, NewHuaweiSigner(HuaweiCredentials{AccessKey: hwGuideAK, SecretKey: hwGuideSK}).Authenticate(WithSigningTime(context.Background(), at), req, nil))
	assert.Regexp(t, `^SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=x-sdk-date, Signature=[0-9a-f]{64}$`, req.Header.Get("Authorization"))

	// With HuaweiSignHost it signs host too.
	req = hwGuideRequest(t)
	require.NoError(t, NewHuaweiSigner(HuaweiCredentials{AccessKey: hwGuideAK, SecretKey: hwGuideSK}, HuaweiSignHost()).Authenticate(WithSigningTime(context.Background(), at), req, nil))
	assert.Contains(t, req.Header.Get("Authorization"), "SignedHeaders=host;x-sdk-date,")
}

const (
	hwAK = "HPUAEXAMPLEAK0000001"
	hwSK = "hwSecretKeyExample0123456789abcdefghijk"
)

var hwAt = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func hwLookup(ak string) (string, bool) { return hwSK, ak == hwAK }

const hwBody = `{"replicate":{"destination_project_id":"p2","destination_region":"cn-south-1","destination_vault_id":"v"}}`

// signHuawei builds a request the way the cbr client does (User-Agent and
// Content-Type set by the call path) and signs it.
func signHuawei(t *testing.T, creds HuaweiCredentials, body string, at time.Time, opts ...HuaweiSignerOption) *http.Request {
	t.Helper()
	req := httptest.NewRequest("POST", "https://cbr.cn-north-4.myhuaweicloud.com/v3/proj-1/backups/b%201/replicate?z=1&a=2&a=1&s=x+y&k+1=v", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	req.Header.Set("User-Agent", "backupcopy-go/0.1.0")
	req.Header.Set("X_Trace_Id", "t1")
	require.NoError(t, NewHuaweiSigner(creds, opts...).Authenticate(WithSigningTime(context.Background(), at), req, []byte(body)))
	return req
}

func TestHuaweiSignVerify(t *testing.T) {
	creds := HuaweiCredentials{AccessKey: hwAK, SecretKey: hwSK, ProjectID: "proj-1", SecurityToken: "temp-token"}
	req := signHuawei(t, creds, hwBody, hwAt)
	assert.Regexp(t, `^SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=user-agent;x-project-id;x-sdk-date;x-security-token, Signature=[0-9a-f]{64}$`, req.Header.Get("Authorization"))
	assert.Equal(t, "proj-1", req.Header.Get("X-Project-Id"))
	assert.Equal(t, "temp-token", req.Header.Get("X-Security-Token"))
	assert.Equal(t, "20261122T120000Z", req.Header.Get("X-Sdk-Date"))
	assert.Equal(t, "z=1&a=2&a=1&s=x%20y&k%201=v", req.URL.RawQuery, "the query is rewritten in strict form")
	assert.Empty(t, req.Header.Values(HuaweiContentSHA256Header), "a JSON body is signed")
	require.NoError(t, VerifyHuaweiSignature(req, []byte(hwBody), hwLookup, hwAt.Add(14*time.Minute), 0))
	require.NoError(t, VerifyHuaweiSignature(req, []byte(hwBody), hwLookup, hwAt.Add(-14*time.Minute), 0))

	t.Run("over the wire", func(t *testing.T) {
		// What a server sees after the request went through net/http.
		type seen struct {
			r    *http.Request
			body []byte
		}
		got := make(chan seen, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			got <- seen{r, b}
		}))
		defer srv.Close()
		r, err := http.NewRequest("POST", srv.URL+"/v3/proj-1/backups/b%201/replicate?z=1&a=2&a=1&s=x+y", strings.NewReader(hwBody))
		require.NoError(t, err)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("User-Agent", "backupcopy-go/0.1.0")
		r.Header.Set("X-Custom", "  padded  ")
		require.NoError(t, NewHuaweiSigner(creds, HuaweiSignHost()).Authenticate(WithSigningTime(context.Background(), hwAt), r, []byte(hwBody)))
		resp, err := http.DefaultClient.Do(r)
		require.NoError(t, err)
		resp.Body.Close()
		s := <-got
		require.NoError(t, VerifyHuaweiSignature(s.r, s.body, hwLookup, hwAt, 0))
		s.r.Header.Set("X-Custom", "changed")
		require.ErrorIs(t, VerifyHuaweiSignature(s.r, s.body, hwLookup, hwAt, 0), ErrHuaweiSignatureMismatch)
	})

	tamper := []struct {
		name   string
		mutate func(r *http.Request) string
		kind   error
	}{
		{"body", func(r *http.Request) string { return strings.Replace(hwBody, "cn-south-1", "cn-east-3", 1) }, ErrHuaweiSignatureMismatch},
		{"method", func(r *http.Request) string { r.Method = "PUT"; return hwBody }, ErrHuaweiSignatureMismatch},
		{"path", func(r *http.Request) string {
			r.URL.Path, r.URL.RawPath = "/v3/proj-1/backups/b2/replicate", ""
			return hwBody
		}, ErrHuaweiSignatureMismatch},
		{"trailing slash added (the scheme cannot tell)", func(r *http.Request) string { r.URL.Path += "/"; r.URL.RawPath += "/"; return hwBody }, nil},
		{"query value", func(r *http.Request) string { r.URL.RawQuery = "z=1&a=2&a=3&s=x%20y&k%201=v"; return hwBody }, ErrHuaweiSignatureMismatch},
		{"query dropped", func(r *http.Request) string { r.URL.RawQuery = "z=1&a=2&a=1&k%201=v"; return hwBody }, ErrHuaweiSignatureMismatch},
		{"query reordered", func(r *http.Request) string { r.URL.RawQuery = "a=1&k+1=v&s=x+y&a=2&z=1"; return hwBody }, nil},
		{"signed header", func(r *http.Request) string { r.Header.Set("X-Project-Id", "proj-2"); return hwBody }, ErrHuaweiSignatureMismatch},
		{"signed header removed", func(r *http.Request) string { r.Header.Del("User-Agent"); return hwBody }, ErrHuaweiSignatureMismatch},
		{"security token", func(r *http.Request) string { r.Header.Set("X-Security-Token", "other"); return hwBody }, ErrHuaweiSignatureMismatch},
		{"date", func(r *http.Request) string { r.Header.Set("X-Sdk-Date", "20261122T120001Z"); return hwBody }, ErrHuaweiSignatureMismatch},
		{"signed header list", func(r *http.Request) string {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "user-agent;", "", 1))
			return hwBody
		}, ErrHuaweiSignatureMismatch},
		{"unsigned payload claimed", func(r *http.Request) string {
			r.Header.Set(HuaweiContentSHA256Header, "UNSIGNED-PAYLOAD")
			return hwBody
		}, ErrHuaweiSignatureMismatch},
		{"content-type is not signed", func(r *http.Request) string { r.Header.Set("Content-Type", "text/plain"); return hwBody }, nil},
		{"names with '_' are not signed", func(r *http.Request) string { r.Header.Set("X_Trace_Id", "t2"); return hwBody }, nil},
		{"host is not signed by default", func(r *http.Request) string { r.Host = "cbr.cn-east-3.myhuaweicloud.com"; return hwBody }, nil},
	}
	for _, tt := range tamper {
		t.Run(tt.name, func(t *testing.T) {
			r := signHuawei(t, creds, hwBody, hwAt)
			b := tt.mutate(r)
			err := VerifyHuaweiSignature(r, []byte(b), hwLookup, hwAt, 0)
			if tt.kind == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.kind)
			var se *HuaweiSignatureError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "APIGW.0301", se.Code())
		})
	}
	t.Run("host signed with HuaweiSignHost", func(t *testing.T) {
		r := signHuawei(t, creds, hwBody, hwAt, HuaweiSignHost())
		assert.Contains(t, r.Header.Get("Authorization"), "SignedHeaders=host;user-agent;")
		require.NoError(t, VerifyHuaweiSignature(r, []byte(hwBody), hwLookup, hwAt, 0))
		r.Host = "cbr.cn-east-3.myhuaweicloud.com"
		assert.ErrorIs(t, VerifyHuaweiSignature(r, []byte(hwBody), hwLookup, hwAt, 0), ErrHuaweiSignatureMismatch)
	})
	t.Run("expired", func(t *testing.T) {
		r := signHuawei(t, creds, hwBody, hwAt.Add(-16*time.Minute))
		assert.ErrorIs(t, VerifyHuaweiSignature(r, []byte(hwBody), hwLookup, hwAt, 0), ErrHuaweiSignatureExpired)
		r = signHuawei(t, creds, hwBody, hwAt.Add(16*time.Minute))
		assert.ErrorIs(t, VerifyHuaweiSignature(r, []byte(hwBody), hwLookup, hwAt, 0), ErrHuaweiSignatureExpired)
		assert.NoError(t, VerifyHuaweiSignature(r, []byte(hwBody), hwLookup, hwAt, 20*time.Minute))
	})
	t.Run("unknown AK", func(t *testing.T) {
		r := signHuawei(t, HuaweiCredentials{AccessKey: "OTHERAK", SecretKey: hwSK}, hwBody, hwAt)
		err := VerifyHuaweiSignature(r, []byte(hwBody), hwLookup, hwAt, 0)
		assert.ErrorIs(t, err, ErrHuaweiUnknownAccessKey)
		assert.Contains(t, err.Error(), "OTHERAK")
	})
	t.Run("wrong SK", func(t *testing.T) {
		r := signHuawei(t, HuaweiCredentials{AccessKey: hwAK, SecretKey: "not-the-secret"}, hwBody, hwAt)
		err := VerifyHuaweiSignature(r, []byte(hwBody), hwLookup, hwAt, 0)
		assert.ErrorIs(t, err, ErrHuaweiSignatureMismatch)
		assert.NotContains(t, err.Error(), hwSK)
		assert.NotContains(t, err.Error(), "not-the-secret")
	})
}

func TestHuaweiVerifyMalformed(t *testing.T) {
	valid := signHuawei(t, HuaweiCredentials{AccessKey: hwAK, SecretKey: hwSK}, hwBody, hwAt)
	authz := valid.Header.Get("Authorization")
	sig := authz[strings.LastIndex(authz, "=")+1:]
	for _, tt := range []struct {
		name, authz string
		kind        error
	}{
		{"missing", "", ErrHuaweiAuthMissing},
		{"other scheme", "Bearer abc", ErrHuaweiAuthMalformed},
		{"garbage", "SDK-HMAC-SHA256 garbage", ErrHuaweiAuthMalformed},
		{"no signature", "SDK-HMAC-SHA256 Access=" + hwAK + ", SignedHeaders=x-sdk-date", ErrHuaweiAuthMalformed},
		{"short signature", "SDK-HMAC-SHA256 Access=" + hwAK + ", SignedHeaders=x-sdk-date, Signature=abcd", ErrHuaweiAuthMalformed},
		{"unknown parameter", "SDK-HMAC-SHA256 Access=" + hwAK + ", SignedHeaders=x-sdk-date, Signature=" + sig + ", Extra=1", ErrHuaweiAuthMalformed},
		{"repeated parameter", "SDK-HMAC-SHA256 Access=" + hwAK + ", Access=" + hwAK + ", SignedHeaders=x-sdk-date, Signature=" + sig, ErrHuaweiAuthMalformed},
		{"date not signed", "SDK-HMAC-SHA256 Access=" + hwAK + ", SignedHeaders=user-agent, Signature=" + sig, ErrHuaweiAuthMalformed},
		{"upper-case name", "SDK-HMAC-SHA256 Access=" + hwAK + ", SignedHeaders=User-Agent;x-sdk-date, Signature=" + sig, ErrHuaweiAuthMalformed},
		{"duplicate name", "SDK-HMAC-SHA256 Access=" + hwAK + ", SignedHeaders=x-sdk-date;x-sdk-date, Signature=" + sig, ErrHuaweiAuthMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := valid.Clone(context.Background())
			r.Header.Del("Authorization")
			if tt.authz != "" {
				r.Header.Set("Authorization", tt.authz)
			}
			err := VerifyHuaweiSignature(r, []byte(hwBody), hwLookup, hwAt, 0)
			assert.ErrorIs(t, err, tt.kind)
			var se *HuaweiSignatureError
			assert.ErrorAs(t, err, &se)
		})
	}
	t.Run("bad date", func(t *testing.T) {
		r := valid.Clone(context.Background())
		r.Header.Set("X-Sdk-Date", "2026-11-22T12:00:00Z")
		assert.ErrorIs(t, VerifyHuaweiSignature(r, []byte(hwBody), hwLookup, hwAt, 0), ErrHuaweiAuthMalformed)
		r.Header.Del("X-Sdk-Date")
		assert.ErrorIs(t, VerifyHuaweiSignature(r, []byte(hwBody), hwLookup, hwAt, 0), ErrHuaweiAuthMalformed)
	})
}

func TestHuaweiSignerEdgeCases(t *testing.T) {
	ctx := WithSigningTime(context.Background(), hwAt)
	s := NewHuaweiSigner(HuaweiCredentials{AccessKey: hwAK, SecretKey: hwSK})

	t.Run("no keys", func(t *testing.T) {
		err := NewHuaweiSigner(HuaweiCredentials{AccessKey: hwAK}).Authenticate(ctx, httptest.NewRequest("GET", "/", nil), nil)
		assert.ErrorContains(t, err, "secret key")
	})
	t.Run("query that does not parse", func(t *testing.T) {
		r := httptest.NewRequest("GET", "https://x.example/v3/p?a=%zz", nil)
		assert.ErrorContains(t, s.Authenticate(ctx, r, nil), `query value "%zz"`)
	})
	t.Run("query rewritten in strict form", func(t *testing.T) {
		r := httptest.NewRequest("GET", "https://x.example/v3/p?b=1+2&&a=%7e!*;&flag&e=", nil)
		require.NoError(t, s.Authenticate(ctx, r, nil))
		assert.Equal(t, "b=1%202&a=~%21%2A%3B&flag&e=", r.URL.RawQuery)
		require.NoError(t, VerifyHuaweiSignature(r, nil, hwLookup, hwAt, 0))
	})
	t.Run("old Authorization is not signed", func(t *testing.T) {
		r := httptest.NewRequest("GET", "https://x.example/v3/p", nil)
		r.Header.Set("Authorization", "stale")
		require.NoError(t, s.Authenticate(ctx, r, nil))
		require.NoError(t, s.Authenticate(ctx, r, nil), "signing twice")
		assert.Contains(t, r.Header.Get("Authorization"), "SignedHeaders=x-sdk-date,")
	})
	t.Run("non-JSON body is sent unsigned like the SDK", func(t *testing.T) {
		r := httptest.NewRequest("PUT", "https://x.example/v3/p", strings.NewReader("raw"))
		r.Header.Set("Content-Type", "application/octet-stream")
		require.NoError(t, s.Authenticate(ctx, r, []byte("raw")))
		assert.Equal(t, "UNSIGNED-PAYLOAD", r.Header.Get(HuaweiContentSHA256Header))
		assert.Contains(t, r.Header.Get("Authorization"), "SignedHeaders=x-sdk-content-sha256;x-sdk-date,")
		require.NoError(t, VerifyHuaweiSignature(r, []byte("other"), hwLookup, hwAt, 0))
	})
	t.Run("explicit content hash", func(t *testing.T) {
		sum := sha256.Sum256([]byte("raw"))
		r := httptest.NewRequest("PUT", "https://x.example/v3/p", strings.NewReader("raw"))
		r.Header.Set(HuaweiContentSHA256Header, hex.EncodeToString(sum[:]))
		require.NoError(t, s.Authenticate(ctx, r, []byte("raw")))
		require.NoError(t, VerifyHuaweiSignature(r, []byte("raw"), hwLookup, hwAt, 0))
		assert.ErrorIs(t, VerifyHuaweiSignature(r, []byte("RAW"), hwLookup, hwAt, 0), ErrHuaweiSignatureMismatch)
	})
	t.Run("escaping does not matter", func(t *testing.T) {
		// The same path escaped in two ways signs alike.
		a := httptest.NewRequest("GET", "https://x.example/v3/a%20b/c~d/%E4%B8%AD", nil)
		b := httptest.NewRequest("GET", "https://x.example/v3/a%20b/c%7Ed/中", nil)
		require.NoError(t, s.Authenticate(ctx, a, nil))
		require.NoError(t, s.Authenticate(ctx, b, nil))
		assert.Equal(t, a.Header.Get("Authorization"), b.Header.Get("Authorization"))
	})
	t.Run("canonical URI and query", func(t *testing.T) {
		q, _ := url.ParseQuery("b=2&a=x%20y&a=%2B&a=&c")
		got := huaweiCanonicalRequest("GET", "/v3/a%2Fb/:@!$'()*,;=/", q, "h", http.Header{}, nil, "-")
		lines := strings.Split(got, "\n")
		assert.Equal(t, "/v3/a%2Fb/%3A%40%21%24%27%28%29%2A%2C%3B%3D/", lines[1])
		assert.Equal(t, "a=&a=%2B&a=x%20y&b=2&c=", lines[2])
		assert.Equal(t, "/", strings.Split(huaweiCanonicalRequest("", "", nil, "h", nil, nil, "-"), "\n")[1])
	})
	t.Run("query key with '+' as space", func(t *testing.T) {
		r := httptest.NewRequest("GET", "https://x.example/v3/p?a+b=1", nil)
		require.NoError(t, s.Authenticate(ctx, r, nil))
		r.URL.RawQuery = "a+b=1"
		require.NoError(t, VerifyHuaweiSignature(r, nil, hwLookup, hwAt, 0))
		r.URL.RawQuery = "a%2Bb=1"
		require.ErrorIs(t, VerifyHuaweiSignature(r, nil, hwLookup, hwAt, 0), ErrHuaweiSignatureMismatch)
	})
	t.Run("header values trimmed and sorted", func(t *testing.T) {
		h := http.Header{}
		h.Add("X-Multi", " b ")
		h.Add("X-Multi", "a")
		got := huaweiCanonicalRequest("GET", "/", nil, "h", h, []string{"x-multi"}, "-")
		assert.Contains(t, got, "\nx-multi:a\nx-multi:b\n\nx-multi\n")
	})
}

func TestHuaweiTokenAndEnv(t *testing.T) {
	req := httptest.NewRequest("GET", "https://x/", nil)
	require.NoError(t, HuaweiToken("MIIT-token", "proj").Authenticate(context.Background(), req, nil))
	assert.Equal(t, "MIIT-token", req.Header.Get("X-Auth-Token"))
	assert.Equal(t, "proj", req.Header.Get("X-Project-Id"))
	req = httptest.NewRequest("GET", "https://x/", nil)
	require.NoError(t, HuaweiToken("MIIT-token", "").Authenticate(context.Background(), req, nil))
	assert.Empty(t, req.Header.Values("X-Project-Id"))
	assert.Error(t, HuaweiToken("", "").Authenticate(context.Background(), req, nil))

	for _, k := range []string{"HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID", "HUAWEICLOUD_SDK_SECURITY_TOKEN"} {
		t.Setenv(k, "")
	}
	_, err := HuaweiCredentialsFromEnv()
	assert.ErrorContains(t, err, "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK not set")
	t.Setenv("HUAWEICLOUD_SDK_AK", hwAK)
	_, err = HuaweiCredentialsFromEnv()
	assert.ErrorContains(t, err, ": HUAWEICLOUD_SDK_SK not set")
	t.Setenv("HUAWEICLOUD_SDK_SK", hwSK)
	c, err := HuaweiCredentialsFromEnv()
	require.NoError(t, err)
	assert.Equal(t, HuaweiCredentials{AccessKey: hwAK, SecretKey: hwSK}, c)
	t.Setenv("HUAWEICLOUD_SDK_PROJECT_ID", "p1")
	t.Setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "st")
	c, err = HuaweiCredentialsFromEnv()
	require.NoError(t, err)
	assert.Equal(t, HuaweiCredentials{AccessKey: hwAK, SecretKey: hwSK, SecurityToken: "st", ProjectID: "p1"}, c)
	t.Setenv("HUAWEICLOUD_SDK_AK", "")
	_, err = HuaweiCredentialsFromEnv()
	assert.ErrorContains(t, err, ": HUAWEICLOUD_SDK_AK not set")
	assert.NotContains(t, err.Error(), hwSK)
}

// hwVerbs are the fmt verbs every secret-holding type must redact.
var hwVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"}

func TestHuaweiRedaction(t *testing.T) {
	const (
		tokenSecret = "sec-token-value"
		password    = "Pa55w0rd!"
	)
	creds := HuaweiCredentials{AccessKey: hwAK, SecretKey: hwSK, SecurityToken: tokenSecret, ProjectID: "p"}
	iam, err := NewHuaweiIAMTokenSource(HuaweiIAMConfig{Region: "cn-north-4", DomainName: "acct", UserName: "u", Password: password, ProjectID: "p"})
	require.NoError(t, err)
	iam.cache.Fetch = func(context.Context) (credcache.Entry[string], error) {
		return credcache.Entry[string]{Value: "MIIT-cached-token"}, nil
	}
	tok, err := iam.Token(context.Background())
	require.NoError(t, err)
	require.Equal(t, "MIIT-cached-token", tok) // now held by iam
	type holder struct {
		C HuaweiCredentials
		P *HuaweiCredentials
	}
	values := []any{creds, &creds, NewHuaweiSigner(creds), HuaweiToken(tokenSecret, "p"), iam, *iam.cfg.withPassword(password),
		&iam.cfg, holder{creds, &creds}, []HuaweiCredentials{creds}, map[string]HuaweiCredentials{"a": creds}}
	for _, v := range values {
		for _, verb := range hwVerbs {
			out := fmt.Sprintf(verb, v)
			for _, secret := range []string{hwSK, tokenSecret, password, "MIIT-cached-token"} {
				assert.NotContains(t, out, secret, "%s of %T", verb, v)
			}
			if verb == "%v" || verb == "%s" {
				assert.Contains(t, out, "[REDACTED]", "%s of %T", verb, v)
			}
		}
	}
	assert.Equal(t, `"HuaweiCredentials{AccessKey: \"`+hwAK+`\", SecretKey: [REDACTED], SecurityToken: [REDACTED], ProjectID: \"p\"}"`, fmt.Sprintf("%q", creds))
	assert.Contains(t, fmt.Sprint(HuaweiCredentials{AccessKey: "a", SecretKey: "b"}), `SecurityToken: ""`)
}

// withPassword returns a copy of c with Password set (for the redaction test).
func (c HuaweiIAMConfig) withPassword(pw string) *HuaweiIAMConfig { c.Password = pw; return &c }

func TestHuaweiSignatureErrorIs(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &HuaweiSignatureError{Kind: ErrHuaweiSignatureExpired, Detail: "d"})
	assert.True(t, errors.Is(err, ErrHuaweiSignatureExpired))
	assert.False(t, errors.Is(err, ErrHuaweiSignatureMismatch))
	assert.Equal(t, "wrapped: auth: Huawei signature refused: request date outside the allowed clock skew: d", err.Error())
}
