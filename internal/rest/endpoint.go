// Package rest is the one HTTP call path that every backupcopy client uses: it
// builds the URL from checked and escaped path segments, encodes JSON,
// authenticates every attempt, sends, classifies the outcome, retries only what
// the caller marked safe, reads bodies with a size bound and hands error bodies
// to a per-service decoder.
package rest

import (
	"net/url"

	"github.com/backupcopy/backupcopy/internal/endpoint"
)

// ParseEndpoint checks an endpoint given as scheme://host[:port][/prefix] and
// returns it without a trailing slash (the rules: endpoint.Parse).
func ParseEndpoint(raw string) (*url.URL, error) { return endpoint.Parse(raw) }

// IsLoopback reports whether host (without port) is localhost or a loopback IP.
func IsLoopback(host string) bool { return endpoint.IsLoopback(host) }

// ValidationError reports a request value that breaks a documented rule (it
// lives in internal/endpoint, which auth shares without importing the call
// path).
type ValidationError = endpoint.ValidationError

// Invalid returns a *ValidationError.
func Invalid(field, rule, value string) error { return endpoint.Invalid(field, rule, value) }
