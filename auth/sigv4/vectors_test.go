package sigv4

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/auth"
)

// suiteCase is one case of the published AWS SigV4 test suite under
// testdata/v4 (see testdata/README.md for the source and what is left out).
type suiteCase struct {
	name    string
	context struct {
		Credentials struct {
			AccessKeyID     string `json:"access_key_id"`
			SecretAccessKey string `json:"secret_access_key"`
			Token           string `json:"token"`
		} `json:"credentials"`
		Region           string    `json:"region"`
		Service          string    `json:"service"`
		Timestamp        time.Time `json:"timestamp"`
		SignBody         bool      `json:"sign_body"`
		Normalize        bool      `json:"normalize"`
		OmitSessionToken bool      `json:"omit_session_token"`
	}
	request, signedRequest                 string
	canonical, stringToSign, signatureText string
}

func loadSuite(t *testing.T) []suiteCase {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "v4", "*"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(dirs), 25, "the vendored suite is incomplete")
	var out []suiteCase
	for _, dir := range dirs {
		read := func(name string) string {
			b, err := os.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err)
			return string(b)
		}
		c := suiteCase{name: filepath.Base(dir)}
		require.NoError(t, json.Unmarshal([]byte(read("context.json")), &c.context), c.name)
		c.request = read("request.txt")
		c.signedRequest = read("header-signed-request.txt")
		c.canonical = read("header-canonical-request.txt")
		c.stringToSign = read("header-string-to-sign.txt")
		c.signatureText = strings.TrimSpace(read("header-signature.txt"))
		out = append(out, c)
	}
	return out
}

// parseSuiteRequest reads a request in the suite's text form as a server
// would receive it.
func parseSuiteRequest(t *testing.T, text string) (*http.Request, []byte) {
	t.Helper()
	head, body, hasBody := strings.Cut(text, "\n\n")
	if !hasBody {
		head = strings.TrimRight(text, "\n")
	}
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head + "\n\n" + body)))
	require.NoError(t, err)
	b, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	return req, b
}

// clientRequest turns a parsed server-side request into one a client sends.
func clientRequest(req *http.Request) *http.Request {
	req.RequestURI = ""
	req.URL.Scheme = "https"
	req.URL.Host = req.Host
	return req
}

func authorizationLine(t *testing.T, signedRequest string) string {
	t.Helper()
	for _, line := range strings.Split(signedRequest, "\n") {
		if v, ok := strings.CutPrefix(line, "Authorization:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("no Authorization line")
	return ""
}

// TestSuiteSign signs each request of the suite and expects the published
// Authorization header, canonical request and string to sign, through both
// signing paths.
func TestSuiteSign(t *testing.T) {
	for _, tc := range loadSuite(t) {
		for _, direct := range []bool{false, true} {
			name := tc.name
			if direct {
				name += "/direct"
			}
			t.Run(name, func(t *testing.T) {
				require.False(t, tc.context.OmitSessionToken, "unsigned session tokens are not supported")
				req, body := parseSuiteRequest(t, tc.request)
				req = clientRequest(req)
				if tc.context.SignBody {
					// aws-c-auth's sign_body adds this header before signing
					req.Header.Set("X-Amz-Content-Sha256", hexSHA256(body))
				}
				cr := tc.context.Credentials
				s := New(auth.StaticAWSCredentials(cr.AccessKeyID, cr.SecretAccessKey, cr.Token), tc.context.Service, tc.context.Region)
				s.direct = direct
				ctx := auth.WithSigningTime(context.Background(), tc.context.Timestamp)
				require.NoError(t, s.Authenticate(ctx, req, body))

				want := authorizationLine(t, tc.signedRequest)
				assert.Equal(t, want, req.Header.Get("Authorization"))
				assert.Equal(t, tc.context.Timestamp.UTC().Format(amzDateFormat), req.Header.Get("X-Amz-Date"))
				assert.Contains(t, want, "Signature="+tc.signatureText)

				a, err := ParseAuthorization(want)
				require.NoError(t, err)
				canonical := canonicalRequest(req, a.SignedHeaders, hexSHA256(body))
				assert.Equal(t, tc.canonical, canonical)
				assert.Equal(t, tc.stringToSign, stringToSign(req.Header.Get("X-Amz-Date"), a.Scope(), canonical))
			})
		}
	}
}

// TestSuiteVerify verifies each published signed request as a server
// receives it, and refuses it with one signature digit changed or one second
// outside the allowed skew.
func TestSuiteVerify(t *testing.T) {
	for _, tc := range loadSuite(t) {
		t.Run(tc.name, func(t *testing.T) {
			cr := tc.context.Credentials
			req, body := parseSuiteRequest(t, tc.signedRequest)
			at := tc.context.Timestamp
			require.NoError(t, Verify(req, body, cr.AccessKeyID, cr.SecretAccessKey, tc.context.Service, at, DefaultMaxSkew))
			require.NoError(t, Verify(req, body, cr.AccessKeyID, cr.SecretAccessKey, tc.context.Service, at.Add(DefaultMaxSkew), DefaultMaxSkew))

			err := Verify(req, body, cr.AccessKeyID, cr.SecretAccessKey, tc.context.Service, at.Add(DefaultMaxSkew+time.Second), DefaultMaxSkew)
			assert.ErrorIs(t, err, ErrRequestExpired)

			authz := req.Header.Get("Authorization")
			last := authz[len(authz)-1]
			flipped := byte('0')
			if last == '0' {
				flipped = '1'
			}
			req.Header.Set("Authorization", authz[:len(authz)-1]+string(flipped))
			var ve *VerifyError
			require.ErrorAs(t, Verify(req, body, cr.AccessKeyID, cr.SecretAccessKey, tc.context.Service, at, DefaultMaxSkew), &ve)
			assert.ErrorIs(t, ve, ErrSignatureMismatch)
			assert.Equal(t, tc.canonical, ve.CanonicalRequest, "the verifier's canonical request")
			assert.Equal(t, tc.stringToSign, ve.StringToSign)
		})
	}
}
