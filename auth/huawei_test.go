package auth

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The example from Huawei Cloud's API signing guide.
func TestHuaweiPublishedVector(t *testing.T) {
	req, err := http.NewRequest("GET", "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0", nil)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Sdk-Date", "20191115T033655Z")
	sig := huaweiSignature("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", req, []string{"content-type", "host", "x-sdk-date"}, nil)
	assert.Equal(t, "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe", sig)

	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature="+sig)
	at := time.Date(2019, 11, 15, 3, 36, 55, 0, time.UTC)
	lookup := func(ak string) (string, bool) {
		return "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", ak == "QTWAOYTTINDUT2QVKYUC"
	}
	require.NoError(t, VerifyHuaweiSignature(req, nil, lookup, at, 15*time.Minute))
}

const (
	hwAK = "HPUAEXAMPLEAK0000001"
	hwSK = "hwSecretKeyExample0123456789abcdefghijk"
)

func hwLookup(ak string) (string, bool) { return hwSK, ak == hwAK }

func signHuawei(t *testing.T, creds HuaweiCredentials, body string, at time.Time) *http.Request {
	t.Helper()
	req := httptest.NewRequest("POST", "https://cbr.cn-north-4.myhuaweicloud.com/v3/proj-1/backups/b%201/replicate?z=1&a=2&a=1", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	req.Header.Set("User-Agent", "backupcopy-go/test")
	require.NoError(t, NewHuaweiSigner(creds).Authenticate(WithSigningTime(context.Background(), at), req, []byte(body)))
	return req
}

func TestHuaweiSignVerify(t *testing.T) {
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	body := `{"replicate":{"destination_region":"cn-south-1"}}`
	creds := HuaweiCredentials{AccessKey: hwAK, SecretKey: hwSK, ProjectID: "proj-1", SecurityToken: "temp-token"}
	req := signHuawei(t, creds, body, at)
	authz := req.Header.Get("Authorization")
	assert.Contains(t, authz, "SignedHeaders=host;user-agent;x-project-id;x-sdk-date;x-security-token,")
	assert.NotContains(t, authz, "content-type")
	assert.Equal(t, "proj-1", req.Header.Get("X-Project-Id"))
	assert.Equal(t, "20261122T120000Z", req.Header.Get("X-Sdk-Date"))
	require.NoError(t, VerifyHuaweiSignature(req, []byte(body), hwLookup, at.Add(10*time.Minute), 15*time.Minute))

	tamper := []struct {
		name   string
		mutate func(r *http.Request) string
	}{
		{"body", func(r *http.Request) string { return `{"replicate":{"destination_region":"cn-east-3"}}` }},
		{"path", func(r *http.Request) string {
			r.URL.Path = "/v3/proj-1/backups/b2/replicate"
			r.URL.RawPath = ""
			return body
		}},
		{"query", func(r *http.Request) string { r.URL.RawQuery = "z=2"; return body }},
		{"signed header", func(r *http.Request) string { r.Header.Set("X-Project-Id", "proj-2"); return body }},
		{"host", func(r *http.Request) string { r.Host = "evil.example"; return body }},
		{"token", func(r *http.Request) string { r.Header.Set("X-Security-Token", "other"); return body }},
	}
	for _, tt := range tamper {
		t.Run(tt.name, func(t *testing.T) {
			r := signHuawei(t, creds, body, at)
			b := tt.mutate(r)
			err := VerifyHuaweiSignature(r, []byte(b), hwLookup, at, 15*time.Minute)
			var ve *HuaweiVerifyError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "APIGW.0301", ve.Code)
		})
	}
	t.Run("content-type not signed: may change", func(t *testing.T) {
		r := signHuawei(t, creds, body, at)
		r.Header.Set("Content-Type", "application/json")
		assert.NoError(t, VerifyHuaweiSignature(r, []byte(body), hwLookup, at, 15*time.Minute))
	})
	t.Run("expired", func(t *testing.T) {
		r := signHuawei(t, creds, body, at.Add(-20*time.Minute))
		err := VerifyHuaweiSignature(r, []byte(body), hwLookup, at, 15*time.Minute)
		var ve *HuaweiVerifyError
		require.ErrorAs(t, err, &ve)
		assert.True(t, ve.Expired)
	})
	t.Run("unknown AK", func(t *testing.T) {
		r := signHuawei(t, HuaweiCredentials{AccessKey: "OTHER", SecretKey: hwSK}, body, at)
		assert.ErrorContains(t, VerifyHuaweiSignature(r, []byte(body), hwLookup, at, 15*time.Minute), "not found")
	})
	t.Run("missing and malformed", func(t *testing.T) {
		r := httptest.NewRequest("GET", "https://x/", nil)
		assert.ErrorContains(t, VerifyHuaweiSignature(r, nil, hwLookup, at, time.Minute), "not found")
		r.Header.Set("Authorization", "SDK-HMAC-SHA256 garbage")
		assert.Error(t, VerifyHuaweiSignature(r, nil, hwLookup, at, time.Minute))
		r.Header.Set("Authorization", "Bearer x")
		assert.Error(t, VerifyHuaweiSignature(r, nil, hwLookup, at, time.Minute))
	})
	t.Run("no keys", func(t *testing.T) {
		err := NewHuaweiSigner(HuaweiCredentials{}).Authenticate(context.Background(), httptest.NewRequest("GET", "/", nil), nil)
		assert.Error(t, err)
	})
}

