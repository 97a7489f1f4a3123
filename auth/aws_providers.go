package auth

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth/internal/credcache"
)

// StaticAWSCredentials returns a provider of fixed credentials. sessionToken
// may be empty; an empty access key id or secret makes every Retrieve fail.
func StaticAWSCredentials(accessKeyID, secretAccessKey, sessionToken string) AWSCredentialsProvider {
	return staticAWSCredentials{AWSCredentials{
		AccessKeyID:     accessKeyID,
		SecretAccessKey: secretAccessKey,
		SessionToken:    sessionToken,
		Source:          "Static",
	}}
}

type staticAWSCredentials struct{ c AWSCredentials }

func (s staticAWSCredentials) Retrieve(context.Context) (AWSCredentials, error) {
	switch {
	case s.c.AccessKeyID == "" && s.c.SecretAccessKey == "":
		return AWSCredentials{}, credcache.Errorf(backupcopy.PermissionDenied, "auth: static AWS credentials: access key id and secret access key are empty")
	case s.c.AccessKeyID == "":
		return AWSCredentials{}, credcache.Errorf(backupcopy.PermissionDenied, "auth: static AWS credentials: access key id is empty")
	case s.c.SecretAccessKey == "":
		return AWSCredentials{}, credcache.Errorf(backupcopy.PermissionDenied, "auth: static AWS credentials: secret access key for %q is empty", s.c.AccessKeyID)
	}
	return s.c, nil
}

func (s staticAWSCredentials) String() string {
	return "StaticAWSCredentials(" + s.c.String() + ")"
}
func (s staticAWSCredentials) GoString() string              { return s.String() }
func (s staticAWSCredentials) Format(f fmt.State, verb rune) { formatRedacted(f, verb, s.String()) }

// formatRedacted writes s for any verb (quoted for %q), so that no fmt verb
// reaches a struct's fields.
func formatRedacted(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s)
		return
	}
	io.WriteString(f, s)
}

// EnvAWSCredentials reads credentials from the environment at each Retrieve:
// AWS_ACCESS_KEY_ID (or AWS_ACCESS_KEY), AWS_SECRET_ACCESS_KEY (or
// AWS_SECRET_KEY) and, optionally, AWS_SESSION_TOKEN.
type EnvAWSCredentials struct{}

