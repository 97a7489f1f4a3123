package sigv4

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/backupcopy/backupcopy"
)

// The kinds of verification failure. Every error [Verify] returns is a
// *[VerifyError] that wraps one of them, so errors.Is(err, ErrRequestExpired)
// and the like work.
var (
	// ErrMissingAuth: the request has no Authorization header.
	ErrMissingAuth = errors.New("missing authentication")
	// ErrMalformedAuth: the Authorization header, its credential scope or
	// the X-Amz-Date header cannot be parsed or lacks a required part.
	ErrMalformedAuth = errors.New("malformed authorization")
	// ErrUnknownAccessKey: the access key id is not the expected one.
	ErrUnknownAccessKey = errors.New("unknown access key")
	// ErrSignatureMismatch: the signature, or the credential scope's
	// service or date, does not match the request.
	ErrSignatureMismatch = errors.New("signature mismatch")
	// ErrRequestExpired: the request's X-Amz-Date is too far from the
	// verifier's clock.
	ErrRequestExpired = errors.New("request time too skewed")
)

// Error codes that AWS JSON-protocol services such as FSx answer with; see
// [VerifyError.Code]. Query and REST services use other codes for the same
// failures (SignatureDoesNotMatch, RequestExpired, RequestTimeTooSkewed).
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
	CodeInvalidSignature           = "InvalidSignatureException"
)

// DefaultMaxSkew is the clock difference Verify allows when maxSkew <= 0:
// AWS refuses requests dated more than five minutes from its clock.
const DefaultMaxSkew = 5 * time.Minute

// VerifyError says why Verify refused a request.
type VerifyError struct {
	// Kind is ErrMissingAuth, ErrMalformedAuth, ErrUnknownAccessKey,
	// ErrSignatureMismatch or ErrRequestExpired.
	Kind error
	// Code is the error code an AWS JSON-protocol service answers with:
	// CodeMissingAuthenticationToken, CodeIncompleteSignature,
	// CodeUnrecognizedClient or CodeInvalidSignature (also for an expired
	// request, whose Message starts "Signature expired" or "Signature not
	// yet current", as AWS words it).
	Code string
	// Message is an AWS-style message for the response body.
	Message string
	// CanonicalRequest and StringToSign are what the verifier computed, set
	// when the signature did not match, for debugging a signer. They may
	// contain the session token, so do not log them where secrets must not go.
	CanonicalRequest, StringToSign string
}

// Error returns the code and the message.
func (e *VerifyError) Error() string { return "sigv4: " + e.Code + ": " + e.Message }

// Unwrap returns Kind.
func (e *VerifyError) Unwrap() error { return e.Kind }

// ErrorKind returns backupcopy.PermissionDenied: the request's
// authentication was refused.
func (e *VerifyError) ErrorKind() backupcopy.Kind { return backupcopy.PermissionDenied }

func malformed(format string, args ...any) *VerifyError {
	return &VerifyError{Kind: ErrMalformedAuth, Code: CodeIncompleteSignature, Message: fmt.Sprintf(format, args...)}
}

// Authorization is a parsed SigV4 Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request,
//	SignedHeaders=host;x-amz-date, Signature=5da7...
type Authorization struct {
	// AccessKeyID is the signer's access key id.
	AccessKeyID string
	// Day (YYYYMMDD), Region and Service make the credential scope.
	Day, Region, Service string
	// SignedHeaders are the lower-case header names, in the header's order.
	SignedHeaders []string
	// Signature is the hex signature.
	Signature string
}

// Scope returns the credential scope, Day/Region/Service/aws4_request.
func (a *Authorization) Scope() string {
	return a.Day + "/" + a.Region + "/" + a.Service + "/aws4_request"
}

