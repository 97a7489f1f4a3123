package sigv4

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/auth"
)

// Published AWS SigV4 test-suite cases (see testdata/NOTICE). Credentials
// AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 2015-08-30T12:36:00Z,
// us-east-1, service "service".
var suite = []struct {
	name, method, target string
	header               map[string]string
	token                string
	signed, signature    string
}{
	{"post-vanilla", "POST", "/", nil, "", "host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
	{"post-header-key-sort", "POST", "/", map[string]string{"My-Header1": "value1"}, "", "host;my-header1;x-amz-date", "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
	{"get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", nil, "", "host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
	{"get-vanilla-query-unreserved", "GET", "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", nil, "", "host;x-amz-date", "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
	{"get-vanilla-with-session-token", "GET", "/", nil, "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267", "host;x-amz-date;x-amz-security-token", "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
}

const (
	suiteAKID   = "AKIDEXAMPLE"
	suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

var suiteTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

func TestPublishedSuiteSign(t *testing.T) {
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, "https://example.amazonaws.com"+tc.target, nil)
			require.NoError(t, err)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			s := New(auth.StaticAWSCredentials(suiteAKID, suiteSecret, tc.token), "service", "us-east-1")
			require.NoError(t, s.Authenticate(auth.WithSigningTime(context.Background(), suiteTime), req, nil))
			want := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=" + tc.signed + ", Signature=" + tc.signature
			assert.Equal(t, want, req.Header.Get("Authorization"))
			assert.Equal(t, "20150830T123600Z", req.Header.Get("X-Amz-Date"))
			assert.Equal(t, tc.token, req.Header.Get("X-Amz-Security-Token"))
		})
	}
}

func TestPublishedSuiteVerify(t *testing.T) {
	lookup := func(id string) (string, bool) { return suiteSecret, id == suiteAKID }
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, "https://example.amazonaws.com"+tc.target, nil)
			require.NoError(t, err)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			req.Header.Set("X-Amz-Date", "20150830T123600Z")
			if tc.token != "" {
				req.Header.Set("X-Amz-Security-Token", tc.token)
			}
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders="+tc.signed+", Signature="+tc.signature)
			require.NoError(t, Verify(req, nil, lookup, "service", suiteTime, 5*time.Minute))
			req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), tc.signature[:4], "0000", 1))
			assert.Error(t, Verify(req, nil, lookup, "service", suiteTime, 5*time.Minute))
		})
	}
}