func TestHuaweiTokenAndEnv(t *testing.T) {
	req := httptest.NewRequest("GET", "https://x/", nil)
	require.NoError(t, HuaweiToken("MIIT-token", "proj").Authenticate(context.Background(), req, nil))
	assert.Equal(t, "MIIT-token", req.Header.Get("X-Auth-Token"))
	assert.Equal(t, "proj", req.Header.Get("X-Project-Id"))
	assert.Error(t, HuaweiToken("", "").Authenticate(context.Background(), req, nil))

	t.Setenv("HUAWEICLOUD_SDK_AK", "")
	t.Setenv("HUAWEICLOUD_SDK_SK", "")
	_, err := HuaweiCredentialsFromEnv()
	assert.ErrorContains(t, err, "HUAWEICLOUD_SDK_AK")
	t.Setenv("HUAWEICLOUD_SDK_AK", hwAK)
	t.Setenv("HUAWEICLOUD_SDK_SK", hwSK)
	t.Setenv("HUAWEICLOUD_SDK_PROJECT_ID", "p1")
	t.Setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "st")
	c, err := HuaweiCredentialsFromEnv()
	require.NoError(t, err)
	assert.Equal(t, HuaweiCredentials{AccessKey: hwAK, SecretKey: hwSK, SecurityToken: "st", ProjectID: "p1"}, c)
}

func TestHuaweiRedaction(t *testing.T) {
	creds := HuaweiCredentials{AccessKey: hwAK, SecretKey: hwSK, SecurityToken: "sec-token-value", ProjectID: "p"}
	iam, err := NewHuaweiIAMTokenSource(HuaweiIAMConfig{Region: "cn-north-4", DomainName: "acct", UserName: "u", Password: "Pa55w0rd!", ProjectID: "p"})
	require.NoError(t, err)
	for _, v := range []any{creds, &creds, NewHuaweiSigner(creds), HuaweiToken("sec-token-value", "p"), iam, HuaweiIAMConfig{Password: "Pa55w0rd!"}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range []string{hwSK, "sec-token-value", "Pa55w0rd!"} {
				assert.NotContains(t, out, secret, "%s of %T", verb, v)
			}
		}
	}
}

// iamServer is a fake IAM token endpoint.
type iamServer struct {
	srv     *httptest.Server
	calls   atomic.Int32
	life    time.Duration
	now     func() time.Time
	fail    atomic.Bool
	delay   time.Duration
	gotBody atomic.Value
}