// ParseAuthorization parses a SigV4 Authorization header value. Errors are
// *VerifyError of kind ErrMalformedAuth.
func ParseAuthorization(header string) (*Authorization, error) {
	rest, ok := strings.CutPrefix(header, Algorithm+" ")
	if !ok {
		alg, _, _ := strings.Cut(header, " ")
		if len(alg) > 40 {
			alg = alg[:40]
		}
		return nil, malformed("Unsupported authorization algorithm %q; the Authorization header must start with %s", alg, Algorithm)
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return nil, malformed("Authorization header element without '=': each element must be name=value")
		}
		switch k {
		case "Credential", "SignedHeaders", "Signature":
		default:
			return nil, malformed("Authorization header has an unknown element %q", k)
		}
		if _, dup := fields[k]; dup {
			return nil, malformed("Authorization header has %s twice", k)
		}
		fields[k] = v
	}
	var missing []string
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	if len(missing) > 0 {
		return nil, malformed("%s", strings.Join(missing, " "))
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[0] == "" || scope[1] == "" || scope[2] == "" || scope[3] == "" {
		return nil, malformed("Credential must have the form AccessKeyId/YYYYMMDD/region/service/aws4_request")
	}
	if scope[4] != "aws4_request" {
		return nil, malformed("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", truncate(scope[4]))
	}
	if _, err := time.Parse(scopeDayFormat, scope[1]); err != nil {
		return nil, malformed("Credential scope date %q is not YYYYMMDD", truncate(scope[1]))
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	seen := map[string]bool{}
	for _, h := range signed {
		if h == "" || h != strings.ToLower(h) || strings.ContainsAny(h, " \t:") {
			return nil, malformed("SignedHeaders must be a ';'-separated list of lower-case header names")
		}
		if seen[h] {
			return nil, malformed("SignedHeaders lists %q twice", h)
		}
		seen[h] = true
	}
	return &Authorization{
		AccessKeyID:   scope[0],
		Day:           scope[1],
		Region:        scope[2],
		Service:       scope[3],
		SignedHeaders: signed,
		Signature:     fields["Signature"],
	}, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Verify checks the SigV4 signature of req, whose body is exactly body,
// against the one key pair accessKeyID/secret and the signing name service,
// at time now: requests dated more than maxSkew from now (DefaultMaxSkew if
// maxSkew <= 0) are refused. The region is taken from the credential scope;
// check it with ParseAuthorization if it matters. req may be a server
// request or one built by a client.
//
// Verify re-canonicalizes the request from its own method, URL, headers and
// body with this package's implementation of the specification, and
// compares signatures in constant time. It returns nil or a *VerifyError.
func Verify(req *http.Request, body []byte, accessKeyID, secret, service string, now time.Time, maxSkew time.Duration) error {
	return VerifyLookup(req, body, func(id string) (string, bool) {
		return secret, id == accessKeyID && accessKeyID != ""
	}, service, now, maxSkew)
}

// VerifyLookup is Verify for a verifier that knows several keys: lookup
// returns the secret for an access key id, or false if the id is unknown.
func VerifyLookup(req *http.Request, body []byte, lookup func(accessKeyID string) (secret string, ok bool), service string, now time.Time, maxSkew time.Duration) error {
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	if req.URL == nil {
		return malformed("The request has no URL")
	}
	authz := req.Header.Values("Authorization")
	switch {
	case len(authz) == 0 || (len(authz) == 1 && strings.TrimSpace(authz[0]) == ""):
		return &VerifyError{Kind: ErrMissingAuth, Code: CodeMissingAuthenticationToken, Message: "Missing Authentication Token"}
	case len(authz) > 1:
		return malformed("The request has more than one Authorization header")
	}
	a, err := ParseAuthorization(strings.TrimSpace(authz[0]))
	if err != nil {
		return err
	}
	if a.Service != service {
		return &VerifyError{Kind: ErrSignatureMismatch, Code: CodeInvalidSignature,
			Message: fmt.Sprintf("Credential should be scoped to correct service: '%s'.", service)}
	}
	secret, ok := lookup(a.AccessKeyID)
	if !ok {
		return &VerifyError{Kind: ErrUnknownAccessKey, Code: CodeUnrecognizedClient,
			Message: "The security token included in the request is invalid."}
	}

	dates := req.Header.Values("X-Amz-Date")
	if len(dates) == 0 {
		return malformed("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(dates) > 1 {
		return malformed("The request has more than one X-Amz-Date header")
	}
	amzDate := strings.TrimSpace(dates[0])
	at, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return malformed("X-Amz-Date %q is not in the form YYYYMMDD'T'HHMMSS'Z'", truncate(amzDate))
	}
	var hasHost, hasDate bool
	for _, h := range a.SignedHeaders {
		hasHost = hasHost || h == "host"
		hasDate = hasDate || h == "x-amz-date"
	}
	if !hasHost || !hasDate {
		return malformed("SignedHeaders must include host and x-amz-date")
	}
	if day := at.Format(scopeDayFormat); day != a.Day {
		return &VerifyError{Kind: ErrSignatureMismatch, Code: CodeInvalidSignature,
			Message: fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", a.Day, day, amzDate)}
	}
	now = now.UTC()
	switch {
	case at.Before(now.Add(-maxSkew)):
		return &VerifyError{Kind: ErrRequestExpired, Code: CodeInvalidSignature,
			Message: fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s.)",
				amzDate, now.Add(-maxSkew).Format(amzDateFormat), now.Format(amzDateFormat), skewText(maxSkew))}
	case at.After(now.Add(maxSkew)):
		return &VerifyError{Kind: ErrRequestExpired, Code: CodeInvalidSignature,
			Message: fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s.)",
				amzDate, now.Add(maxSkew).Format(amzDateFormat), now.Format(amzDateFormat), skewText(maxSkew))}
	}

	canonical := canonicalRequest(req, a.SignedHeaders, hexSHA256(body))
	toSign := stringToSign(amzDate, a.Scope(), canonical)
	want := signature(secret, a.Day, a.Region, a.Service, toSign)
	if !hmac.Equal([]byte(want), []byte(a.Signature)) {
		return &VerifyError{Kind: ErrSignatureMismatch, Code: CodeInvalidSignature,
			Message: "The request signature we calculated does not match the signature you provided. " +
				"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
			CanonicalRequest: canonical, StringToSign: toSign}
	}
	return nil
}

// skewText writes a skew as AWS does ("5 min").
func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return d.String()
}
