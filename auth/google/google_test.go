package google

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

type countingSource struct {
	n      atomic.Int32
	expiry time.Time
	err    error
}

func (s *countingSource) Token() (*oauth2.Token, error) {
	n := s.n.Add(1)
	if s.err != nil {
		return nil, s.err
	}
	return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", n), Expiry: s.expiry}, nil
}

func TestAuthenticatorCachesAndInvalidates(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	src := &countingSource{expiry: now.Add(time.Hour)}
	a := NewAuthenticator(src)
	a.now = func() time.Time { return now }
	req := httptest.NewRequest("GET", "https://x.example", nil)
	require.NoError(t, a.Authenticate(context.Background(), req, nil))
	require.NoError(t, a.Authenticate(context.Background(), req, nil))
	assert.Equal(t, "Bearer tok-1", req.Header.Get("Authorization"))
	assert.Equal(t, int32(1), src.n.Load())

	a.Invalidate()
	require.NoError(t, a.Authenticate(context.Background(), req, nil))
	assert.Equal(t, "Bearer tok-2", req.Header.Get("Authorization"))

	now = now.Add(58 * time.Minute) // within the expiry delta
	require.NoError(t, a.Authenticate(context.Background(), req, nil))
	assert.Equal(t, "Bearer tok-3", req.Header.Get("Authorization"))
}

func TestAuthenticatorErrorsHideSecrets(t *testing.T) {
	src := &countingSource{err: &oauth2.RetrieveError{Response: &http.Response{Status: "400 Bad Request"}, Body: []byte(`{"secret":"s3cr3t"}`), ErrorCode: "invalid_grant", ErrorDescription: "bad"}}
	err := NewAuthenticator(src).Authenticate(context.Background(), httptest.NewRequest("GET", "/", nil), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid_grant")
	assert.NotContains(t, err.Error(), "s3cr3t")

	a := NewAuthenticator(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ya29.secret-token"}))
	require.NoError(t, a.Authenticate(context.Background(), httptest.NewRequest("GET", "/", nil), nil))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		assert.NotContains(t, fmt.Sprintf(verb, a), "ya29", verb)
	}
	empty := NewAuthenticator(oauth2.StaticTokenSource(&oauth2.Token{}))
	assert.ErrorContains(t, empty.Authenticate(context.Background(), httptest.NewRequest("GET", "/", nil), nil), "empty token")
}

// TestDefaultAuthenticatorFromServiceAccountFile runs ADC offline: a service
// account key whose token_uri is a local server.
func TestDefaultAuthenticatorFromServiceAccountFile(t *testing.T) {
	var gotScope atomic.Value
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		gotScope.Store(r.Form.Get("assertion"))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"adc-token","token_type":"Bearer","expires_in":3600}`)
	}))
	defer tokenSrv.Close()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: must(x509.MarshalPKCS8PrivateKey(key))})
	sa, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "p", "private_key_id": "k1", "private_key": string(pemKey),
		"client_email": "sa@p.iam.gserviceaccount.com", "client_id": "1", "token_uri": tokenSrv.URL,
	})
	path := filepath.Join(t.TempDir(), "sa.json")
	require.NoError(t, os.WriteFile(path, sa, 0o600))
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", path)

	a, err := DefaultAuthenticator(context.Background())
	require.NoError(t, err)
	req := httptest.NewRequest("GET", "https://x.example", nil)
	require.NoError(t, a.Authenticate(context.Background(), req, nil))
	assert.Equal(t, "Bearer adc-token", req.Header.Get("Authorization"))
	assert.NotEmpty(t, gotScope.Load(), "a signed JWT assertion was exchanged")
}

func TestDefaultAuthenticatorMissing(t *testing.T) {
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "missing.json"))
	_, err := DefaultAuthenticator(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "GOOGLE_APPLICATION_CREDENTIALS")
	assert.Contains(t, err.Error(), "gcloud auth application-default login")
	assert.False(t, errors.Is(err, context.Canceled))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
