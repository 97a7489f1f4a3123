package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	googleoauth "golang.org/x/oauth2/google"

	"github.com/backupcopy/backupcopy/auth"
)

// CloudPlatformScope is the OAuth2 scope the backupcopy Google clients ask for
// when no other scope is given.
const CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// expiryMargin: a cached token with less than this left is not used again.
const expiryMargin = time.Minute

// bearer sets "Authorization: Bearer <token>". It keeps the last token until
// it is within expiryMargin of its expiry (a token without expiry is kept until
// Invalidate), lets concurrent callers share one fetch, and lets each caller
// wait no longer than its own context.
type bearer struct {
	// renew, if set, builds a new token source; it is used for the first
	// fetch and after Invalidate, so that a token cached inside the source
	// is dropped too.
	renew func() (oauth2.TokenSource, error)
	now   func() time.Time

	mu     sync.Mutex
	src    oauth2.TokenSource
	stale  bool   // Invalidate was called: build a new source before fetching
	gen    uint64 // counts Invalidate calls
	tok    *oauth2.Token
	flight *fetch

	value atomic.Pointer[bearerValue] // the last token's header value
}

// fetch is one call of the token source that callers share.
type fetch struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

var (
	_ auth.Authenticator = (*bearer)(nil)
	_ auth.Invalidator   = (*bearer)(nil)
)

// NewAuthenticator returns an Authenticator that sets "Authorization: Bearer
// <token>" on every attempt with a token from ts. It keeps the token until a
// minute before it expires and implements auth.Invalidator: Invalidate drops
// the kept token so that the next attempt asks ts again. A source that caches
// tokens itself (oauth2.ReuseTokenSource, and so most oauth2 and google
// sources) may then hand back the same token until its own expiry; to make
// Invalidate force a new token, pass the underlying, uncached source.
// DefaultAuthenticator always gets a new token after Invalidate.
//
// Errors from ts are returned without any token or response body.
func NewAuthenticator(ts oauth2.TokenSource) auth.Authenticator {
	return &bearer{src: ts, now: time.Now}
}

// DefaultAuthenticator returns an Authenticator using Application Default
// Credentials with the given scopes (CloudPlatformScope when none): the JSON
// file named by GOOGLE_APPLICATION_CREDENTIALS, gcloud's application-default
// credentials, or the metadata server. The credentials are looked up now, so
// that a missing configuration is reported at once; after Invalidate they are
// looked up again, so that the next token is a new one. ctx supplies values
// (such as an oauth2.HTTPClient) for token requests; its cancellation does not
// stop the returned Authenticator.
func DefaultAuthenticator(ctx context.Context, scopes ...string) (auth.Authenticator, error) {
	if len(scopes) == 0 {
		scopes = []string{CloudPlatformScope}
	}
	scopes = append([]string(nil), scopes...)
	bg := context.WithoutCancel(ctx)
	find := func() (oauth2.TokenSource, error) {
		creds, err := googleoauth.FindDefaultCredentials(bg, scopes...)
		if err != nil {
			return nil, err
		}
		return creds.TokenSource, nil
	}
	src, err := find()
	if err != nil {
		return nil, fmt.Errorf("google: no usable Application Default Credentials: set GOOGLE_APPLICATION_CREDENTIALS to the path of a service account key file, or run `gcloud auth application-default login`, or run on Google Cloud with a service account attached: %w", err)
	}
	return &bearer{src: src, renew: find, now: time.Now}, nil
}