// Retrieve reads the environment. The error names the missing variables.
func (EnvAWSCredentials) Retrieve(context.Context) (AWSCredentials, error) {
	id := firstAWSEnv("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")
	secret := firstAWSEnv("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	switch {
	case id == "" && secret == "":
		return AWSCredentials{}, credcache.Errorf(backupcopy.PermissionDenied, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
	case id == "":
		return AWSCredentials{}, credcache.Errorf(backupcopy.PermissionDenied, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
	case secret == "":
		return AWSCredentials{}, credcache.Errorf(backupcopy.PermissionDenied, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
	}
	return AWSCredentials{
		AccessKeyID:     id,
		SecretAccessKey: secret,
		SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
		Source:          "Environment",
	}, nil
}

// String names the provider.
func (EnvAWSCredentials) String() string { return "EnvAWSCredentials" }

// GoString is String.
func (e EnvAWSCredentials) GoString() string { return e.String() }

// Format prints String for every verb.
func (e EnvAWSCredentials) Format(f fmt.State, verb rune) { formatRedacted(f, verb, e.String()) }

// firstAWSEnv returns the value of the first non-empty variable of names.
func firstAWSEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// AWSCredentialsChain tries its providers in order: the first that returns
// credentials wins. It is safe for concurrent use if its providers are.
type AWSCredentialsChain []AWSCredentialsProvider

// Retrieve returns the first provider's credentials that succeeds. When all
// fail, the error lists why each one failed. A cancelled ctx stops the chain.
func (c AWSCredentialsChain) Retrieve(ctx context.Context) (AWSCredentials, error) {
	if len(c) == 0 {
		return AWSCredentials{}, credcache.Errorf(backupcopy.PermissionDenied, "auth: empty AWS credentials chain")
	}
	var reasons []string
	for _, p := range c {
		if err := ctx.Err(); err != nil {
			return AWSCredentials{}, err
		}
		if p == nil {
			reasons = append(reasons, "<nil provider>")
			continue
		}
		creds, err := p.Retrieve(ctx)
		if err == nil {
			return creds, nil
		}
		reasons = append(reasons, providerLabel(p)+": "+err.Error())
	}
	if err := ctx.Err(); err != nil {
		return AWSCredentials{}, err
	}
	return AWSCredentials{}, credcache.Errorf(backupcopy.PermissionDenied, "auth: no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile of the shared credentials file with AWS_PROFILE (tried: %s)", strings.Join(reasons, "; "))
}

// String lists the providers without their secrets.
func (c AWSCredentialsChain) String() string {
	names := make([]string, len(c))
	for i, p := range c {
		names[i] = providerLabel(p)
	}
	return "AWSCredentialsChain[" + strings.Join(names, ", ") + "]"
}

// GoString is String.
func (c AWSCredentialsChain) GoString() string { return c.String() }

// Format prints String for every verb.
func (c AWSCredentialsChain) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c.String()) }

// providerLabel describes p by its own String method when it has one (every
// provider of this package redacts there) and by its type otherwise, so a
// foreign provider's fields are never printed.
func providerLabel(p AWSCredentialsProvider) string {
	if p == nil {
		return "<nil>"
	}
	switch p.(type) {
	case staticAWSCredentials, EnvAWSCredentials, *EnvAWSCredentials, SharedAWSCredentials,
		*SharedAWSCredentials, AWSCredentialsChain, *CachedAWSCredentials:
		return p.(fmt.Stringer).String()
	}
	return fmt.Sprintf("%T", p)
}

// DefaultAWSCredentialsExpiryWindow is how long before their expiry
// [CachedAWSCredentials] refreshes credentials when ExpiryWindow is zero.
const DefaultAWSCredentialsExpiryWindow = 5 * time.Minute

// CachedAWSCredentials wraps a provider and reuses the credentials it returns
// until ExpiryWindow before they expire (credentials without an expiry are
// kept until [CachedAWSCredentials.Invalidate]). Concurrent callers share one
// refresh, which runs on its own context bounded by RefreshTimeout: a caller
// whose context ends stops waiting without cancelling it for the others, and
// a provider that hangs fails the callers with a Transient error at the
// bound, whatever their own context. A failed refresh is not cached. Use it by
// pointer; set its fields before first use; it must not be copied after
// first use.
type CachedAWSCredentials struct {
	// Provider supplies the credentials.
	Provider AWSCredentialsProvider
	// ExpiryWindow is how early expiring credentials are refreshed; zero
	// means DefaultAWSCredentialsExpiryWindow.
	ExpiryWindow time.Duration
	// RefreshTimeout bounds one call of Provider; zero means
	// DefaultRefreshTimeout (30 s).
	RefreshTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	once  sync.Once
	cache credcache.Cache[AWSCredentials]
}

// NewCachedAWSCredentials returns a cache around p with the default window.
func NewCachedAWSCredentials(p AWSCredentialsProvider) *CachedAWSCredentials {
	return &CachedAWSCredentials{Provider: p}
}

// Retrieve returns the cached credentials while they are fresh, else
// refreshes them once for all concurrent callers. If a refresh fails while
// the old credentials have not yet actually expired (they are only inside the
// window), the old credentials are returned.
func (c *CachedAWSCredentials) Retrieve(ctx context.Context) (AWSCredentials, error) {
	if c.Provider == nil {
		return AWSCredentials{}, credcache.Errorf(backupcopy.PermissionDenied, "auth: CachedAWSCredentials has no Provider")
	}
	c.once.Do(func() {
		c.cache.Name = "auth: AWS credentials"
		c.cache.Fetch = c.fetch
		c.cache.Timeout = cmp.Or(c.RefreshTimeout, DefaultRefreshTimeout)
		c.cache.Now = c.Now
	})
	return c.cache.Get(ctx)
}

// fetch calls the provider. An error that does not say its Kind is
// PermissionDenied: no credentials could be had.
func (c *CachedAWSCredentials) fetch(ctx context.Context) (credcache.Entry[AWSCredentials], error) {
	creds, err := c.Provider.Retrieve(ctx)
	if err != nil {
		if backupcopy.KindOf(err) == backupcopy.KindUnknown {
			err = &credcache.Error{Kind: backupcopy.PermissionDenied, Err: err}
		}
		return credcache.Entry[AWSCredentials]{}, err
	}
	e := credcache.Entry[AWSCredentials]{Value: creds, Expires: creds.Expires}
	if !creds.Expires.IsZero() {
		window := c.ExpiryWindow
		if window <= 0 {
			window = DefaultAWSCredentialsExpiryWindow
		}
		e.RefreshAt = creds.Expires.Add(-window)
	}
	return e, nil
}

// Invalidate drops the cached credentials, so the next Retrieve refreshes.
// The call path calls it when the service reports expired credentials.
func (c *CachedAWSCredentials) Invalidate() { c.cache.Invalidate() }

// String describes the cache and its provider, never a secret.
func (c *CachedAWSCredentials) String() string {
	return "CachedAWSCredentials{" + providerLabel(c.Provider) + "}"
}

// GoString is String.
func (c *CachedAWSCredentials) GoString() string { return c.String() }

// Format prints String for every verb.
func (c *CachedAWSCredentials) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c.String()) }

// DefaultAWSCredentials returns the default provider: the environment
// ([EnvAWSCredentials]), then the shared credentials and config files for
// AWS_PROFILE or "default" ([SharedAWSCredentials]), cached.
func DefaultAWSCredentials() AWSCredentialsProvider {
	return NewCachedAWSCredentials(AWSCredentialsChain{EnvAWSCredentials{}, SharedAWSCredentials{}})
}
