package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// Huawei Cloud API Gateway header names.
const (
	HuaweiDateHeader          = "X-Sdk-Date"
	HuaweiProjectHeader       = "X-Project-Id"
	HuaweiSecurityTokenHeader = "X-Security-Token"
	HuaweiAuthTokenHeader     = "X-Auth-Token"
	huaweiAlgorithm           = "SDK-HMAC-SHA256"
	huaweiDateFormat          = "20060102T150405Z"
)

// HuaweiCredentials are Huawei Cloud AK/SK credentials, permanent or
// temporary (with a SecurityToken). ProjectID, when set, is sent as
// X-Project-Id.
type HuaweiCredentials struct {
	AccessKey     string
	SecretKey     string
	SecurityToken string
	ProjectID     string
}

// String shows the access key and project, never the secret or token.
func (c HuaweiCredentials) String() string {
	s := fmt.Sprintf("HuaweiCredentials{AccessKey: %q, SecretKey: %s", c.AccessKey, redacted)
	if c.SecurityToken != "" {
		s += ", SecurityToken: " + redacted
	}
	return s + fmt.Sprintf(", ProjectID: %q}", c.ProjectID)
}

// GoString is String.
func (c HuaweiCredentials) GoString() string { return c.String() }

// Format redacts every fmt verb.
func (c HuaweiCredentials) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// HuaweiCredentialsFromEnv reads the official SDK's variables:
// HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_SECURITY_TOKEN and
// HUAWEICLOUD_SDK_PROJECT_ID.
func HuaweiCredentialsFromEnv() (HuaweiCredentials, error) {
	c := HuaweiCredentials{
		AccessKey:     os.Getenv("HUAWEICLOUD_SDK_AK"),
		SecretKey:     os.Getenv("HUAWEICLOUD_SDK_SK"),
		SecurityToken: os.Getenv("HUAWEICLOUD_SDK_SECURITY_TOKEN"),
		ProjectID:     os.Getenv("HUAWEICLOUD_SDK_PROJECT_ID"),
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return HuaweiCredentials{}, errors.New("auth: Huawei Cloud credentials not found: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (and HUAWEICLOUD_SDK_PROJECT_ID)")
	}
	return c, nil
}

// HuaweiSigner signs requests with Huawei Cloud's SDK-HMAC-SHA256 AK/SK
// scheme. It signs host and every header on the request except
// Content-Type and names containing '_' (as the official SDK does, plus
// host), dated auth.SigningTime(ctx).
type HuaweiSigner struct {
	creds HuaweiCredentials
}

var _ Authenticator = (*HuaweiSigner)(nil)

// NewHuaweiSigner returns a signer for creds.
func NewHuaweiSigner(creds HuaweiCredentials) *HuaweiSigner { return &HuaweiSigner{creds: creds} }

// Authenticate signs req, whose body is exactly body.
func (s *HuaweiSigner) Authenticate(ctx context.Context, req *http.Request, body []byte) error {
	if s.creds.AccessKey == "" || s.creds.SecretKey == "" {
		return errors.New("auth: Huawei AK/SK signing needs an access key and a secret key")
	}
	req.Header.Del("Authorization")
	req.Header.Set(HuaweiDateHeader, SigningTime(ctx).UTC().Format(huaweiDateFormat))
	if s.creds.ProjectID != "" {
		req.Header.Set(HuaweiProjectHeader, s.creds.ProjectID)
	}
	if s.creds.SecurityToken != "" {
		req.Header.Set(HuaweiSecurityTokenHeader, s.creds.SecurityToken)
	}
	signed := huaweiSignedHeaders(req)
	sig := huaweiSignature(s.creds.SecretKey, req, signed, body)
	req.Header.Set("Authorization", fmt.Sprintf("%s Access=%s, SignedHeaders=%s, Signature=%s", huaweiAlgorithm, s.creds.AccessKey, strings.Join(signed, ";"), sig))
	return nil
}

// String describes the signer without secrets.
func (s *HuaweiSigner) String() string { return "HuaweiSigner{" + s.creds.String() + "}" }

// GoString is String.
func (s *HuaweiSigner) GoString() string { return s.String() }

// Format redacts every fmt verb.
func (s *HuaweiSigner) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

func huaweiSignedHeaders(req *http.Request) []string {
	names := []string{"host"}
	for k := range req.Header {
		lk := strings.ToLower(k)
		if lk == "host" || lk == "authorization" || strings.HasPrefix(lk, "content-type") || strings.Contains(lk, "_") {
			continue
		}
		names = append(names, lk)
	}
	sort.Strings(names)
	return names
}

func huaweiSignature(secret string, req *http.Request, signed []string, body []byte) string {
	canonical := HuaweiCanonicalRequest(req, signed, body)
	sum := sha256.Sum256([]byte(canonical))
	sts := huaweiAlgorithm + "\n" + req.Header.Get(HuaweiDateHeader) + "\n" + hex.EncodeToString(sum[:])
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(sts))
	return hex.EncodeToString(m.Sum(nil))
}

