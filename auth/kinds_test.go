package auth

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/backupcopy/backupcopy"
)

// TestErrorKinds: missing or refused credentials are PermissionDenied, a
// broken request InvalidInput, whichever authenticator reports them.
func TestErrorKinds(t *testing.T) {
	t.Setenv("HUAWEICLOUD_SDK_AK", "")
	t.Setenv("HUAWEICLOUD_SDK_SK", "")
	_, envErr := HuaweiCredentialsFromEnv()
	noURL := httptest.NewRequest("GET", "https://cbr.example/v3/p/backups", nil)
	noURL.URL = nil
	sigErr := VerifyHuaweiSignature(httptest.NewRequest("GET", "https://cbr.example/", nil), nil,
		func(string) (string, bool) { return "", false }, hwAt, 0)
	for _, tt := range []struct {
		name string
		err  error
		want backupcopy.Kind
	}{
		{"AK/SK not in the environment", envErr, backupcopy.PermissionDenied},
		{"signer without keys", NewHuaweiSigner(HuaweiCredentials{}).Authenticate(context.Background(), httptest.NewRequest("GET", "https://cbr.example/", nil), nil), backupcopy.PermissionDenied},
		{"signer, request without URL", NewHuaweiSigner(HuaweiCredentials{AccessKey: "a", SecretKey: "s"}).Authenticate(context.Background(), noURL, nil), backupcopy.InvalidInput},
		{"empty IAM token", HuaweiToken("", "p").Authenticate(context.Background(), httptest.NewRequest("GET", "https://cbr.example/", nil), nil), backupcopy.PermissionDenied},
		{"signature refused", sigErr, backupcopy.PermissionDenied},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Error(t, tt.err)
			assert.Equal(t, tt.want, backupcopy.KindOf(tt.err))
		})
	}
}
