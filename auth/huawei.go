package auth

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth/internal/credcache"
)

// Huawei Cloud API Gateway header names.
const (
	// HuaweiDateHeader carries the signing time, 20060102T150405Z in UTC.
	HuaweiDateHeader = "X-Sdk-Date"
	// HuaweiProjectHeader carries the project id.
	HuaweiProjectHeader = "X-Project-Id"
	// HuaweiSecurityTokenHeader carries the security token of temporary AK/SK
	// credentials; it is signed.
	HuaweiSecurityTokenHeader = "X-Security-Token"
	// HuaweiAuthTokenHeader carries an IAM token.
	HuaweiAuthTokenHeader = "X-Auth-Token"
	// HuaweiContentSHA256Header, when present, stands for the body's hash in
	// the canonical request ("UNSIGNED-PAYLOAD" for a body that is not signed).
	HuaweiContentSHA256Header = "X-Sdk-Content-Sha256"
)

// HuaweiMaxClockSkew is how far the API Gateway lets X-Sdk-Date be from its own
// clock (about 15 minutes), and VerifyHuaweiSignature's default.
const HuaweiMaxClockSkew = 15 * time.Minute

const (
	huaweiAlgorithm       = "SDK-HMAC-SHA256"
	huaweiDateFormat      = "20060102T150405Z"
	huaweiUnsignedPayload = "UNSIGNED-PAYLOAD"
	huaweiEnvAK           = "HUAWEICLOUD_SDK_AK"
	huaweiEnvSK           = "HUAWEICLOUD_SDK_SK"
	huaweiEnvToken        = "HUAWEICLOUD_SDK_SECURITY_TOKEN"
	huaweiEnvProject      = "HUAWEICLOUD_SDK_PROJECT_ID"
)

// HuaweiCredentials are Huawei Cloud AK/SK credentials: permanent, or temporary
// with a SecurityToken. ProjectID, when set, is sent as X-Project-Id. Printing
// them with any fmt verb shows the access key and project id only.
type HuaweiCredentials struct {
	// AccessKey is the access key (AK).
	AccessKey string
	// SecretKey signs requests (SK); it is never printed.
	SecretKey string
	// SecurityToken goes with temporary AK/SK; it is never printed.
	SecurityToken string
	// ProjectID, when set, is sent as X-Project-Id.
	ProjectID string
}

// String shows the access key and project id, never the secret key or token.
func (c HuaweiCredentials) String() string {
	tok := `""`
	if c.SecurityToken != "" {
		tok = redacted
	}
	return fmt.Sprintf("HuaweiCredentials{AccessKey: %q, SecretKey: %s, SecurityToken: %s, ProjectID: %q}",
		c.AccessKey, redacted, tok, c.ProjectID)
}

// GoString is String, so that %#v redacts too.
func (c HuaweiCredentials) GoString() string { return c.String() }

// Format writes String for every fmt verb (quoted for %q).
func (c HuaweiCredentials) Format(f fmt.State, verb rune) { huaweiFormat(f, verb, c.String()) }

// HuaweiCredentialsFromEnv reads the variables huaweicloud-sdk-go-v3 reads:
// HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (both required),
// HUAWEICLOUD_SDK_SECURITY_TOKEN (temporary credentials) and
// HUAWEICLOUD_SDK_PROJECT_ID. The error names the variables that are missing.
func HuaweiCredentialsFromEnv() (HuaweiCredentials, error) {
	c := HuaweiCredentials{
		AccessKey:     os.Getenv(huaweiEnvAK),
		SecretKey:     os.Getenv(huaweiEnvSK),
		SecurityToken: os.Getenv(huaweiEnvToken),
		ProjectID:     os.Getenv(huaweiEnvProject),
	}
	var missing []string
	if c.AccessKey == "" {
		missing = append(missing, huaweiEnvAK)
	}
	if c.SecretKey == "" {
		missing = append(missing, huaweiEnvSK)
	}
	if len(missing) > 0 {
		return HuaweiCredentials{}, credcache.Errorf(backupcopy.PermissionDenied, "auth: Huawei Cloud credentials not found in the environment: %s not set "+
			"(set %s and %s; also %s for temporary credentials and %s for the project)",
			strings.Join(missing, " and "), huaweiEnvAK, huaweiEnvSK, huaweiEnvToken, huaweiEnvProject)
	}
	return c, nil
}

