package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	awscreds "github.com/aws/smithy-go/aws-http-auth/credentials"
	smithysigv4 "github.com/aws/smithy-go/aws-http-auth/sigv4"
	v4 "github.com/aws/smithy-go/aws-http-auth/v4"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/auth/internal/credcache"
)

// Algorithm is the SigV4 algorithm name that starts the Authorization header.
const Algorithm = "AWS4-HMAC-SHA256"

const (
	amzDateFormat  = "20060102T150405Z"
	scopeDayFormat = "20060102"
)

// Signer signs requests for one service and region with SigV4, drawing
// credentials from a provider on every request. It is safe for concurrent
// use.
type Signer struct {
	creds   auth.AWSCredentialsProvider
	service string
	region  string
	smithy  *smithysigv4.Signer
	// direct makes every request take the signDirect path (tests compare
	// the two paths).
	direct bool
}

var (
	_ auth.Authenticator = (*Signer)(nil)
	_ auth.Invalidator   = (*Signer)(nil)
)

// New returns a Signer that signs for service (the signing name, e.g. "fsx")
// in region (e.g. "us-east-1"), with credentials from creds.
func New(creds auth.AWSCredentialsProvider, service, region string) *Signer {
	return &Signer{
		creds:   creds,
		service: service,
		region:  region,
		smithy:  smithysigv4.New(func(o *v4.SignerOptions) { o.HeaderRules = signedHeaderRule{} }),
	}
}

// Service returns the signing name.
func (s *Signer) Service() string { return s.service }

// Region returns the signing region.
func (s *Signer) Region() string { return s.region }

// Invalidate drops cached credentials when the provider caches them (it
// implements [auth.Invalidator]), so the next request retrieves fresh ones.
func (s *Signer) Invalidate() {
	if inv, ok := s.creds.(auth.Invalidator); ok {
		inv.Invalidate()
	}
}

// Authenticate signs req, whose body is exactly body, dated
// auth.SigningTime(ctx). It replaces any earlier signature, so a retried
// request is signed afresh. Besides the signing headers it may change
// req.Host (a default port is dropped), req.URL.RawQuery (put in canonical
// form) and the spacing of header values. req.ContentLength, when positive,
// must equal len(body).
func (s *Signer) Authenticate(ctx context.Context, req *http.Request, body []byte) error {
	switch {
	case s.creds == nil:
		return credcache.Errorf(backupcopy.PermissionDenied, "sigv4: no AWS credentials provider")
	case s.service == "":
		return credcache.Errorf(backupcopy.InvalidInput, "sigv4: no signing service name")
	case s.region == "":
		return credcache.Errorf(backupcopy.InvalidInput, "sigv4: no signing region")
	case req.URL == nil:
		return credcache.Errorf(backupcopy.InvalidInput, "sigv4: request has no URL")
	case req.URL.Opaque != "":
		return credcache.Errorf(backupcopy.InvalidInput, "sigv4: requests with an opaque URL are not supported")
	case req.ContentLength > 0 && req.ContentLength != int64(len(body)):
		return credcache.Errorf(backupcopy.InvalidInput, "sigv4: request ContentLength is %d but the body has %d bytes", req.ContentLength, len(body))
	}
	c, err := s.creds.Retrieve(ctx)
	if err != nil {
		if backupcopy.KindOf(err) == backupcopy.KindUnknown {
			// A provider's own error: no credentials could be had.
			return credcache.Errorf(backupcopy.PermissionDenied, "sigv4: retrieving AWS credentials: %w", err)
		}
		return fmt.Errorf("sigv4: retrieving AWS credentials: %w", err)
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return credcache.Errorf(backupcopy.PermissionDenied, "sigv4: the AWS credentials provider returned an empty access key id or secret")
	}
	prepare(req)
	// The signers read these from the header map; net/http writes them from
	// req.Host and req.ContentLength instead, so they are removed afterwards.
	// (prepare removed any earlier Host and Content-Length, of any case, so
	// these are plain assignments, as Header.Set would make them; the two
	// values share one array.)
	hv := make([]string, 1, 2)
	hv[0] = req.Host
	req.Header["Host"] = hv[0:1:1]
	if req.ContentLength > 0 {
		hv = append(hv, strconv.FormatInt(req.ContentLength, 10))
		req.Header["Content-Length"] = hv[1:2:2]
	}
	defer func() {
		req.Header.Del("Host")
		req.Header.Del("Content-Length")
	}()
	return s.signPrepared(ctx, req, body, c)
}

// signPrepared signs req once prepare has run and Host and Content-Length
// are in its header map.
func (s *Signer) signPrepared(ctx context.Context, req *http.Request, body []byte, c auth.AWSCredentials) error {
	at := auth.SigningTime(ctx).UTC()
	sum := sha256.Sum256(body)
	if !s.direct && smithyQueryOrder(req.URL.RawQuery) == canonicalQuery(req.URL.RawQuery) {
		err := s.smithy.SignRequest(&smithysigv4.SignRequestInput{
			Request:     req,
			PayloadHash: sum[:],
			Credentials: awscreds.Credentials{
				AccessKeyID:     c.AccessKeyID,
				SecretAccessKey: c.SecretAccessKey,
				SessionToken:    c.SessionToken,
				Expires:         c.Expires,
			},
			Service: s.service,
			Region:  s.region,
			Time:    at,
		})
		if err != nil {
			return credcache.Errorf(backupcopy.InvalidInput, "sigv4: signing: %w", err)
		}
		return nil
	}
	// aws-http-auth v1.1.3 sorts query parameters by their decoded names,
	// which differs from the specification (and from aws-sdk-go-v2) when a
	// name or value holds a character that must be percent-encoded; sign
	// such requests with this package's own canonicalization.
	signDirect(req, c, hex.EncodeToString(sum[:]), s.service, s.region, at)
	return nil
}

