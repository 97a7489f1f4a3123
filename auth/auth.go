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
	// Authenticate adds the credentials (headers) to req, whose body is body.
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
	// Invalidate drops the cached credential: the next request gets a new one.
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

// DefaultRefreshTimeout bounds one refresh of a cached credential (a Huawei
// IAM token, AWS credentials from CachedAWSCredentials, a Google OAuth2 token),
// its retries included, when no other bound is set: 30 seconds. A healthy
// token endpoint answers within a second or two; 30 s leaves room for a slow
// network and a retry or two (it is also net/http's default dial timeout). It
// is short enough that a hung endpoint fails the calls waiting on it with a
// clear, Transient error long before any copy's deadline, and it bounds the
// wait of a caller whose context has no deadline (context.Background()), which
// would otherwise have no end. The refresh is shared by the callers waiting
// for it and runs on its own context: a caller whose context ends stops
// waiting without cancelling it for the others.
const DefaultRefreshTimeout = 30 * time.Second

// redacted is what every credential type prints in place of a secret.
const redacted = "[REDACTED]"