// HuaweiSigner is an Authenticator that signs requests with Huawei Cloud's
// SDK-HMAC-SHA256 AK/SK scheme, dated auth.SigningTime(ctx).
//
// It sets X-Sdk-Date, X-Project-Id (when the credentials have a project id)
// and X-Security-Token (temporary credentials), then signs exactly the headers
// huaweicloud-sdk-go-v3 signs: every header on the request except those whose
// lower-cased name starts with "content-type" or whose name contains '_'. Host
// is not among them (the request's Host lives outside its Header) unless
// HuaweiSignHost is given. For a request whose Content-Type names neither
// application/json nor application/bson it sets X-Sdk-Content-Sha256:
// UNSIGNED-PAYLOAD, as the SDK does, and the body is then not covered by the
// signature; every backupcopy request is JSON, so its bodies are always signed.
//
// The query string is rewritten in strict form before it is signed: the same
// pairs in the same order, every byte but A-Z a-z 0-9 - _ . ~ percent-encoded
// (a space, written '+' or %20, becomes %20), which is the form the SDK sends.
// So the gateway reads exactly what was signed, however it decodes '+' or
// other characters. A query with a malformed escape is refused.
type HuaweiSigner struct {
	creds    HuaweiCredentials
	signHost bool
}

var _ Authenticator = (*HuaweiSigner)(nil)

// HuaweiSignerOption configures a HuaweiSigner.
type HuaweiSignerOption func(*HuaweiSigner)

// HuaweiSignHost makes the signer sign the Host header too (the request's
// Host, else its URL's host), as the examples in Huawei's API signing guide do.
// The gateway accepts either form; signing Host binds a signature to one
// endpoint.
func HuaweiSignHost() HuaweiSignerOption { return func(s *HuaweiSigner) { s.signHost = true } }