func newIAMServer(t *testing.T, now func() time.Time) *iamServer {
	s := &iamServer{life: 24 * time.Hour, now: now}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.calls.Add(1)
		buf := new(bytes.Buffer)
		buf.ReadFrom(r.Body)
		s.gotBody.Store(buf.String())
		time.Sleep(s.delay)
		if r.URL.Path != "/v3/auth/tokens" || r.Method != "POST" {
			w.WriteHeader(404)
			return
		}
		if s.fail.Load() {
			w.Header().Set("X-Request-Id", "req-iam-1")
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":{"code":"1101","message":"The username or password is wrong.","title":"Unauthorized"}}`)
			return
		}
		w.Header().Set("X-Subject-Token", fmt.Sprintf("MIIT-%d", n))
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"token":{"expires_at":%q,"issued_at":%q}}`, s.now().Add(s.life).UTC().Format("2006-01-02T15:04:05.000000Z"), s.now().UTC().Format("2006-01-02T15:04:05.000000Z"))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func TestHuaweiIAMTokenSource(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	srv := newIAMServer(t, clock)
	srv.delay = 20 * time.Millisecond
	ts, err := NewHuaweiIAMTokenSource(HuaweiIAMConfig{Endpoint: srv.srv.URL, DomainName: "acct", UserName: "user", Password: "Pa55w0rd!", ProjectID: "proj-9", Now: clock})
	require.NoError(t, err)

	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("GET", "https://cbr/", nil)
			assert.NoError(t, ts.Authenticate(context.Background(), req, nil))
			assert.Equal(t, "MIIT-1", req.Header.Get("X-Auth-Token"))
			assert.Equal(t, "proj-9", req.Header.Get("X-Project-Id"))
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), srv.calls.Load(), "50 callers share one refresh")
	body := srv.gotBody.Load().(string)
	assert.JSONEq(t, `{"auth":{"identity":{"methods":["password"],"password":{"user":{"domain":{"name":"acct"},"name":"user","password":"Pa55w0rd!"}}},"scope":{"project":{"id":"proj-9"}}}}`, body)

	advance(17 * time.Hour) // 7h left of 24h: more than a quarter (6h) remains
	tok, _ := ts.Token(context.Background())
	assert.Equal(t, "MIIT-1", tok)
	advance(90 * time.Minute) // 5.5h left: refresh
	tok, _ = ts.Token(context.Background())
	assert.Equal(t, "MIIT-2", tok)

	ts.Invalidate()
	tok, _ = ts.Token(context.Background())
	assert.Equal(t, "MIIT-3", tok)

	srv.fail.Store(true)
	ts.Invalidate()
	_, err = ts.Token(context.Background())
	var ie *HuaweiIAMError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, 401, ie.StatusCode)
	assert.Equal(t, "1101", ie.Code)
	assert.Equal(t, "req-iam-1", ie.RequestID)
	assert.NotContains(t, err.Error(), "Pa55w0rd!")
}

func TestHuaweiIAMWaiterRespectsOwnContext(t *testing.T) {
	srv := newIAMServer(t, time.Now)
	srv.delay = 300 * time.Millisecond
	ts, err := NewHuaweiIAMTokenSource(HuaweiIAMConfig{Endpoint: srv.srv.URL, DomainName: "a", UserName: "u", Password: "p", ProjectID: "x"})
	require.NoError(t, err)
	go ts.Token(context.Background()) // the refresher
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = ts.Token(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 200*time.Millisecond)
}

func TestHuaweiIAMConfigValidation(t *testing.T) {
	for _, c := range []HuaweiIAMConfig{
		{UserName: "u", Password: "p", ProjectID: "x", Region: "r"},
		{DomainName: "a", Password: "p", ProjectID: "x", Region: "r"},
		{DomainName: "a", UserName: "u", ProjectID: "x", Region: "r"},
		{DomainName: "a", UserName: "u", Password: "p", Region: "r"},
		{DomainName: "a", UserName: "u", Password: "p", ProjectID: "x"},
		{DomainName: "a", UserName: "u", Password: "p", ProjectID: "x", Region: "cn/../evil"},
		{DomainName: "a", UserName: "u", Password: "p", ProjectID: "x", Endpoint: "http://iam.example.com"},
	} {
		_, err := NewHuaweiIAMTokenSource(c)
		assert.Error(t, err, "%v", c)
	}
}