// prepare normalizes req the way aws-sdk-go-v2 does before it signs, so that
// the wire carries exactly what the signature covers.
func prepare(req *http.Request) {
	if req.Host == "" {
		req.Host = req.URL.Host
	}
	req.Host = stripDefaultPort(req.Host, req.URL.Scheme)
	if req.URL.RawQuery != "" {
		req.URL.RawQuery = canonicalQuery(req.URL.RawQuery)
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	fold := false
	for k := range req.Header {
		if managedHeader(k) {
			delete(req.Header, k)
		} else if http.CanonicalHeaderKey(k) != k {
			fold = true
		}
	}
	if fold {
		foldHeaderKeys(req.Header)
	}
	for k, vals := range req.Header {
		if !isSignedHeaderKey(k) {
			continue
		}
		for i, v := range vals {
			vals[i] = collapseSpaces(v)
		}
	}
}

// foldHeaderKeys folds keys that are not in canonical form ("x-foo" beside
// "X-Foo") into the canonical key, so each name is signed once with all its
// values, in the order the other side receives them: net/http writes keys
// sorted, and a server appends the values of each line in that order. (With
// every key canonical there is nothing to fold.)
func foldHeaderKeys(h http.Header) {
	groups := map[string][]string{}
	for k := range h {
		ck := http.CanonicalHeaderKey(k)
		groups[ck] = append(groups[ck], k)
	}
	for ck, keys := range groups {
		if len(keys) == 1 && keys[0] == ck {
			continue
		}
		sort.Strings(keys)
		var merged []string
		for _, k := range keys {
			merged = append(merged, h[k]...)
			delete(h, k)
		}
		if !managedHeader(ck) {
			h[ck] = merged
		}
	}
}

// managedHeader reports whether the signer sets the header itself, so that
// any value the caller left there is dropped.
func managedHeader(k string) bool {
	switch lowerName(k) {
	case "authorization", "x-amz-date", "x-amz-security-token", "host", "content-length":
		return true
	}
	return false
}

// lowerName returns strings.ToLower(k) when that is one of the names the
// signer treats specially (managedHeader, isSignedHeader), and "" or the
// lower-cased k otherwise; an ASCII k costs no allocation.
func lowerName(k string) string {
	for i := 0; i < len(k); i++ {
		if k[i] >= utf8.RuneSelf {
			return strings.ToLower(k) // Unicode rules: "İ" lower-cases to "i"
		}
	}
	for _, name := range specialNames {
		if len(k) == len(name) && asciiEqualFold(k, name) {
			return name
		}
	}
	return ""
}

var specialNames = [...]string{
	"authorization", "x-amz-date", "x-amz-security-token", "host", "content-length",
	"user-agent", "x-amzn-trace-id", "expect", "transfer-encoding",
}

func asciiEqualFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// isSignedHeaderKey is isSignedHeader(strings.ToLower(k)).
func isSignedHeaderKey(k string) bool { return isSignedHeader(lowerName(k)) }

// signDirect signs req with this package's canonicalization; prepare has run
// and the Host and Content-Length headers are in the header map.
func signDirect(req *http.Request, c auth.AWSCredentials, payloadHash, service, region string, at time.Time) {
	amzDate := at.Format(amzDateFormat)
	req.Header.Set("X-Amz-Date", amzDate)
	if c.SessionToken != "" {
		req.Header.Set("X-Amz-Security-Token", c.SessionToken)
	}
	var signed []string
	for k := range req.Header {
		if lk := strings.ToLower(k); isSignedHeader(lk) {
			signed = append(signed, lk)
		}
	}
	sort.Strings(signed)
	day := at.Format(scopeDayFormat)
	scope := day + "/" + region + "/" + service + "/aws4_request"
	canonical := canonicalRequest(req, signed, payloadHash)
	sig := signature(c.SecretAccessKey, day, region, service, stringToSign(amzDate, scope, canonical))
	req.Header.Set("Authorization", Algorithm+" Credential="+c.AccessKeyID+"/"+scope+
		", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
}

// isSignedHeader reports whether the signer signs the header with lower-case
// name h: every header but those that proxies and clients change in transit.
func isSignedHeader(h string) bool {
	switch h {
	case "authorization", "user-agent", "x-amzn-trace-id", "expect", "transfer-encoding":
		return false
	}
	return true
}

// signedHeaderRule is isSignedHeader for aws-http-auth.
type signedHeaderRule struct{}

func (signedHeaderRule) IsSigned(h string) bool { return isSignedHeaderKey(h) }

// stripDefaultPort drops ":443" from an https host and ":80" from an http
// host, as clients do in the Host header.
func stripDefaultPort(host, scheme string) string {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.IndexByte(host[i:], ']') >= 0 {
		return host
	}
	port := host[i+1:]
	if (strings.EqualFold(scheme, "https") && port == "443") || (strings.EqualFold(scheme, "http") && port == "80") {
		return host[:i]
	}
	return host
}

// String describes the signer without credentials.
func (s *Signer) String() string {
	p := "<nil>"
	if s.creds != nil {
		if st, ok := s.creds.(fmt.Stringer); ok {
			p = st.String()
		} else {
			p = fmt.Sprintf("%T", s.creds)
		}
	}
	return fmt.Sprintf("sigv4.Signer{Service: %q, Region: %q, Credentials: %s}", s.service, s.region, p)
}

// GoString is String.
func (s *Signer) GoString() string { return s.String() }

// Format prints String for every verb, so no verb reaches the fields.
func (s *Signer) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s.String())
		return
	}
	io.WriteString(f, s.String())
}
