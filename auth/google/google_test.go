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
	"net/url"
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

	"github.com/backupcopy/backupcopy"
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

// TestDefaultAuthenticatorErrors: a configuration that cannot work is
// reported at once, in one line that says what was tried, what was wrong and
// what to do, never with the key parser's ASN.1 detail, and never telling the
// user to set GOOGLE_APPLICATION_CREDENTIALS when it is set.
func TestDefaultAuthenticatorErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		return path
	}
	saKey := func(privateKey string) string {
		b, err := json.Marshal(map[string]string{"type": "service_account", "project_id": "p", "private_key_id": "k1",
			"private_key": privateKey, "client_email": "sa@p.iam.gserviceaccount.com", "token_uri": "https://127.0.0.1:1/token"})
		require.NoError(t, err)
		return string(b)
	}
	// A PEM block whose bytes are not a key: the parser's own error is an
	// ASN.1 dump ("tags don't match (16 vs {class:0 tag:13 ...").
	junkPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("\x0d\x03not a key at all")}))

	missing := filepath.Join(dir, "missing.json")
	notJSON := write("notjson.json", "-----BEGIN PRIVATE KEY-----\nMIIE...\n")
	badPEM := write("badpem.json", saKey(junkPEM))
	noPEM := write("nopem.json", saKey("not a key"))
	unknownType := write("weird.json", `{"type":"weird_account"}`)

	for _, tt := range []struct {
		name, env, home, want string
	}{
		{"GOOGLE_APPLICATION_CREDENTIALS names a missing file", missing, "",
			"google: Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS is set to " + missing + ", which does not exist: set it to the path of a service account key file, or unset it to use gcloud's credentials or the metadata server"},
		{"not JSON", notJSON, "",
			"google: Application Default Credentials: " + notJSON + " (GOOGLE_APPLICATION_CREDENTIALS) is not a JSON key file: invalid character '-' in numeric literal: download the service account's key again (JSON) or run `gcloud auth application-default login`"},
		{"private key is not a key", badPEM, "",
			"google: Application Default Credentials: the private_key in " + badPEM + " (GOOGLE_APPLICATION_CREDENTIALS) is not a valid PEM private key: download a new key for the service account and point GOOGLE_APPLICATION_CREDENTIALS at it"},
		{"private key is not PEM", noPEM, "",
			"google: Application Default Credentials: the private_key in " + noPEM + " (GOOGLE_APPLICATION_CREDENTIALS) is not a valid PEM private key: download a new key for the service account and point GOOGLE_APPLICATION_CREDENTIALS at it"},
		{"unknown credential type", unknownType, "",
			"google: Application Default Credentials: " + unknownType + " (GOOGLE_APPLICATION_CREDENTIALS) cannot be used: unknown credential type: \"weird_account\": use a service account key file, or run `gcloud auth application-default login`"},
		{"gcloud's file is broken", "", "gcloud-broken",
			"google: Application Default Credentials: HOME/.config/gcloud/application_default_credentials.json (gcloud's application-default credentials) is not a JSON key file: unexpected end of JSON input: download the service account's key again (JSON) or run `gcloud auth application-default login`"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", tt.env)
			home := t.TempDir()
			t.Setenv("HOME", home)
			if tt.home == "gcloud-broken" {
				require.NoError(t, os.MkdirAll(filepath.Join(home, ".config", "gcloud"), 0o700))
				require.NoError(t, os.WriteFile(filepath.Join(home, ".config", "gcloud", "application_default_credentials.json"), []byte("{"), 0o600))
			}
			_, err := DefaultAuthenticator(context.Background())
			require.Error(t, err)
			msg := err.Error()
			assert.Equal(t, strings.ReplaceAll(tt.want, "HOME", home), msg)
			assert.NotContains(t, msg, "\n")
			assert.NotContains(t, msg, "asn1")
			assert.NotContains(t, msg, "tags don't match")
			assert.Equal(t, backupcopy.PermissionDenied, backupcopy.KindOf(err))
			if tt.env != "" {
				assert.NotContains(t, msg, "set GOOGLE_APPLICATION_CREDENTIALS to", "it is set")
			}
		})
	}
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
	assert.Equal(t, "google: no Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS is not set, "+gcloudFile()+
		" does not exist and no metadata server answered (not on Google Cloud): set GOOGLE_APPLICATION_CREDENTIALS to the path of a service account key file, or run `gcloud auth application-default login`",
		err.Error())
	assert.Equal(t, backupcopy.PermissionDenied, backupcopy.KindOf(err))
}

// TestAuthenticatorHungTokenEndpoint: a token source that never returns
// fails a caller with context.Background() at the refresh bound with a
// Transient error; the next call tries again.
func TestAuthenticatorHungTokenEndpoint(t *testing.T) {
	t.Run("token source", func(t *testing.T) {
		src := &fakeSource{gate: make(chan struct{})}
		t.Cleanup(func() { close(src.gate) })
		a := NewAuthenticator(src).(*bearer)
		a.cache.Timeout = 50 * time.Millisecond
		err := a.Authenticate(context.Background(), httptest.NewRequest("GET", "/", nil), nil)
		require.Error(t, err)
		assert.Equal(t, backupcopy.Transient, backupcopy.KindOf(err))
		assert.EqualError(t, err, "google: OAuth2 token: no answer within 50ms: the endpoint is slow, down or unreachable; later calls try again")
		assert.Error(t, a.Authenticate(context.Background(), httptest.NewRequest("GET", "/", nil), nil))
		assert.Equal(t, int32(2), src.n.Load(), "a timed-out fetch is not cached")
	})
	t.Run("Application Default Credentials", func(t *testing.T) {
		stuck := make(chan struct{})
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			<-stuck
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(stuck) }) // runs first: the server can close
		writeServiceAccount(t, srv.URL)
		a, err := DefaultAuthenticator(context.Background())
		require.NoError(t, err)
		a.(*bearer).cache.Timeout = 100 * time.Millisecond
		err = a.Authenticate(context.Background(), httptest.NewRequest("GET", "/", nil), nil)
		require.Error(t, err)
		assert.Equal(t, backupcopy.Transient, backupcopy.KindOf(err))
		assert.Equal(t, int32(1), calls.Load())
	})
}

func TestTokenErrorKinds(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want backupcopy.Kind
	}{
		{"400 invalid_grant", &oauth2.RetrieveError{Response: &http.Response{StatusCode: 400, Status: "400 Bad Request"}, ErrorCode: "invalid_grant"}, backupcopy.PermissionDenied},
		{"401", &oauth2.RetrieveError{Response: &http.Response{StatusCode: 401, Status: "401 Unauthorized"}}, backupcopy.PermissionDenied},
		{"503", &oauth2.RetrieveError{Response: &http.Response{StatusCode: 503, Status: "503 Service Unavailable"}}, backupcopy.Transient},
		{"429", &oauth2.RetrieveError{Response: &http.Response{StatusCode: 429, Status: "429 Too Many Requests"}}, backupcopy.Throttled},
		{"connection refused", &url.Error{Op: "Post", URL: "https://oauth2.googleapis.com/token", Err: errors.New("dial tcp: connection refused")}, backupcopy.Transient},
		{"other", errors.New("private key is invalid"), backupcopy.PermissionDenied},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := NewAuthenticator(&fakeSource{err: tt.err}).Authenticate(context.Background(), httptest.NewRequest("GET", "/", nil), nil)
			require.Error(t, err)
			assert.Equal(t, tt.want, backupcopy.KindOf(err))
			assert.ErrorIs(t, err, tt.err)
		})
	}
}