// HuaweiCanonicalRequest builds the SDK-HMAC-SHA256 canonical request of req
// for the given signed header names (lower case, sorted). Each path segment
// is decoded and re-encoded (unreserved characters kept, upper-case hex),
// and a trailing '/' is added.
func HuaweiCanonicalRequest(req *http.Request, signed []string, body []byte) string {
	segs := strings.Split(req.URL.EscapedPath(), "/")
	for i, s := range segs {
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
		segs[i] = huaweiEscape(s)
	}
	uri := strings.Join(segs, "/")
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}

	q, _ := url.ParseQuery(req.URL.RawQuery)
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var qs []string
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			qs = append(qs, huaweiEscape(k)+"="+huaweiEscape(v))
		}
	}

	var hdrs strings.Builder
	for _, h := range signed {
		if h == "host" {
			host := req.Host
			if host == "" {
				host = req.URL.Host
			}
			hdrs.WriteString("host:" + host + "\n")
			continue
		}
		vals := append([]string(nil), req.Header.Values(h)...)
		sort.Strings(vals)
		for _, v := range vals {
			hdrs.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
		}
	}
	sum := sha256.Sum256(body)
	return strings.Join([]string{req.Method, uri, strings.Join(qs, "&"), hdrs.String(), strings.Join(signed, ";"), hex.EncodeToString(sum[:])}, "\n")
}

func huaweiEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '~' || c == '.' {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
		}
	}
	return b.String()
}

// HuaweiVerifyError says why a Huawei signature or token was refused. Code
// is the API Gateway error code (APIGW.0301 for every authentication
// failure) and Reason the gateway's message.
type HuaweiVerifyError struct {
	Code, Reason string
	// Expired is true when the request's X-Sdk-Date is outside the window.
	Expired bool
}

func (e *HuaweiVerifyError) Error() string { return e.Code + ": " + e.Reason }

// VerifyHuaweiSignature checks req's SDK-HMAC-SHA256 Authorization header
// against body, the secret key lookup returns for its access key, and now
// (X-Sdk-Date more than maxSkew away is refused). Fakes use it to check
// authentication as the API Gateway does.
func VerifyHuaweiSignature(req *http.Request, body []byte, lookup func(accessKey string) (secretKey string, ok bool), now time.Time, maxSkew time.Duration) error {
	fail := func(reason string) error { return &HuaweiVerifyError{Code: "APIGW.0301", Reason: reason} }
	authz := req.Header.Get("Authorization")
	if authz == "" {
		return fail("Incorrect IAM authentication information: Authorization header not found")
	}
	rest, ok := strings.CutPrefix(authz, huaweiAlgorithm+" ")
	if !ok {
		return fail("Incorrect IAM authentication information: unsupported signature algorithm")
	}
	fields := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			return fail("Incorrect IAM authentication information: malformed Authorization header")
		}
		fields[k] = v
	}
	ak, signedList, sig := fields["Access"], fields["SignedHeaders"], fields["Signature"]
	if ak == "" || signedList == "" || sig == "" {
		return fail("Incorrect IAM authentication information: Access, SignedHeaders and Signature are required")
	}
	sk, ok := lookup(ak)
	if !ok {
		return fail("Incorrect IAM authentication information: AK " + ak + " not found")
	}
	date := req.Header.Get(HuaweiDateHeader)
	t, err := time.Parse(huaweiDateFormat, date)
	if err != nil {
		return fail("Incorrect IAM authentication information: x-sdk-date header not found or malformed")
	}
	if d := t.Sub(now); d > maxSkew || d < -maxSkew {
		return &HuaweiVerifyError{Code: "APIGW.0301", Reason: "Incorrect IAM authentication information: verify aksk signature fail, signature expired", Expired: true}
	}
	signed := strings.Split(signedList, ";")
	if !sort.StringsAreSorted(signed) {
		return fail("Incorrect IAM authentication information: SignedHeaders must be sorted")
	}
	want := huaweiSignature(sk, req, signed, body)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return fail("Incorrect IAM authentication information: verify aksk signature fail")
	}
	return nil
}

// HuaweiToken returns an Authenticator that sends a fixed IAM token as
// X-Auth-Token (and projectID, if set, as X-Project-Id).
func HuaweiToken(token, projectID string) Authenticator {
	return huaweiStaticToken{token: token, projectID: projectID}
}

type huaweiStaticToken struct{ token, projectID string }

func (h huaweiStaticToken) Authenticate(_ context.Context, req *http.Request, _ []byte) error {
	if h.token == "" {
		return errors.New("auth: empty Huawei IAM token")
	}
	req.Header.Set(HuaweiAuthTokenHeader, h.token)
	if h.projectID != "" {
		req.Header.Set(HuaweiProjectHeader, h.projectID)
	}
	return nil
}

func (h huaweiStaticToken) String() string {
	return fmt.Sprintf("HuaweiToken{token: %s, projectID: %q}", redacted, h.projectID)
}
func (h huaweiStaticToken) GoString() string           { return h.String() }
func (h huaweiStaticToken) Format(f fmt.State, _ rune) { fmt.Fprint(f, h.String()) }
