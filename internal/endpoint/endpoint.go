// Package endpoint holds the rules that the call path (internal/rest) and the
// auth package's own token requests share: an endpoint is https, or http for a
// loopback host only; a URL carries no user info; a header value cannot break
// out of its line; a redirect never takes a credential to another host. The
// rules return a *ValidationError before any I/O.
//
// It sits below both internal/rest and auth, so that auth (the ground floor
// the call path stands on) needs no import of the call path.
package endpoint

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/backupcopy/backupcopy"
)

// Parse checks an endpoint given as scheme://host[:port][/prefix] and returns
// it without a trailing slash. https is always accepted; http only for
// loopback hosts (127.0.0.0/8, ::1, localhost). User info, query and fragment
// are refused: credentials never travel in a URL.
func Parse(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, &ValidationError{Field: "endpoint", Rule: "must not be empty"}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &ValidationError{Field: "endpoint", Rule: "must be a URL of the form scheme://host[:port]", Value: raw}
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, &ValidationError{Field: "endpoint", Rule: "scheme must be https (or http for a loopback host)", Value: redactURL(u)}
	case u.Host == "" || u.Hostname() == "":
		return nil, &ValidationError{Field: "endpoint", Rule: "must name a host", Value: redactURL(u)}
	case u.User != nil:
		return nil, &ValidationError{Field: "endpoint", Rule: "must not contain user info", Value: redactURL(u)}
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, &ValidationError{Field: "endpoint", Rule: "must not have a query or fragment", Value: redactURL(u)}
	case u.Scheme == "http" && !IsLoopback(u.Hostname()):
		return nil, &ValidationError{Field: "endpoint", Rule: "plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost); use https", Value: redactURL(u)}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// IsLoopback reports whether host (without port) is localhost or a loopback IP.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.Fragment = ""
	return c.String()
}

// CheckHeaderValue refuses a value that would break out of one HTTP header
// line (CR, LF, NUL or other control characters except tab).
func CheckHeaderValue(field, value string) error {
	for _, r := range value {
		if r != '\t' && unicode.IsControl(r) {
			return &ValidationError{Field: field, Rule: "must not contain control characters (header injection)", Value: value}
		}
	}
	return nil
}

// HTTPClient copies base (nil: a zero http.Client) and refuses redirects that
// leave the original scheme and host, so that no credential header is ever
// sent elsewhere: such a redirect's response is returned as it is. base's own
// CheckRedirect, if any, still decides the redirects that stay.
func HTTPClient(base *http.Client) *http.Client {
	var hc http.Client
	if base != nil {
		hc = *base
	}
	prev := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
			return http.ErrUseLastResponse
		}
		if prev != nil {
			return prev(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &hc
}

// ValidationError is backupcopy.ValidationError, the one validation error of
// the four clients and auth.
type ValidationError = backupcopy.ValidationError

// Invalid returns a *ValidationError.
func Invalid(field, rule, value string) error {
	return &ValidationError{Field: field, Rule: rule, Value: value}
}