// NewHuaweiSigner returns a signer for creds.
func NewHuaweiSigner(creds HuaweiCredentials, opts ...HuaweiSignerOption) *HuaweiSigner {
	s := &HuaweiSigner{creds: creds}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Authenticate signs req, whose body is exactly body.
func (s *HuaweiSigner) Authenticate(ctx context.Context, req *http.Request, body []byte) error {
	if s.creds.AccessKey == "" || s.creds.SecretKey == "" {
		return credcache.Errorf(backupcopy.PermissionDenied, "auth: Huawei AK/SK signing needs an access key and a secret key")
	}
	if req.URL == nil {
		return credcache.Errorf(backupcopy.InvalidInput, "auth: Huawei AK/SK signing: the request has no URL")
	}
	var query url.Values
	if req.URL.RawQuery != "" {
		q, strict, err := huaweiParseQuery(req.URL.RawQuery)
		if err != nil {
			return credcache.Errorf(backupcopy.InvalidInput, "auth: Huawei AK/SK signing: %w", err)
		}
		req.URL.RawQuery = strict
		query = q
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Del("Authorization")
	var dateBuf [len(huaweiDateFormat)]byte
	date := string(SigningTime(ctx).UTC().AppendFormat(dateBuf[:0], huaweiDateFormat))
	// The values this signer sets share one array (each capped at length 1,
	// as Header.Set's own would be).
	vals := make([]string, 0, 4)
	set := func(k, v string) {
		vals = append(vals, v)
		req.Header[k] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	set(HuaweiDateHeader, date)
	if s.creds.ProjectID != "" {
		set(HuaweiProjectHeader, s.creds.ProjectID)
	}
	if s.creds.SecurityToken != "" {
		set(HuaweiSecurityTokenHeader, s.creds.SecurityToken)
	}
	if authz, ok := s.signFast(req, query, body, date); ok {
		set("Authorization", authz)
		return nil
	}
	payload := huaweiPayloadHash(req.Header, body)
	signed := huaweiHeadersToSign(req.Header, s.signHost)
	canonical := huaweiCanonicalRequest(req.Method, req.URL.EscapedPath(), query, huaweiRequestHost(req), req.Header, signed, payload)
	sig := huaweiSign(s.creds.SecretKey, date, canonical)
	req.Header.Set("Authorization", huaweiAlgorithm+" Access="+s.creds.AccessKey+", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
	return nil
}

// signFast returns the Authorization value, computed as huaweiPayloadHash,
// huaweiHeadersToSign, huaweiCanonicalRequest and huaweiSign do, byte for
// byte, but into buffers on the stack. It declines (false) a request with a
// header name that is not ASCII (strings.ToLower's Unicode rules apply
// there), which then goes the general way.
func (s *HuaweiSigner) signFast(req *http.Request, query url.Values, body []byte, date string) (string, bool) {
	h := req.Header
	for k := range h {
		for i := 0; i < len(k); i++ {
			if k[i] >= utf8.RuneSelf {
				return "", false
			}
		}
	}

	// Payload (huaweiPayloadHash), first: it may add a header to sign.
	var sumHex [sha256.Size * 2]byte
	var payload []byte
	var payloadStr string
	if v := h.Values(HuaweiContentSHA256Header); len(v) > 0 {
		payloadStr = v[0]
	} else if ct := h.Values("Content-Type"); len(ct) > 0 && !strings.Contains(ct[0], "application/json") && !strings.Contains(ct[0], "application/bson") {
		h.Set(HuaweiContentSHA256Header, huaweiUnsignedPayload)
		payloadStr = huaweiUnsignedPayload
	} else {
		sum := sha256.Sum256(body)
		hex.Encode(sumHex[:], sum[:])
		payload = sumHex[:]
	}

	var keyArr [16]string
	keys := keyArr[:0]
	for k, vs := range h {
		if len(vs) == 0 || asciiEqualFold(k, "host") || asciiEqualFold(k, "authorization") ||
			(len(k) >= len("content-type") && asciiEqualFold(k[:len("content-type")], "content-type")) || strings.IndexByte(k, '_') >= 0 {
			continue
		}
		keys = append(keys, k)
	}
	if s.signHost {
		keys = append(keys, "host") // stands for the request's host; no "host" key is left in keys
	}
	slices.SortFunc(keys, asciiCompareLower)

	// SignedHeaders: the lower-cased names, without duplicates, joined by ';'.
	var signedArr [256]byte
	signed := signedArr[:0]
	for i, k := range keys {
		if i > 0 && asciiCompareLower(keys[i-1], k) == 0 {
			continue
		}
		if len(signed) > 0 {
			signed = append(signed, ';')
		}
		signed = appendASCIILower(signed, k)
	}

	// The canonical request (huaweiCanonicalRequest).
	var canonArr [1536]byte
	c := canonArr[:0]
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	c = append(c, method...)
	c = append(c, '\n')
	escapedPath := req.URL.EscapedPath()
	for p, first := escapedPath, true; ; first = false {
		seg, rest, more := strings.Cut(p, "/")
		if !first {
			c = append(c, '/')
		}
		if dec, err := url.PathUnescape(seg); err == nil {
			seg = dec
		}
		c = appendHuaweiEscape(c, seg)
		if !more {
			break
		}
		p = rest
	}
	if !strings.HasSuffix(escapedPath, "/") {
		c = append(c, '/')
	}
	c = append(c, '\n')
	if len(query) > 0 {
		qkeys := make([]string, 0, len(query))
		for k := range query {
			qkeys = append(qkeys, k)
		}
		sort.Strings(qkeys)
		first := true
		for _, k := range qkeys {
			qv := append([]string(nil), query[k]...)
			sort.Strings(qv)
			for _, v := range qv {
				if !first {
					c = append(c, '&')
				}
				first = false
				c = appendHuaweiEscape(c, k)
				c = append(c, '=')
				c = appendHuaweiEscape(c, v)
			}
		}
	}
	c = append(c, '\n')
	host := huaweiRequestHost(req)
	for i := 0; i < len(keys); {
		// keys[i:j] share one lower-cased name.
		j := i + 1
		for j < len(keys) && asciiCompareLower(keys[i], keys[j]) == 0 {
			j++
		}
		var one [1]string
		values := one[:0]
		if keys[i] == "host" && s.signHost {
			values = append(values, host)
		} else {
			for _, k := range keys[i:j] {
				values = append(values, h[k]...)
			}
		}
		if len(values) > 1 {
			values = slices.Clone(values) // never sort the request's own slice
		}
		for n, v := range values {
			values[n] = strings.TrimSpace(v)
		}
		sort.Strings(values)
		for _, v := range values {
			c = appendASCIILower(c, keys[i])
			c = append(c, ':')
			c = append(c, v...)
			c = append(c, '\n')
		}
		i = j
	}
	c = append(c, '\n')
	c = append(c, signed...)
	c = append(c, '\n')
	if payload != nil {
		c = append(c, payload...)
	} else {
		c = append(c, payloadStr...)
	}

	// The signature (huaweiSign).
	sum := sha256.Sum256(c)
	var sts [len(huaweiAlgorithm) + 1 + 32 + 1 + sha256.Size*2]byte
	msg := append(sts[:0], huaweiAlgorithm+"\n"...)
	msg = append(msg, date...)
	msg = append(msg, '\n')
	msg = hex.AppendEncode(msg, sum[:])
	mac := hmacSHA256(s.creds.SecretKey, msg)

	var authArr [512]byte
	a := append(authArr[:0], huaweiAlgorithm+" Access="...)
	a = append(a, s.creds.AccessKey...)
	a = append(a, ", SignedHeaders="...)
	a = append(a, signed...)
	a = append(a, ", Signature="...)
	a = hex.AppendEncode(a, mac[:])
	return string(a), true
}

// hmacSHA256 is HMAC-SHA256 of msg under key. It uses crypto/hmac on
// purpose: a few allocations are not worth a hand-made MAC.
func hmacSHA256(key string, msg []byte) [sha256.Size]byte {
	var out [sha256.Size]byte
	m := hmac.New(sha256.New, []byte(key))
	m.Write(msg)
	m.Sum(out[:0])
	return out
}

// asciiEqualFold is strings.EqualFold for ASCII text.
func asciiEqualFold(a, b string) bool {
	return len(a) == len(b) && asciiCompareLower(a, b) == 0
}

// asciiCompareLower compares the ASCII-lower-cased forms of a and b, as
// strings.Compare(strings.ToLower(a), strings.ToLower(b)) does for ASCII.
func asciiCompareLower(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := asciiLower(a[i]), asciiLower(b[i])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	return cmp.Compare(len(a), len(b))
}

func asciiLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func appendASCIILower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		b = append(b, asciiLower(s[i]))
	}
	return b
}

// appendHuaweiEscape appends huaweiEscape(s).
func appendHuaweiEscape(b []byte, s string) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// String describes the signer without its secrets.
func (s *HuaweiSigner) String() string {
	return fmt.Sprintf("HuaweiSigner{%s, SignHost: %t}", s.creds.String(), s.signHost)
}

// GoString is String.
func (s *HuaweiSigner) GoString() string { return s.String() }

// Format writes String for every fmt verb.
func (s *HuaweiSigner) Format(f fmt.State, verb rune) { huaweiFormat(f, verb, s.String()) }

// huaweiParseQuery decodes a raw query ('+' is a space, empty pieces are
// skipped) and returns its values and its strict form: the pairs in order,
// each key and value encoded with huaweiEscape, "key" alone kept without '='.
func huaweiParseQuery(raw string) (url.Values, string, error) {
	values := url.Values{}
	var strict strings.Builder
	for _, piece := range strings.Split(raw, "&") {
		if piece == "" {
			continue
		}
		rk, rv, hasEq := strings.Cut(piece, "=")
		k, err := url.QueryUnescape(rk)
		if err != nil {
			return nil, "", fmt.Errorf("query key %q: %w", rk, err)
		}
		v, err := url.QueryUnescape(rv)
		if err != nil {
			return nil, "", fmt.Errorf("query value %q: %w", rv, err)
		}
		values[k] = append(values[k], v)
		if strict.Len() > 0 {
			strict.WriteByte('&')
		}
		strict.WriteString(huaweiEscape(k))
		if hasEq {
			strict.WriteByte('=')
			strict.WriteString(huaweiEscape(v))
		}
	}
	return values, strict.String(), nil
}

// huaweiPayloadHash returns what stands for the body in the canonical request,
// the way huaweicloud-sdk-go-v3 decides it: an X-Sdk-Content-Sha256 header's
// value if present; UNSIGNED-PAYLOAD (and that header set) when Content-Type
// names neither application/json nor application/bson; else hex(sha256(body)).
func huaweiPayloadHash(h http.Header, body []byte) string {
	if v := h.Values(HuaweiContentSHA256Header); len(v) > 0 {
		return v[0]
	}
	if ct := h.Values("Content-Type"); len(ct) > 0 && !strings.Contains(ct[0], "application/json") && !strings.Contains(ct[0], "application/bson") {
		h.Set(HuaweiContentSHA256Header, huaweiUnsignedPayload)
		return huaweiUnsignedPayload
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// huaweiHeadersToSign lists, lower-cased, sorted and without duplicates, the
// headers the SDK signs: all but content-type* and names containing '_'.
func huaweiHeadersToSign(h http.Header, host bool) []string {
	seen := map[string]bool{}
	var names []string
	if host {
		seen["host"] = true
		names = append(names, "host")
	}
	for k, vs := range h {
		lk := strings.ToLower(k)
		if len(vs) == 0 || seen[lk] || lk == "host" || lk == "authorization" ||
			strings.HasPrefix(lk, "content-type") || strings.Contains(lk, "_") {
			continue
		}
		seen[lk] = true
		names = append(names, lk)
	}
	sort.Strings(names)
	return names
}

// huaweiRequestHost is the host a client request goes to.
func huaweiRequestHost(req *http.Request) string {
	if req.Host != "" {
		return req.Host
	}
	return req.URL.Host
}

// huaweiCanonicalRequest builds the SDK-HMAC-SHA256 canonical request for the
// given signed header names (lower case, in the given order):
//
//	METHOD \n URI \n QUERY \n HEADERS \n SIGNED \n payloadHash
//
// escapedPath is decoded segment by segment and each segment re-encoded with
// huaweiEscape, so the result does not depend on how the path was escaped;
// a '/' is appended if missing. QUERY has keys sorted and each key's values
// sorted. HEADERS has "name:value\n" per value, values trimmed, then those of
// one name sorted; "host" is the host argument.
func huaweiCanonicalRequest(method, escapedPath string, query url.Values, host string, h http.Header, signed []string, payloadHash string) string {
	if method == "" {
		method = http.MethodGet
	}
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte('\n')

	for i, seg := range strings.Split(escapedPath, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		if dec, err := url.PathUnescape(seg); err == nil {
			seg = dec
		}
		b.WriteString(huaweiEscape(seg))
	}
	if !strings.HasSuffix(escapedPath, "/") {
		b.WriteByte('/')
	}
	b.WriteByte('\n')

	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	first := true
	for _, k := range keys {
		vals := append([]string(nil), query[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			if !first {
				b.WriteByte('&')
			}
			first = false
			b.WriteString(huaweiEscape(k))
			b.WriteByte('=')
			b.WriteString(huaweiEscape(v))
		}
	}
	b.WriteByte('\n')

	byName := huaweiHeaderValues(h)
	for _, name := range signed {
		vals := byName[name]
		if name == "host" {
			vals = []string{host}
		}
		trimmed := make([]string, len(vals))
		for i, v := range vals {
			trimmed[i] = strings.TrimSpace(v)
		}
		sort.Strings(trimmed) // trimmed first: a server sees the values without padding
		for _, v := range trimmed {
			b.WriteString(name)
			b.WriteByte(':')
			b.WriteString(v)
			b.WriteByte('\n')
		}
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// huaweiHeaderValues groups h's values by lower-cased name.
func huaweiHeaderValues(h http.Header) map[string][]string {
	m := make(map[string][]string, len(h))
	for k, vs := range h {
		lk := strings.ToLower(k)
		m[lk] = append(m[lk], vs...)
	}
	return m
}

// huaweiSign returns hex(HMAC-SHA256(secret, string to sign)).
func huaweiSign(secret, date, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	m := hmac.New(sha256.New, []byte(secret))
	io.WriteString(m, huaweiAlgorithm+"\n"+date+"\n"+hex.EncodeToString(sum[:]))
	return hex.EncodeToString(m.Sum(nil))
}

// huaweiEscape percent-encodes every byte but A-Z a-z 0-9 - _ . ~, with
// upper-case hex digits.
func huaweiEscape(s string) string {
	return string(appendHuaweiEscape(make([]byte, 0, len(s)), s))
}

// HuaweiToken returns an Authenticator that sends a fixed IAM token as
// X-Auth-Token, and projectID, if not empty, as X-Project-Id. Printing it
// shows the project id only.
func HuaweiToken(token, projectID string) Authenticator {
	// A pointer, so that printing a struct that holds it (with a verb that
	// reaches unexported fields, such as %s of a client) shows an address.
	return &huaweiStaticToken{token: token, projectID: projectID}
}

type huaweiStaticToken struct{ token, projectID string }

func (h huaweiStaticToken) Authenticate(_ context.Context, req *http.Request, _ []byte) error {
	if h.token == "" {
		return credcache.Errorf(backupcopy.PermissionDenied, "auth: the Huawei IAM token is empty")
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Set(HuaweiAuthTokenHeader, h.token)
	if h.projectID != "" {
		req.Header.Set(HuaweiProjectHeader, h.projectID)
	}
	return nil
}

func (h huaweiStaticToken) String() string {
	return fmt.Sprintf("HuaweiToken{Token: %s, ProjectID: %q}", redacted, h.projectID)
}
func (h huaweiStaticToken) GoString() string              { return h.String() }
func (h huaweiStaticToken) Format(f fmt.State, verb rune) { huaweiFormat(f, verb, h.String()) }

// huaweiFormat writes s for any verb (quoted for %q), so that no verb reaches
// a struct's fields.
func huaweiFormat(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s)
		return
	}
	io.WriteString(f, s)
}

// Reasons a Huawei signature is refused; a *HuaweiSignatureError wraps one of
// them, so errors.Is(err, ErrHuaweiSignatureExpired) and the like work.
var (
	// ErrHuaweiAuthMissing: no Authorization header.
	ErrHuaweiAuthMissing = errors.New("no SDK-HMAC-SHA256 Authorization header")
	// ErrHuaweiAuthMalformed: the Authorization or X-Sdk-Date header, or the
	// request line, cannot be read.
	ErrHuaweiAuthMalformed = errors.New("malformed SDK-HMAC-SHA256 authentication")
	// ErrHuaweiUnknownAccessKey: the access key is not known.
	ErrHuaweiUnknownAccessKey = errors.New("unknown access key")
	// ErrHuaweiSignatureMismatch: the signature does not match the request.
	ErrHuaweiSignatureMismatch = errors.New("signature does not match")
	// ErrHuaweiSignatureExpired: X-Sdk-Date is too far from the verifier's clock.
	ErrHuaweiSignatureExpired = errors.New("request date outside the allowed clock skew")
)

// HuaweiGatewayAuthCode is the API Gateway's error code for every
// authentication failure (HTTP 401).
const HuaweiGatewayAuthCode = "APIGW.0301"

// HuaweiSignatureError says why VerifyHuaweiSignature refused a request. Kind
// is one of the ErrHuawei... values; Detail adds what was wrong (never a
// secret). The API Gateway answers every such failure with HTTP 401 and
// HuaweiGatewayAuthCode.
type HuaweiSignatureError struct {
	// Kind is one of the ErrHuawei... values.
	Kind error
	// Detail says what was wrong (never a secret).
	Detail string
}

// Error returns "auth: Huawei signature refused: KIND: DETAIL".
func (e *HuaweiSignatureError) Error() string {
	return "auth: Huawei signature refused: " + e.Kind.Error() + ": " + e.Detail
}

// Unwrap returns Kind.
func (e *HuaweiSignatureError) Unwrap() error { return e.Kind }

// ErrorKind returns backupcopy.PermissionDenied: the signature was refused.
func (e *HuaweiSignatureError) ErrorKind() backupcopy.Kind { return backupcopy.PermissionDenied }

// Code returns the API Gateway error code, HuaweiGatewayAuthCode.
func (e *HuaweiSignatureError) Code() string { return HuaweiGatewayAuthCode }

// VerifyHuaweiSignature checks an SDK-HMAC-SHA256 signed request the way the
// API Gateway does, for fakes and tests. It reads the Authorization header
// ("SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex"), looks the
// access key up, refuses an X-Sdk-Date more than maxSkew from now (maxSkew <= 0
// means HuaweiMaxClockSkew), rebuilds the canonical request from the request as
// received (path, query, the listed headers with Host from req.Host, and body,
// or the X-Sdk-Content-Sha256 header's value) with code of its own, and compares
// signatures in constant time. x-sdk-date must be among the signed headers.
// It works on server requests and on client requests alike. Errors are
// *HuaweiSignatureError.
func VerifyHuaweiSignature(req *http.Request, body []byte, lookupSecret func(accessKey string) (secretKey string, ok bool), now time.Time, maxSkew time.Duration) error {
	fail := func(kind error, format string, args ...any) error {
		return &HuaweiSignatureError{Kind: kind, Detail: fmt.Sprintf(format, args...)}
	}
	if maxSkew <= 0 {
		maxSkew = HuaweiMaxClockSkew
	}
	authz := req.Header.Values("Authorization")
	if len(authz) == 0 {
		return fail(ErrHuaweiAuthMissing, "the Authorization header is absent")
	}
	if len(authz) > 1 {
		return fail(ErrHuaweiAuthMalformed, "more than one Authorization header")
	}
	params, ok := strings.CutPrefix(authz[0], huaweiAlgorithm+" ")
	if !ok {
		alg, _, _ := strings.Cut(authz[0], " ")
		return fail(ErrHuaweiAuthMalformed, "the algorithm %q is not %s", alg, huaweiAlgorithm)
	}
	fields := map[string]string{}
	for _, p := range strings.Split(params, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || v == "" {
			return fail(ErrHuaweiAuthMalformed, "Authorization parameter %q is not key=value", strings.TrimSpace(p))
		}
		if k != "Access" && k != "SignedHeaders" && k != "Signature" {
			return fail(ErrHuaweiAuthMalformed, "unknown Authorization parameter %q", k)
		}
		if _, dup := fields[k]; dup {
			return fail(ErrHuaweiAuthMalformed, "Authorization parameter %s repeated", k)
		}
		fields[k] = v
	}
	ak, signedList, sigHex := fields["Access"], fields["SignedHeaders"], fields["Signature"]
	if ak == "" || signedList == "" || sigHex == "" {
		return fail(ErrHuaweiAuthMalformed, "Access, SignedHeaders and Signature are all required")
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != sha256.Size {
		return fail(ErrHuaweiAuthMalformed, "Signature is not 64 hex digits")
	}
	signed := strings.Split(signedList, ";")
	seen := map[string]bool{}
	for _, name := range signed {
		if name == "" || name != strings.ToLower(name) || seen[name] {
			return fail(ErrHuaweiAuthMalformed, "SignedHeaders %q must list distinct lower-case names", signedList)
		}
		seen[name] = true
	}
	if !seen["x-sdk-date"] {
		return fail(ErrHuaweiAuthMalformed, "x-sdk-date is not a signed header")
	}

	secret, ok := lookupSecret(ak)
	if !ok {
		return fail(ErrHuaweiUnknownAccessKey, "access key %q", ak)
	}

	dates := req.Header.Values(HuaweiDateHeader)
	if len(dates) != 1 {
		return fail(ErrHuaweiAuthMalformed, "want exactly one X-Sdk-Date header, have %d", len(dates))
	}
	at, err := time.Parse(huaweiDateFormat, dates[0])
	if err != nil {
		return fail(ErrHuaweiAuthMalformed, "X-Sdk-Date %q is not of the form 20060102T150405Z", dates[0])
	}
	if d := at.Sub(now); d > maxSkew || d < -maxSkew {
		return fail(ErrHuaweiSignatureExpired, "X-Sdk-Date %s is %v from the server's clock (limit %v)", dates[0], d.Round(time.Second), maxSkew)
	}

	canonical, err := huaweiVerifierCanonical(req, body, signed)
	if err != nil {
		return err
	}
	m := hmac.New(sha256.New, []byte(secret))
	sum := sha256.Sum256([]byte(canonical))
	fmt.Fprintf(m, "%s\n%s\n%x", huaweiAlgorithm, dates[0], sum)
	if !hmac.Equal(m.Sum(nil), sig) {
		return fail(ErrHuaweiSignatureMismatch, "the request does not match the signature over SignedHeaders=%s", signedList)
	}
	return nil
}

// huaweiVerifierCanonical rebuilds the canonical request of a received
// request. It shares no code with the signer's huaweiCanonicalRequest, so
// that a mistake in one shows up as a failed round trip.
// Its errors are *HuaweiSignatureError.
func huaweiVerifierCanonical(req *http.Request, body []byte, signed []string) (string, error) {
	malformed := func(format string, args ...any) error {
		return &HuaweiSignatureError{Kind: ErrHuaweiAuthMalformed, Detail: fmt.Sprintf(format, args...)}
	}
	lines := make([]string, 0, 6)
	method := req.Method
	if method == "" {
		method = "GET"
	}
	lines = append(lines, method)

	rawPath := req.URL.EscapedPath()
	segs := strings.Split(rawPath, "/")
	for i, s := range segs {
		dec, err := url.PathUnescape(s)
		if err != nil {
			return "", malformed("path segment %q: %v", s, err)
		}
		segs[i] = hwPctEncode(dec)
	}
	uri := strings.Join(segs, "/")
	if uri == "" || uri[len(uri)-1] != '/' {
		uri += "/"
	}
	lines = append(lines, uri)

	type pair struct{ k, v string }
	var pairs []pair
	for _, piece := range strings.Split(req.URL.RawQuery, "&") {
		if piece == "" {
			continue
		}
		rk, rv, _ := strings.Cut(piece, "=")
		k, err := url.QueryUnescape(rk)
		if err != nil {
			return "", malformed("query key %q: %v", rk, err)
		}
		v, err := url.QueryUnescape(rv)
		if err != nil {
			return "", malformed("query value %q: %v", rv, err)
		}
		pairs = append(pairs, pair{hwPctEncode(k), hwPctEncode(v)})
	}
	// Keys, then each key's values, in the byte order of their decoded forms.
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return hwDecodedLess(pairs[i].k, pairs[j].k)
		}
		return hwDecodedLess(pairs[i].v, pairs[j].v)
	})
	q := make([]string, len(pairs))
	for i, p := range pairs {
		q[i] = p.k + "=" + p.v
	}
	lines = append(lines, strings.Join(q, "&"))

	var hdrs strings.Builder
	for _, name := range signed {
		var vals []string
		if name == "host" {
			host := req.Host
			if host == "" {
				host = req.URL.Host
			}
			vals = []string{host}
		} else {
			for k, vs := range req.Header {
				if strings.EqualFold(k, name) {
					vals = append(vals, vs...)
				}
			}
		}
		if len(vals) == 0 {
			return "", &HuaweiSignatureError{Kind: ErrHuaweiSignatureMismatch, Detail: fmt.Sprintf("signed header %q is not on the request", name)}
		}
		for i := range vals {
			vals[i] = strings.TrimSpace(vals[i])
		}
		sort.Strings(vals)
		for _, v := range vals {
			hdrs.WriteString(name + ":" + v + "\n")
		}
	}
	lines = append(lines, hdrs.String(), strings.Join(signed, ";"))

	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	if v := req.Header.Values(HuaweiContentSHA256Header); len(v) > 0 {
		if v[0] != huaweiUnsignedPayload && !strings.EqualFold(v[0], payload) {
			return "", &HuaweiSignatureError{Kind: ErrHuaweiSignatureMismatch, Detail: HuaweiContentSHA256Header + " does not match the body"}
		}
		payload = v[0]
	}
	lines = append(lines, payload)
	return strings.Join(lines, "\n"), nil
}

// hwPctEncode is the verifier's encoder: unreserved bytes as they are, every
// other byte as %XX.
func hwPctEncode(s string) string {
	out := make([]byte, 0, len(s)*3)
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-_.~", c) >= 0:
			out = append(out, c)
		default:
			out = append(out, fmt.Sprintf("%%%02X", c)...)
		}
	}
	return string(out)
}

// hwDecodedLess compares two hwPctEncode outputs by their decoded bytes.
func hwDecodedLess(a, b string) bool {
	da, _ := url.PathUnescape(a)
	db, _ := url.PathUnescape(b)
	return da < db
}
