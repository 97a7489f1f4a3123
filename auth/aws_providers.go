package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
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
		return AWSCredentials{}, errors.New("auth: static AWS credentials: access key id and secret access key are empty")
	case s.c.AccessKeyID == "":
		return AWSCredentials{}, errors.New("auth: static AWS credentials: access key id is empty")
	case s.c.SecretAccessKey == "":
		return AWSCredentials{}, fmt.Errorf("auth: static AWS credentials: secret access key for %q is empty", s.c.AccessKeyID)
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
		return AWSCredentials{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
	case id == "":
		return AWSCredentials{}, errors.New("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
	case secret == "":
		return AWSCredentials{}, errors.New("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
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
		return AWSCredentials{}, errors.New("auth: empty AWS credentials chain")
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
	return AWSCredentials{}, fmt.Errorf("auth: no AWS credentials found (%s)", strings.Join(reasons, "; "))
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
// refresh. Use it by pointer; it must not be copied after first use.
type CachedAWSCredentials struct {
	// Provider supplies the credentials.
	Provider AWSCredentialsProvider
	// ExpiryWindow is how early expiring credentials are refreshed; zero
	// means DefaultAWSCredentialsExpiryWindow.
	ExpiryWindow time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu       sync.Mutex
	creds    AWSCredentials
	have     bool
	inflight *awsRefresh
}

// awsRefresh is one call to the wrapped provider, shared by every caller that
// arrives while it runs.
type awsRefresh struct {
	done  chan struct{}
	creds AWSCredentials
	err   error
	// ctxErr is set when the refresh failed because the context of the
	// caller that ran it ended; the others then try again with their own.
	ctxErr bool
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
		return AWSCredentials{}, errors.New("auth: CachedAWSCredentials has no Provider")
	}
	for {
		c.mu.Lock()
		now := c.now()
		if c.have && !c.creds.Expired(now.Add(c.window())) {
			creds := c.creds
			c.mu.Unlock()
			return creds, nil
		}
		r := c.inflight
		leader := r == nil
		if leader {
			r = &awsRefresh{done: make(chan struct{})}
			c.inflight = r
		}
		c.mu.Unlock()

		if leader {
			c.refresh(ctx, r)
		} else {
			select {
			case <-r.done:
			case <-ctx.Done():
				return AWSCredentials{}, ctx.Err()
			}
		}
		if r.ctxErr && !leader {
			continue // the leader gave up; refresh under our own context
		}
		return r.creds, r.err
	}
}

// refresh runs the wrapped provider for r and publishes the result.
func (c *CachedAWSCredentials) refresh(ctx context.Context, r *awsRefresh) {
	creds, err := c.Provider.Retrieve(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err == nil:
		c.creds, c.have = creds, true
		r.creds = creds
	case c.have && !c.creds.Expired(c.now()):
		r.creds = c.creds // still valid: keep using it, try again next call
	default:
		r.err = err
		r.ctxErr = ctx.Err() != nil
	}
	c.inflight = nil
	close(r.done)
}

// Invalidate drops the cached credentials, so the next Retrieve refreshes.
// The call path calls it when the service reports expired credentials.
func (c *CachedAWSCredentials) Invalidate() {
	c.mu.Lock()
	c.creds, c.have = AWSCredentials{}, false
	c.mu.Unlock()
}

func (c *CachedAWSCredentials) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *CachedAWSCredentials) window() time.Duration {
	if c.ExpiryWindow > 0 {
		return c.ExpiryWindow
	}
	return DefaultAWSCredentialsExpiryWindow
}

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
