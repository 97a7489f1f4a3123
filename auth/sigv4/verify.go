package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// VerifyError says why a signature was refused. Code is the AWS error code a
// service answers with.
type VerifyError struct {
	Code   string
	Reason string
}

func (e *VerifyError) Error() string { return e.Code + ": " + e.Reason }

// Codes a verifier reports, as AWS services name them.
const (
	CodeMissingAuthentication = "MissingAuthenticationTokenException"
	CodeIncompleteSignature   = "IncompleteSignatureException"
	CodeUnknownAccessKey      = "UnrecognizedClientException"
	CodeSignatureMismatch     = "InvalidSignatureException"
	CodeSignatureExpired      = "InvalidSignatureException" // message "Signature expired: ..."
)

// ErrSignatureExpired is wrapped by the error for a request dated too far
// from the verifier's clock.
var ErrSignatureExpired = errors.New("signature expired")

// Verify checks req's SigV4 Authorization header against body, the secret
// that lookup returns for its access key id, the expected service, and now
// (requests dated more than maxSkew away are refused). It canonicalizes the
// request independently of how it was signed.
func Verify(req *http.Request, body []byte, lookup func(accessKeyID string) (secret string, ok bool), service string, now time.Time, maxSkew time.Duration) error {
	authz := req.Header.Get("Authorization")
	if authz == "" {
		return &VerifyError{CodeMissingAuthentication, "Missing Authentication Token"}
	}
	const alg = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(authz, alg) {
		return &VerifyError{CodeIncompleteSignature, "Authorization header must start with AWS4-HMAC-SHA256"}
	}
	fields := map[string]string{}
	for _, part := range strings.Split(authz[len(alg):], ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return &VerifyError{CodeIncompleteSignature, "malformed Authorization header"}
		}
		fields[k] = v
	}
	cred, signed, sig := fields["Credential"], fields["SignedHeaders"], fields["Signature"]
	if cred == "" || signed == "" || sig == "" {
		return &VerifyError{CodeIncompleteSignature, "Authorization header requires Credential, SignedHeaders and Signature"}
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return &VerifyError{CodeIncompleteSignature, "malformed Credential scope"}
	}
	akid, day, region, svc := scope[0], scope[1], scope[2], scope[3]
	if svc != service {
		return &VerifyError{CodeSignatureMismatch, fmt.Sprintf("Credential should be scoped to correct service: '%s'", service)}
	}
	secret, ok := lookup(akid)
	if !ok {
		return &VerifyError{CodeUnknownAccessKey, "The security token included in the request is invalid."}
	}
	amzDate := req.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return &VerifyError{CodeIncompleteSignature, "missing or malformed X-Amz-Date"}
	}
	if t.Format("20060102") != day {
		return &VerifyError{CodeSignatureMismatch, "Credential date does not match X-Amz-Date"}
	}
	if d := t.Sub(now); d > maxSkew || d < -maxSkew {
		return fmt.Errorf("%w", &VerifyError{CodeSignatureExpired, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s.)",
			amzDate, now.Add(-maxSkew).UTC().Format("20060102T150405Z"), now.UTC().Format("20060102T150405Z"), maxSkew)})
	}
	names := strings.Split(signed, ";")
	if !sort.StringsAreSorted(names) || !contains(names, "host") {
		return &VerifyError{CodeIncompleteSignature, "SignedHeaders must be sorted and include host"}
	}
	canonical := CanonicalRequest(req, names, body)
	sts := strings.Join([]string{"AWS4-HMAC-SHA256", amzDate, strings.Join(scope[1:], "/"), hexSHA(canonical)}, "\n")
	key := SigningKey(secret, day, region, svc)
	want := hex.EncodeToString(hmacSHA(key, sts))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return &VerifyError{CodeSignatureMismatch, "The request signature we calculated does not match the signature you provided."}
	}
	return nil
}

// IsExpired reports whether err is a verification failure for the request's date.
func IsExpired(err error) bool {
	var ve *VerifyError
	return errors.As(err, &ve) && strings.HasPrefix(ve.Reason, "Signature expired")
}

// CanonicalRequest builds the SigV4 canonical request of req for the given
// signed header names (lower case, sorted) and body.
func CanonicalRequest(req *http.Request, signed []string, body []byte) string {
	path := req.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.WriteString(req.Method)
	b.WriteByte('\n')
	b.WriteString(uriEncode(path))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(req.URL.RawQuery))
	b.WriteByte('\n')
	for _, h := range signed {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(headerValue(req, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(hexSHA(string(body)))
	return b.String()
}

func headerValue(req *http.Request, h string) string {
	switch h {
	case "host":
		if req.Host != "" {
			return req.Host
		}
		return req.URL.Host
	case "content-length":
		if v := req.Header.Get("Content-Length"); v != "" {
			return strings.TrimSpace(v)
		}
		return strconv.FormatInt(req.ContentLength, 10)
	}
	vals := req.Header.Values(h)
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.TrimSpace(v)
	}
	return strings.Join(out, ",")
}

func canonicalQuery(raw string) string {
	q, _ := url.ParseQuery(raw)
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			parts = append(parts, awsEscape(k)+"="+awsEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// awsEscape percent-encodes everything but unreserved characters.
func awsEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// uriEncode encodes an already-escaped path once more, keeping '/'.
func uriEncode(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if isUnreserved(c) || c == '/' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

// SigningKey derives the SigV4 signing key.
func SigningKey(secret, day, region, service string) []byte {
	k := hmacSHA([]byte("AWS4"+secret), day)
	k = hmacSHA(k, region)
	k = hmacSHA(k, service)
	return hmacSHA(k, "aws4_request")
}

func hmacSHA(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func hexSHA(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