// Authenticate sets the bearer token on req.
func (b *bearer) Authenticate(ctx context.Context, req *http.Request, _ []byte) error {
	tok, err := b.token(ctx)
	if err != nil {
		return err
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	// The header value is built once per token, not once per request.
	v := b.value.Load()
	if v == nil || v.tok != tok || v.header[len("Bearer "):] != tok.AccessToken {
		v = &bearerValue{tok: tok, header: "Bearer " + tok.AccessToken}
		b.value.Store(v)
	}
	req.Header["Authorization"] = []string{v.header} // Header.Set, with the key already canonical
	return nil
}

// bearerValue is the Authorization value for one token.
type bearerValue struct {
	tok    *oauth2.Token
	header string
}

func (b *bearer) token(ctx context.Context) (*oauth2.Token, error) {
	b.mu.Lock()
	if b.tok != nil && b.fresh(b.tok) {
		tok := b.tok
		b.mu.Unlock()
		return tok, nil
	}
	f := b.flight
	if f == nil {
		if b.src == nil && b.renew == nil {
			b.mu.Unlock()
			return nil, errors.New("google: the token source is nil")
		}
		f = &fetch{done: make(chan struct{})}
		b.flight = f
		go b.run(f)
	}
	b.mu.Unlock()

	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("google: waiting for an OAuth2 token: %w", ctx.Err())
	}
}

// fresh reports whether tok may be used for one more request.
func (b *bearer) fresh(tok *oauth2.Token) bool {
	return tok.Expiry.IsZero() || b.now().Add(expiryMargin).Before(tok.Expiry)
}

// run calls the token source for f (renewing the source first if needed).
func (b *bearer) run(f *fetch) {
	b.mu.Lock()
	src, renew, gen := b.src, b.stale && b.renew != nil, b.gen
	b.mu.Unlock()

	var err error
	if renew {
		src, err = b.renew()
		if err != nil {
			err = fmt.Errorf("google: looking up Application Default Credentials again: %w", err)
		}
	}
	var tok *oauth2.Token
	if err == nil {
		tok, err = src.Token()
		switch {
		case err != nil:
			err = fmt.Errorf("google: getting an OAuth2 token: %w", redactError(err))
		case tok == nil || tok.AccessToken == "":
			tok, err = nil, errors.New("google: the token source returned an empty access token")
		}
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	f.tok, f.err = tok, err
	// A token fetched while Invalidate was called may be the one invalidated:
	// it serves the callers that waited for it but is not kept.
	if err == nil && gen == b.gen {
		b.tok = tok
		if renew {
			b.src, b.stale = src, false
		}
	}
	b.flight = nil
	close(f.done)
}

// Invalidate drops the kept token, so that the next attempt fetches another.
func (b *bearer) Invalidate() {
	b.mu.Lock()
	b.tok = nil
	b.stale = true
	b.gen++
	b.mu.Unlock()
}

// String describes the authenticator without any token.
func (b *bearer) String() string {
	kind := "TokenSource"
	if b.renew != nil {
		kind = "ApplicationDefaultCredentials"
	}
	return "google.Authenticator{" + kind + ", token: [REDACTED]}"
}

// GoString is String, so that %#v hides the token too.
func (b *bearer) GoString() string { return b.String() }

// Format writes String for every fmt verb (quoted for %q).
func (b *bearer) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", b.String())
		return
	}
	io.WriteString(f, b.String())
}

// redactedError keeps a token endpoint's error code and description, and the
// HTTP status, but not the response body an oauth2.RetrieveError carries.
type redactedError struct {
	status, code, desc string
	err                error
}

func (e *redactedError) Error() string {
	s := "the token endpoint refused"
	for _, p := range []string{e.status, e.code, e.desc} {
		if p != "" {
			s += ": " + p
		}
	}
	return s
}

// Unwrap lets errors.As find the *oauth2.RetrieveError (whose Body is the
// caller's to inspect deliberately).
func (e *redactedError) Unwrap() error { return e.err }

func redactError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return err
	}
	r := &redactedError{code: re.ErrorCode, desc: re.ErrorDescription, err: re}
	if r.code == "" {
		// Some grants (the service-account JWT one) leave the standard
		// fields unparsed: read just those two from the body.
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(re.Body, &body) == nil {
			r.code, r.desc = body.Error, body.Description
		}
	}
	if re.Response != nil {
		r.status = re.Response.Status
	}
	return r
}
