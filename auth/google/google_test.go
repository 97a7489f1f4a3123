package google

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy/auth"
)

// fakeSource hands out tok-1, tok-2, ... expiring after life (never if 0).
// While gate is set, Token waits for it to be closed.
type fakeSource struct {
	n    atomic.Int32
	now  func() time.Time
	life time.Duration
	err  error
	gate chan struct{}
}

func (s *fakeSource) Token() (*oauth2.Token, error) {
	n := s.n.Add(1)
	if s.gate != nil {
		<-s.gate
	}
	if s.err != nil {
		return nil, s.err
	}
	tok := &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", n), TokenType: "Bearer"}
	if s.life > 0 {
		tok.Expiry = s.now().Add(s.life)
	}
	return tok, nil
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func bearerOf(t *testing.T, a auth.Authenticator) string {
	t.Helper()
	req := httptest.NewRequest("GET", "https://bigtableadmin.googleapis.com/v2/x", nil)
	require.NoError(t, a.Authenticate(context.Background(), req, nil))
	return req.Header.Get("Authorization")
}

func TestNewAuthenticatorCachesAndInvalidates(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	src := &fakeSource{now: clock.Now, life: time.Hour}
	a := NewAuthenticator(src)
	a.(*bearer).now = clock.Now

	assert.Equal(t, "Bearer tok-1", bearerOf(t, a))
	assert.Equal(t, "Bearer tok-1", bearerOf(t, a))
	assert.Equal(t, int32(1), src.n.Load(), "kept")

	inv, ok := a.(auth.Invalidator)
	require.True(t, ok, "implements auth.Invalidator")
	inv.Invalidate()
	assert.Equal(t, "Bearer tok-2", bearerOf(t, a))

	clock.Advance(58 * time.Minute) // 2 minutes left: still used
	assert.Equal(t, "Bearer tok-2", bearerOf(t, a))
	clock.Advance(90 * time.Second) // 30 s left: replaced
	assert.Equal(t, "Bearer tok-3", bearerOf(t, a))

	// A token without expiry is kept until Invalidate.
	never := &fakeSource{}
	b := NewAuthenticator(never)
	assert.Equal(t, "Bearer tok-1", bearerOf(t, b))
	assert.Equal(t, "Bearer tok-1", bearerOf(t, b))
	b.(auth.Invalidator).Invalidate()
	assert.Equal(t, "Bearer tok-2", bearerOf(t, b))

	// The header is replaced, not added to.
	req := httptest.NewRequest("GET", "https://x.example", nil)
	req.Header.Set("Authorization", "Bearer stale")
	require.NoError(t, b.Authenticate(context.Background(), req, nil))
	assert.Equal(t, []string{"Bearer tok-2"}, req.Header.Values("Authorization"))
}

func TestNewAuthenticatorSharedFetchAndContexts(t *testing.T) {
	src := &fakeSource{gate: make(chan struct{})}
	var once sync.Once
	release := func() { once.Do(func() { close(src.gate) }) }
	t.Cleanup(release)
	a := NewAuthenticator(src)

	var wg sync.WaitGroup
	got := make([]string, 30)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("GET", "https://x.example", nil)
			if err := a.Authenticate(context.Background(), req, nil); err == nil {
				got[i] = req.Header.Get("Authorization")
			}
		}()
	}
	require.Eventually(t, func() bool { return src.n.Load() == 1 }, 5*time.Second, time.Millisecond)

	// A caller with a deadline stops waiting when it passes.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- a.Authenticate(ctx, httptest.NewRequest("GET", "https://x.example", nil), nil) }()
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(5 * time.Second):
		t.Fatal("a waiting caller ignored its context")
	}

	release()
	wg.Wait()
	for _, g := range got {
		assert.Equal(t, "Bearer tok-1", g)
	}
	assert.Equal(t, int32(1), src.n.Load(), "one fetch for every caller")
}

func TestNewAuthenticatorErrors(t *testing.T) {
	rerr := &oauth2.RetrieveError{
		Response:         &http.Response{StatusCode: 400, Status: "400 Bad Request"},
		Body:             []byte(`{"error":"invalid_grant","error_description":"Invalid JWT","secret":"s3cr3t-body"}`),
		ErrorCode:        "invalid_grant",
		ErrorDescription: "Invalid JWT",
	}
	err := NewAuthenticator(&fakeSource{err: rerr}).Authenticate(context.Background(), httptest.NewRequest("GET", "/", nil), nil)
	require.Error(t, err)
	assert.Equal(t, "google: getting an OAuth2 token: the token endpoint refused: 400 Bad Request: invalid_grant: Invalid JWT", err.Error())
	assert.NotContains(t, fmt.Sprintf("%+v", err), "s3cr3t-body")
	var re *oauth2.RetrieveError
	assert.ErrorAs(t, err, &re, "the cause stays reachable")

	other := errors.New("metadata: not found")
	err = NewAuthenticator(&fakeSource{err: other}).Authenticate(context.Background(), httptest.NewRequest("GET", "/", nil), nil)
	assert.ErrorIs(t, err, other)

	empty := NewAuthenticator(oauth2.StaticTokenSource(&oauth2.Token{}))
	assert.ErrorContains(t, empty.Authenticate(context.Background(), httptest.NewRequest("GET", "/", nil), nil), "empty access token")

	assert.ErrorContains(t, NewAuthenticator(nil).Authenticate(context.Background(), httptest.NewRequest("GET", "/", nil), nil), "nil")

	// A failure is not kept: the next attempt asks again.
	src := &fakeSource{err: other}
	a := NewAuthenticator(src)
	assert.Error(t, a.Authenticate(context.Background(), httptest.NewRequest("GET", "/", nil), nil))
	src.err = nil
	assert.Equal(t, "Bearer tok-2", bearerOf(t, a))
}

