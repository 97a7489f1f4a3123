package google

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	googleoauth "golang.org/x/oauth2/google"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/auth/internal/credcache"
)

// CloudPlatformScope is the OAuth2 scope the backupcopy Google clients ask for
// when no other scope is given.
const CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// expiryMargin: a cached token with less than this left is not used again.
const expiryMargin = time.Minute

// bearer sets "Authorization: Bearer <token>". It keeps the last token in a
// credcache.Cache until it is within expiryMargin of its expiry (a token
// without expiry is kept until Invalidate): concurrent callers share one
// fetch, each waits no longer than its own context, and a fetch that does
// not finish within auth.DefaultRefreshTimeout fails its callers.
type bearer struct {
	// renew, if set, builds a new token source; it is used after
	// Invalidate, so that a token cached inside the source is dropped too.
	renew func() (oauth2.TokenSource, error)
	now   func() time.Time
	stale atomic.Bool // Invalidate was called: renew before fetching

	mu  sync.Mutex
	src oauth2.TokenSource

	cache credcache.Cache[*oauth2.Token]
	value atomic.Pointer[bearerValue] // the last token's header value
}

var (
	_ auth.Authenticator = (*bearer)(nil)
	_ auth.Invalidator   = (*bearer)(nil)
)

func newBearer(src oauth2.TokenSource, renew func() (oauth2.TokenSource, error)) *bearer {
	b := &bearer{src: src, renew: renew, now: time.Now}
	b.cache = credcache.Cache[*oauth2.Token]{
		Name:    "google: OAuth2 token",
		Fetch:   b.fetch,
		Timeout: auth.DefaultRefreshTimeout,
		Now:     func() time.Time { return b.now() },
	}
	return b
}

// NewAuthenticator returns an Authenticator that sets "Authorization: Bearer
// <token>" on every attempt with a token from ts. It keeps the token until a
// minute before it expires and implements auth.Invalidator: Invalidate drops
// the kept token so that the next attempt asks ts again. A source that caches
// tokens itself (oauth2.ReuseTokenSource, and so most oauth2 and google
// sources) may then hand back the same token until its own expiry; to make
// Invalidate force a new token, pass the underlying, uncached source.
// DefaultAuthenticator always gets a new token after Invalidate.
//
// A call of ts that does not return within auth.DefaultRefreshTimeout (30 s)
// fails the requests waiting for it with a Transient error (ts.Token takes
// no context, so the call itself is left to finish; its token is dropped).
// Errors from ts are returned without any token or response body.
func NewAuthenticator(ts oauth2.TokenSource) auth.Authenticator {
	return newBearer(ts, nil)
}

// DefaultAuthenticator returns an Authenticator using Application Default
// Credentials with the given scopes (CloudPlatformScope when none): the JSON
// file named by GOOGLE_APPLICATION_CREDENTIALS, gcloud's application-default
// credentials, or the metadata server. The credentials are looked up now, so
// that a missing configuration is reported at once, in one line that says
// what was tried, what was wrong and what to do; after Invalidate they are
// looked up again, so that the next token is a new one. ctx supplies values
// (such as an oauth2.HTTPClient) for token requests; its cancellation does not
// stop the returned Authenticator. Without an oauth2.HTTPClient in ctx, token
// requests use an http.Client whose Timeout is auth.DefaultRefreshTimeout.
func DefaultAuthenticator(ctx context.Context, scopes ...string) (auth.Authenticator, error) {
	if len(scopes) == 0 {
		scopes = []string{CloudPlatformScope}
	}
	scopes = append([]string(nil), scopes...)
	bg := context.WithoutCancel(ctx)
	if _, ok := bg.Value(oauth2.HTTPClient).(*http.Client); !ok {
		bg = context.WithValue(bg, oauth2.HTTPClient, &http.Client{Timeout: auth.DefaultRefreshTimeout})
	}
	find := func() (oauth2.TokenSource, error) { return findDefault(bg, scopes) }
	src, err := find()
	if err != nil {
		return nil, err
	}
	return newBearer(src, find), nil
}

