package sigv4

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/auth"
)

const (
	akid   = "AKIAIOSFODNN7EXAMPLE"
	secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func lookup(id string) (string, bool) { return secret, id == akid }

func signed(t *testing.T, body string, token string, at time.Time) *http.Request {
	t.Helper()
	req := httptest.NewRequest("POST", "https://fsx.us-east-1.amazonaws.com/", bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSSimbaAPIService_v20180301.CopyBackup")
	req.Header.Set("User-Agent", "backupcopy-go/test")
	s := New(auth.StaticAWSCredentials(akid, secret, token), "fsx", "us-east-1")
	require.NoError(t, s.Authenticate(auth.WithSigningTime(context.Background(), at), req, []byte(body)))
	return req
}

func TestSignVerifyRoundTrip(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	body := `{"SourceBackupId":"backup-0123456789abcdef0"}`
	for _, token := range []string{"", "FQoGZXIvYXdzEXAMPLETOKEN"} {
		req := signed(t, body, token, now)
		assert.Contains(t, req.Header.Get("Authorization"), "SignedHeaders=content-length;content-type;host;x-amz-date;")
		assert.Contains(t, req.Header.Get("Authorization"), "x-amz-target")
		assert.NotContains(t, req.Header.Get("Authorization"), "user-agent")
		require.NoError(t, Verify(req, []byte(body), lookup, "fsx", now.Add(time.Minute), 5*time.Minute))
	}
}

func TestVerifyRejects(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	body := `{"SourceBackupId":"backup-0123456789abcdef0"}`
	tests := []struct {
		name   string
		mutate func(r *http.Request) []byte
		code   string
	}{
		{"changed body", func(r *http.Request) []byte { return []byte(`{"SourceBackupId":"backup-ffffffffffffffff0"}`) }, CodeSignatureMismatch},
		{"changed signed header", func(r *http.Request) []byte {
			r.Header.Set("X-Amz-Target", "AWSSimbaAPIService_v20180301.DeleteBackup")
			return nil
		}, CodeSignatureMismatch},
		{"changed path", func(r *http.Request) []byte { r.URL.Path = "/other"; return nil }, CodeSignatureMismatch},
		{"changed host", func(r *http.Request) []byte { r.Host = "evil.example"; return nil }, CodeSignatureMismatch},
		{"unknown key", func(r *http.Request) []byte {
			r.Header.Set("Authorization", bytes.NewBufferString(r.Header.Get("Authorization")).String()[:0]+"AWS4-HMAC-SHA256 Credential=AKIDOTHER/20261122/us-east-1/fsx/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
			return nil
		}, CodeUnknownAccessKey},
		{"no auth", func(r *http.Request) []byte { r.Header.Del("Authorization"); return nil }, CodeMissingAuthentication},
		{"garbage auth", func(r *http.Request) []byte { r.Header.Set("Authorization", "Basic Zm9vOmJhcg=="); return nil }, CodeIncompleteSignature},
		{"no date", func(r *http.Request) []byte { r.Header.Del("X-Amz-Date"); return nil }, CodeIncompleteSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := signed(t, body, "", now)
			b := []byte(body)
			if nb := tt.mutate(req); nb != nil {
				b = nb
			}
			err := Verify(req, b, lookup, "fsx", now, 5*time.Minute)
			var ve *VerifyError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.code, ve.Code)
		})
	}
	t.Run("wrong secret", func(t *testing.T) {
		req := signed(t, body, "", now)
		err := Verify(req, []byte(body), func(string) (string, bool) { return "other", true }, "fsx", now, 5*time.Minute)
		assert.ErrorContains(t, err, "does not match")
	})
	t.Run("skewed clock", func(t *testing.T) {
		req := signed(t, body, "", now.Add(-20*time.Minute))
		err := Verify(req, []byte(body), lookup, "fsx", now, 5*time.Minute)
		assert.True(t, IsExpired(err))
		assert.ErrorContains(t, err, "Signature expired")
	})
	t.Run("wrong service", func(t *testing.T) {
		req := signed(t, body, "", now)
		assert.Error(t, Verify(req, []byte(body), lookup, "s3", now, 5*time.Minute))
	})
}

func TestSignerFreshPerAttempt(t *testing.T) {
	s := New(auth.StaticAWSCredentials(akid, secret, ""), "fsx", "us-east-1")
	req := httptest.NewRequest("POST", "https://fsx.us-east-1.amazonaws.com/", nil)
	t1 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	require.NoError(t, s.Authenticate(auth.WithSigningTime(context.Background(), t1), req, []byte("{}")))
	first := req.Header.Get("Authorization")
	require.NoError(t, s.Authenticate(auth.WithSigningTime(context.Background(), t1.Add(time.Second)), req, []byte("{}")))
	assert.NotEqual(t, first, req.Header.Get("Authorization"))
	assert.Equal(t, "20261122T120001Z", req.Header.Get("X-Amz-Date"))
	assert.Len(t, req.Header.Values("Authorization"), 1)
}

func TestSignerErrorsAndRedaction(t *testing.T) {
	s := New(auth.StaticAWSCredentials("", "", ""), "fsx", "us-east-1")
	err := s.Authenticate(context.Background(), httptest.NewRequest("POST", "https://x/", nil), nil)
	assert.ErrorContains(t, err, "access key id")
	good := New(auth.StaticAWSCredentials(akid, secret, "tok-secret"), "fsx", "us-east-1")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, good)
		assert.NotContains(t, out, secret, verb)
		assert.NotContains(t, out, "tok-secret", verb)
	}
	_ = errors.New
}