func TestAuthenticatorRedacts(t *testing.T) {
	a := NewAuthenticator(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ya29.secret-token", RefreshToken: "1//refresh-secret"}))
	bearerOf(t, a) // a token is now kept inside
	type holder struct{ A auth.Authenticator }
	for _, v := range []any{a, holder{a}, []auth.Authenticator{a}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, "ya29", verb)
			assert.NotContains(t, out, "refresh-secret", verb)
		}
	}
	assert.Equal(t, "google.Authenticator{TokenSource, token: [REDACTED]}", fmt.Sprint(a))
}

// tokenServer is an OAuth2 token endpoint for service-account JWT grants.
type tokenServer struct {
	srv    *httptest.Server
	calls  atomic.Int32
	scopes atomic.Value
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{}
	ts.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ts.calls.Add(1)
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"error":"unsupported_grant_type"}`)
			return
		}
		parts := strings.Split(r.Form.Get("assertion"), ".")
		if len(parts) == 3 {
			var claims struct {
				Scope string `json:"scope"`
			}
			raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
			json.Unmarshal(raw, &claims)
			ts.scopes.Store(claims.Scope)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"adc-token-%d","token_type":"Bearer","expires_in":3600}`, n)
	}))
	t.Cleanup(ts.srv.Close)
	return ts
}

// writeServiceAccount writes a service account key whose token_uri is the
// local server, and points GOOGLE_APPLICATION_CREDENTIALS at it.
func writeServiceAccount(t *testing.T, tokenURI string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	sa, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "p", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "backupcopy-test@p.iam.gserviceaccount.com", "client_id": "1",
		"token_uri": tokenURI,
	})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "sa.json")
	require.NoError(t, os.WriteFile(path, sa, 0o600))
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", path)
}

// TestDefaultAuthenticatorServiceAccount runs Application Default Credentials
// offline: a service account key whose token_uri is a local server.
func TestDefaultAuthenticatorServiceAccount(t *testing.T) {
	srv := newTokenServer(t)
	writeServiceAccount(t, srv.srv.URL)

	ctx, cancel := context.WithCancel(context.Background())
	a, err := DefaultAuthenticator(ctx)
	require.NoError(t, err)
	cancel() // the authenticator outlives the context it was made with
	assert.Equal(t, "Bearer adc-token-1", bearerOf(t, a))
	assert.Equal(t, CloudPlatformScope, srv.scopes.Load(), "default scope")
	assert.Equal(t, "Bearer adc-token-1", bearerOf(t, a))
	assert.Equal(t, int32(1), srv.calls.Load())

	// The source from ADC caches tokens itself; Invalidate still yields a
	// new token.
	a.(auth.Invalidator).Invalidate()
	assert.Equal(t, "Bearer adc-token-2", bearerOf(t, a))
	assert.Equal(t, "Bearer adc-token-2", bearerOf(t, a))
	assert.Equal(t, int32(2), srv.calls.Load())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		assert.NotContains(t, fmt.Sprintf(verb, a), "adc-token", verb)
	}

	b, err := DefaultAuthenticator(context.Background(), "https://www.googleapis.com/auth/bigtable.admin", "https://www.googleapis.com/auth/spanner.admin")
	require.NoError(t, err)
	assert.Equal(t, "Bearer adc-token-3", bearerOf(t, b))
	assert.Equal(t, "https://www.googleapis.com/auth/bigtable.admin https://www.googleapis.com/auth/spanner.admin", srv.scopes.Load())
}

func TestDefaultAuthenticatorTokenEndpointRefuses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":"invalid_grant","error_description":"Invalid JWT Signature.","debug":"body-detail-xyz"}`)
	}))
	defer srv.Close()
	writeServiceAccount(t, srv.URL)
	a, err := DefaultAuthenticator(context.Background())
	require.NoError(t, err)
	err = a.Authenticate(context.Background(), httptest.NewRequest("GET", "/", nil), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid_grant")
	assert.Contains(t, err.Error(), "Invalid JWT Signature.")
	assert.NotContains(t, err.Error(), "body-detail-xyz")
}

func TestDefaultAuthenticatorMissing(t *testing.T) {
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "missing.json"))
	_, err := DefaultAuthenticator(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "GOOGLE_APPLICATION_CREDENTIALS")
	assert.Contains(t, err.Error(), "gcloud auth application-default login")
	assert.Contains(t, err.Error(), "missing.json")
}

func TestDefaultAuthenticatorNoneConfigured(t *testing.T) {
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	t.Setenv("GCE_METADATA_HOST", "")
	t.Setenv("HOME", t.TempDir()) // no gcloud application-default file
	t.Setenv("CLOUDSDK_CONFIG", t.TempDir())
	_, err := DefaultAuthenticator(context.Background())
	if err == nil {
		t.Skip("running on Google Cloud: the metadata server supplies credentials")
	}
	assert.Contains(t, err.Error(), "set GOOGLE_APPLICATION_CREDENTIALS")
	assert.Contains(t, err.Error(), "`gcloud auth application-default login`")
}
