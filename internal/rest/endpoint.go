// Package rest is the one HTTP call path that every backupcopy client uses: it
// builds the URL from checked and escaped path segments, encodes JSON,
// authenticates every attempt, sends, classifies the outcome, retries only what
// the caller marked safe, reads bodies with a size bound and hands error bodies
// to a per-service decoder.
package rest

import (
	"github.com/backupcopy/backupcopy"

	"net"
	"net/url"
	"strings"
)

// ParseEndpoint checks an endpoint given as scheme://host[:port][/prefix] and
// returns it without a trailing slash. https is always accepted; http only for
// loopback hosts (127.0.0.0/8, ::1, localhost). User info, query and fragment are
// refused: credentials never travel in a URL.
func ParseEndpoint(raw string) (*url.URL, error) {
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

// ValidationError is backupcopy.ValidationError, the one validation error of
// the four clients.
type ValidationError = backupcopy.ValidationError

// Invalid returns a *ValidationError.
func Invalid(field, rule, value string) error {
	return &ValidationError{Field: field, Rule: rule, Value: value}
}
