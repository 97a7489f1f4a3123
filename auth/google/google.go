// Package google authenticates requests to Google Cloud APIs with OAuth2
// bearer tokens: from any oauth2.TokenSource, or from Application Default
// Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's application-default
// credentials, or the metadata server).
package google

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
	googleoauth "golang.org/x/oauth2/google"

	"github.com/backupcopy/backupcopy/auth"
)

// CloudPlatformScope is the OAuth2 scope the backupcopy Google clients ask for.
const CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// expiryDelta is how long before its expiry a cached token is replaced.
const expiryDelta = 3 * time.Minute

// Authenticator sets "Authorization: Bearer <token>" on each request from a
// token source. It caches the token until shortly before it expires, and its
// Invalidate drops the cached token so that the next request fetches a new
// one (the call path does this when a service answers UNAUTHENTICATED).
type Authenticator struct {
	base oauth2.TokenSource
	now  func() time.Time

	mu  sync.Mutex
	tok *oauth2.Token
}

var (
	_ auth.Authenticator = (*Authenticator)(nil)
	_ auth.Invalidator   = (*Authenticator)(nil)
)

// NewAuthenticator returns an Authenticator drawing tokens from ts.
func NewAuthenticator(ts oauth2.TokenSource) *Authenticator {
	return &Authenticator{base: ts, now: time.Now}
}

// DefaultAuthenticator returns an Authenticator from Application Default
// Credentials with the given scopes (CloudPlatformScope when none).
func DefaultAuthenticator(ctx context.Context, scopes ...string) (*Authenticator, error) {
	if len(scopes) == 0 {
		scopes = []string{CloudPlatformScope}
	}
	creds, err := googleoauth.FindDefaultCredentials(ctx, scopes...)
	if err != nil {
		return nil, fmt.Errorf("google: no Application Default Credentials found: set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or run `gcloud auth application-default login` (%w)", err)
	}
	return NewAuthenticator(creds.TokenSource), nil
}

// Authenticate sets the bearer token on req.
func (a *Authenticator) Authenticate(ctx context.Context, req *http.Request, _ []byte) error {
	tok, err := a.token()
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return nil
}

func (a *Authenticator) token() (*oauth2.Token, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tok != nil && (a.tok.Expiry.IsZero() || a.now().Add(expiryDelta).Before(a.tok.Expiry)) {
		return a.tok, nil
	}
	if a.base == nil {
		return nil, errors.New("google: no token source")
	}
	tok, err := a.base.Token()
	if err != nil {
		return nil, fmt.Errorf("google: getting an OAuth2 token: %w", redactErr(err))
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, errors.New("google: the token source returned an empty token")
	}
	a.tok = tok
	return tok, nil
}

// Invalidate drops the cached token.
func (a *Authenticator) Invalidate() {
	a.mu.Lock()
	a.tok = nil
	a.mu.Unlock()
}

// String describes the authenticator without any token.
func (a *Authenticator) String() string { return "google.Authenticator{token: [REDACTED]}" }

// GoString is String, so %#v hides the token too.
func (a *Authenticator) GoString() string { return a.String() }

// Format redacts every fmt verb.
func (a *Authenticator) Format(f fmt.State, _ rune) { fmt.Fprint(f, a.String()) }

// redactErr keeps an oauth2 retrieve error's status and message but not the
// raw response body it carries.
func redactErr(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		code := re.ErrorCode
		if code == "" && re.Response != nil {
			code = re.Response.Status
		}
		return fmt.Errorf("token endpoint refused: %s %s", code, re.ErrorDescription)
	}
	return err
}
