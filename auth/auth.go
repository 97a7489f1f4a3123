package auth

import (
	"context"
	"net/http"
	"time"

	"github.com/backupcopy/backupcopy/internal/clock"
)

// Authenticator adds credentials to one outgoing request. body is the exact byte
// slice that will be sent (nil for no body); implementations must not modify it
// nor read req.Body. Authenticate is called once per attempt, so signatures and
// dates are fresh on every retry. Implementations are safe for concurrent use.
type Authenticator interface {
	Authenticate(ctx context.Context, req *http.Request, body []byte) error
}

// AuthenticatorFunc adapts a function to an [Authenticator].
type AuthenticatorFunc func(ctx context.Context, req *http.Request, body []byte) error

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, req *http.Request, body []byte) error {
	return f(ctx, req, body)
}

// Invalidator is implemented by authenticators that cache a credential (a bearer
// or IAM token) and can drop it. The call path calls Invalidate when the service
// answers that the credential is expired, then retries once with a fresh one.
type Invalidator interface {
	Invalidate()
}

// WithSigningTime returns a context that tells signers to date the request t
// instead of now. The call path uses it to correct for clock skew reported by a
// service.
func WithSigningTime(ctx context.Context, t time.Time) context.Context {
	return clock.WithSigningTime(ctx, t)
}

// SigningTime returns the time a signer should put on a request made with ctx:
// the time set by [WithSigningTime], else the current time.
func SigningTime(ctx context.Context) time.Time { return clock.SigningTime(ctx) }

// redacted is what every credential type prints in place of a secret.
const redacted = "[REDACTED]"