// Authenticate sets the bearer token on req.
func (b *bearer) Authenticate(ctx context.Context, req *http.Request, _ []byte) error {
	tok, err := b.cache.Get(ctx)
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

// fetch gets a token from the source (renewing the source first after
// Invalidate).
func (b *bearer) fetch(context.Context) (credcache.Entry[*oauth2.Token], error) {
	var none credcache.Entry[*oauth2.Token]
	src, err := b.source()
	if err != nil {
		return none, err
	}
	tok, err := src.Token()
	switch {
	case err != nil:
		return none, tokenError(err)
	case tok == nil || tok.AccessToken == "":
		return none, credcache.Errorf(backupcopy.PermissionDenied, "google: the token source returned an empty access token")
	}
	e := credcache.Entry[*oauth2.Token]{Value: tok}
	if !tok.Expiry.IsZero() {
		e.RefreshAt = tok.Expiry.Add(-expiryMargin)
		e.Expires = e.RefreshAt
	}
	return e, nil
}

// source returns the token source, built anew if Invalidate was called.
func (b *bearer) source() (oauth2.TokenSource, error) {
	if b.renew != nil && b.stale.Swap(false) {
		src, err := b.renew()
		if err != nil {
			b.stale.Store(true)
			return nil, err
		}
		b.mu.Lock()
		b.src = src
		b.mu.Unlock()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.src == nil {
		return nil, credcache.Errorf(backupcopy.PermissionDenied, "google: the token source is nil: pass an oauth2.TokenSource")
	}
	return b.src, nil
}

// Invalidate drops the kept token, so that the next attempt fetches another.
func (b *bearer) Invalidate() {
	b.stale.Store(true)
	b.cache.Invalidate()
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

// ErrorKind returns backupcopy.Transient for a 5xx or 408 answer,
// backupcopy.Throttled for a 429, and backupcopy.PermissionDenied for the rest
// (the endpoint refused the credentials).
func (e *redactedError) ErrorKind() backupcopy.Kind {
	var re *oauth2.RetrieveError
	if errors.As(e.err, &re) && re.Response != nil {
		return credcache.StatusKind(re.Response.StatusCode)
	}
	return backupcopy.PermissionDenied
}

// tokenError words a token source's error: an answer of the token endpoint
// keeps its status, code and description (not its body); a network failure
// is Transient; anything else is PermissionDenied.
func tokenError(err error) error {
	if r := redactError(err); r != err {
		return fmt.Errorf("google: getting an OAuth2 token: %w", r)
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		return credcache.Errorf(backupcopy.Transient, "google: getting an OAuth2 token: %w", err)
	}
	return credcache.Errorf(backupcopy.PermissionDenied, "google: getting an OAuth2 token: %w", err)
}

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

// envCredentials names the key file of Application Default Credentials.
const envCredentials = "GOOGLE_APPLICATION_CREDENTIALS"

// findDefault looks up Application Default Credentials as
// googleoauth.FindDefaultCredentials does, first checking the key file it
// would read (GOOGLE_APPLICATION_CREDENTIALS's, else gcloud's), so that every
// failure reads as one line: what was tried, what was wrong, what to do.
func findDefault(ctx context.Context, scopes []string) (oauth2.TokenSource, error) {
	path, where := os.Getenv(envCredentials), envCredentials
	if path == "" {
		path, where = gcloudFile(), "gcloud's application-default credentials"
		if _, err := os.Stat(path); err != nil {
			path = "" // not there: the metadata server is tried next
		}
	}
	if path != "" {
		if err := checkKeyFile(path, where); err != nil {
			return nil, err
		}
	}
	creds, err := googleoauth.FindDefaultCredentials(ctx, scopes...)
	if err == nil {
		return creds.TokenSource, nil
	}
	msg := strings.TrimPrefix(err.Error(), "google: ")
	msg = strings.TrimPrefix(msg, "error getting credentials using "+envCredentials+" environment variable: ")
	switch {
	case path != "":
		return nil, credcache.Errorf(backupcopy.PermissionDenied,
			"google: Application Default Credentials: %s (%s) cannot be used: %s: use a service account key file, or run `gcloud auth application-default login`", path, where, msg)
	case strings.HasPrefix(msg, "could not find default credentials"):
		return nil, credcache.Errorf(backupcopy.PermissionDenied,
			"google: no Application Default Credentials: %s is not set, %s does not exist and no metadata server answered (not on Google Cloud): set %s to the path of a service account key file, or run `gcloud auth application-default login`",
			envCredentials, gcloudFile(), envCredentials)
	}
	return nil, credcache.Errorf(backupcopy.PermissionDenied,
		"google: Application Default Credentials from the metadata server: %s: attach a service account to this machine, or set %s to the path of a service account key file", msg, envCredentials)
}

// gcloudFile is where gcloud keeps application-default credentials (as
// golang.org/x/oauth2/google looks for them).
func gcloudFile() string {
	const f = "application_default_credentials.json"
	if runtime.GOOS == "windows" {
		return filepath.Join(os.Getenv("APPDATA"), "gcloud", f)
	}
	home := os.Getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".config", "gcloud", f)
}

// checkKeyFile reports, in one line, a credentials file that is missing,
// unreadable, not JSON, or a service account key whose private key does not
// parse (without the parser's ASN.1 detail). It accepts every key that
// golang.org/x/oauth2 accepts.
func checkKeyFile(path, where string) error {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && where == envCredentials:
		return credcache.Errorf(backupcopy.PermissionDenied,
			"google: Application Default Credentials: %s is set to %s, which does not exist: set it to the path of a service account key file, or unset it to use gcloud's credentials or the metadata server", envCredentials, path)
	case errors.Is(err, fs.ErrPermission):
		return credcache.Errorf(backupcopy.PermissionDenied,
			"google: Application Default Credentials: cannot read %s (%s): permission denied: make the file readable by this program", path, where)
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return credcache.Errorf(backupcopy.PermissionDenied,
			"google: Application Default Credentials: cannot read %s (%s): %v: point %s at a readable key file", path, where, err, envCredentials)
	}
	var f struct {
		Type       string `json:"type"`
		PrivateKey string `json:"private_key"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return credcache.Errorf(backupcopy.PermissionDenied,
			"google: Application Default Credentials: %s (%s) is not a JSON key file: %v: download the service account's key again (JSON) or run `gcloud auth application-default login`", path, where, err)
	}
	if f.Type == "service_account" && !validPrivateKey(f.PrivateKey) {
		return credcache.Errorf(backupcopy.PermissionDenied,
			"google: Application Default Credentials: the private_key in %s (%s) is not a valid PEM private key: download a new key for the service account and point %s at it", path, where, envCredentials)
	}
	return nil
}

// validPrivateKey reports whether key is an RSA private key in PKCS #8 or
// PKCS #1, PEM-encoded or not: what a service account's JWT is signed with.
func validPrivateKey(key string) bool {
	der := []byte(key)
	if block, _ := pem.Decode(der); block != nil {
		der = block.Bytes
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		_, ok := k.(*rsa.PrivateKey)
		return ok
	}
	_, err := x509.ParsePKCS1PrivateKey(der)
	return err == nil
}
