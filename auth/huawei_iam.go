package auth

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth/internal/credcache"
	"github.com/backupcopy/backupcopy/internal/endpoint"
)

// Timing of HuaweiIAMTokenSource.
const (
	// HuaweiIAMRefreshMargin is the least time before expiry at which a cached
	// token is replaced (see HuaweiIAMTokenSource).
	HuaweiIAMRefreshMargin = time.Hour
	// huaweiIAMMinValidity: a token closer than this to its expiry is never used.
	huaweiIAMMinValidity = time.Minute
	// huaweiIAMFailureHold: after IAM refused the credentials (a 4xx other than
	// 408 and 429), the same error is returned for this long without asking
	// again, so that a wrong password does not run into IAM's lockout.
	huaweiIAMFailureHold = time.Minute
	// huaweiIAMAttempts and huaweiIAMBackoff: a token request that fails
	// with a 5xx, 408 or 429 or cannot connect is sent again, up to three
	// times in all, after 0.5 s and 1 s, within the refresh's time bound.
	huaweiIAMAttempts = 3
	huaweiIAMBackoff  = 500 * time.Millisecond
	// huaweiIAMMaxResponse bounds the answer read (1 MiB): with nocatalog the
	// token answer is about 1 KB.
	huaweiIAMMaxResponse = 1 << 20
)

// HuaweiIAMConfig configures a HuaweiIAMTokenSource. Printing it with any fmt
// verb hides the password.
type HuaweiIAMConfig struct {
	// Endpoint is the IAM endpoint, scheme://host[:port]; default
	// https://iam.{Region}.myhuaweicloud.com. http is allowed for loopback
	// hosts only.
	Endpoint string
	// Region picks the default endpoint, e.g. "cn-north-4".
	Region string
	// DomainName is the account (domain) name.
	DomainName string
	// UserName and Password are the IAM user's.
	UserName, Password string
	// ProjectID scopes the token; it is also sent as X-Project-Id.
	ProjectID string
	// HTTPClient is the base HTTP client (nil: a new one).
	HTTPClient *http.Client
	// Now is the clock that judges token lifetimes (nil: time.Now).
	Now func() time.Time
	// Timeout bounds one refresh, its retries included (zero:
	// DefaultRefreshTimeout, 30 s). Calls waiting for a token fail with a
	// Transient error when it runs out, whatever their own context.
	Timeout time.Duration
}

// String shows the config without the password.
func (c HuaweiIAMConfig) String() string {
	pw := `""`
	if c.Password != "" {
		pw = redacted
	}
	return fmt.Sprintf("HuaweiIAMConfig{Endpoint: %q, Region: %q, DomainName: %q, UserName: %q, Password: %s, ProjectID: %q}",
		c.Endpoint, c.Region, c.DomainName, c.UserName, pw, c.ProjectID)
}

// GoString is String.
func (c HuaweiIAMConfig) GoString() string { return c.String() }

// Format writes String for every fmt verb.
func (c HuaweiIAMConfig) Format(f fmt.State, verb rune) { huaweiFormat(f, verb, c.String()) }

// HuaweiIAMTokenSource is an Authenticator that obtains a project-scoped IAM
// user token with a password (POST /v3/auth/tokens), caches it and sends it as
// X-Auth-Token, with the project id as X-Project-Id.
//
// The token's lifetime (24 hours from IAM) is read from the response's
// issued_at and expires_at and counted from the moment it arrived, so a wrong
// local clock does not matter. The token is replaced once less than a quarter
// of its lifetime or HuaweiIAMRefreshMargin remains, whichever is more, but
// never in the first half of its life: a 24-hour token is replaced after 18
// hours. If that early refresh fails, the current token is used as long as it
// has more than a minute left. Concurrent callers share one refresh, which
// runs on its own context bounded by HuaweiIAMConfig.Timeout (30 s by
// default), and each waits no longer than its own context. A failed refresh
// is not cached, except that a refusal from IAM (wrong password, unknown
// user) is remembered for a minute, so that retrying callers do not run into
// IAM's lockout.
//
// The token request goes to https (or http on a loopback host) and follows
// no redirect to another host.
//
// Invalidate drops the cached token; the call path does this when a service
// answers that the token has expired. Printing the source with any fmt verb
// hides the password and the token.
type HuaweiIAMTokenSource struct {
	cfg   HuaweiIAMConfig
	url   string // the token request's URL
	hc    *http.Client
	body  []byte // holds the password
	now   func() time.Time
	cache credcache.Cache[string]
}

var (
	_ Authenticator = (*HuaweiIAMTokenSource)(nil)
	_ Invalidator   = (*HuaweiIAMTokenSource)(nil)
)

// NewHuaweiIAMTokenSource checks cfg and returns a token source. It makes no
// request until the first Authenticate or Token.
func NewHuaweiIAMTokenSource(cfg HuaweiIAMConfig) (*HuaweiIAMTokenSource, error) {
	switch {
	case cfg.DomainName == "":
		return nil, endpoint.Invalid("HuaweiIAMConfig.DomainName", "is required (the account name)", "")
	case cfg.UserName == "":
		return nil, endpoint.Invalid("HuaweiIAMConfig.UserName", "is required", "")
	case cfg.Password == "":
		return nil, endpoint.Invalid("HuaweiIAMConfig.Password", "is required", "")
	case cfg.ProjectID == "":
		return nil, endpoint.Invalid("HuaweiIAMConfig.ProjectID", "is required (the token's scope)", "")
	case cfg.Timeout < 0:
		return nil, endpoint.Invalid("HuaweiIAMConfig.Timeout", "must not be negative", cfg.Timeout.String())
	}
	if err := endpoint.CheckHeaderValue("HuaweiIAMConfig.ProjectID", cfg.ProjectID); err != nil {
		return nil, err
	}
	base := cfg.Endpoint
	if base == "" {
		if cfg.Region == "" {
			return nil, endpoint.Invalid("HuaweiIAMConfig.Region", "is required when Endpoint is not set", "")
		}
		if !huaweiRegionName(cfg.Region) {
			return nil, endpoint.Invalid("HuaweiIAMConfig.Region", "must be a region id such as cn-north-4 (letters, digits and '-')", cfg.Region)
		}
		base = "https://iam." + cfg.Region + ".myhuaweicloud.com"
	}
	u, err := endpoint.Parse(base)
	if err != nil {
		return nil, err
	}
	u = u.JoinPath("v3", "auth", "tokens")
	u.RawQuery = "nocatalog=true" // the service catalog is large and unused
	type name struct {
		Name string `json:"name"`
	}
	var req struct {
		Auth struct {
			Identity struct {
				Methods  []string `json:"methods"`
				Password struct {
					User struct {
						Domain   name   `json:"domain"`
						Name     string `json:"name"`
						Password string `json:"password"`
					} `json:"user"`
				} `json:"password"`
			} `json:"identity"`
			Scope struct {
				Project struct {
					ID string `json:"id"`
				} `json:"project"`
			} `json:"scope"`
		} `json:"auth"`
	}
	req.Auth.Identity.Methods = []string{"password"}
	req.Auth.Identity.Password.User.Domain.Name = cfg.DomainName
	req.Auth.Identity.Password.User.Name = cfg.UserName
	req.Auth.Identity.Password.User.Password = cfg.Password
	req.Auth.Scope.Project.ID = cfg.ProjectID
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("auth: Huawei IAM: encoding the token request: %w", err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s := &HuaweiIAMTokenSource{cfg: cfg, url: u.String(), hc: endpoint.HTTPClient(cfg.HTTPClient), body: body, now: now}
	s.cache = credcache.Cache[string]{
		Name:    "auth: Huawei IAM token",
		Fetch:   s.fetch,
		Timeout: cmp.Or(cfg.Timeout, DefaultRefreshTimeout),
		Hold:    huaweiIAMHold,
		Now:     now,
	}
	return s, nil
}

func huaweiRegionName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return s != "" && s[0] != '-' && s[len(s)-1] != '-'
}

// Authenticate sets X-Auth-Token and X-Project-Id on req.
func (s *HuaweiIAMTokenSource) Authenticate(ctx context.Context, req *http.Request, _ []byte) error {
	tok, err := s.Token(ctx)
	if err != nil {
		return err
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Set(HuaweiAuthTokenHeader, tok)
	req.Header.Set(HuaweiProjectHeader, s.cfg.ProjectID)
	return nil
}

// Token returns a token that is not due for refresh, fetching a new one (or
// waiting for the refresh another caller started) if needed.
func (s *HuaweiIAMTokenSource) Token(ctx context.Context) (string, error) {
	return s.cache.Get(ctx)
}

// Invalidate drops the cached token, so that the next call fetches a new one.
func (s *HuaweiIAMTokenSource) Invalidate() { s.cache.Invalidate() }

// huaweiIAMHold is how long a failed refresh's error is returned again:
// a minute when IAM refused the credentials, else not at all.
func huaweiIAMHold(err error) time.Duration {
	var ie *HuaweiIAMError
	if errors.As(err, &ie) && ie.ErrorKind() == backupcopy.PermissionDenied {
		return huaweiIAMFailureHold
	}
	return 0
}

// fetch asks IAM for a token, sending the request again after a failure
// that may pass, and works out, on the local clock, when the token expires
// and when to replace it.
func (s *HuaweiIAMTokenSource) fetch(ctx context.Context) (credcache.Entry[string], error) {
	var err error
	for attempt := range huaweiIAMAttempts {
		if attempt > 0 {
			t := time.NewTimer(huaweiIAMBackoff << (attempt - 1))
			select {
			case <-ctx.Done():
				t.Stop()
				return credcache.Entry[string]{}, err
			case <-t.C:
			}
		}
		var e credcache.Entry[string]
		var again bool
		e, again, err = s.attempt(ctx)
		if err == nil || !again {
			return e, err
		}
	}
	return credcache.Entry[string]{}, err
}

// attempt sends the token request once. again reports whether a failure may
// pass (a connection failure, a 5xx, 408 or 429 answer).
func (s *HuaweiIAMTokenSource) attempt(ctx context.Context) (e credcache.Entry[string], again bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(s.body))
	if err != nil {
		return e, false, credcache.Errorf(backupcopy.PermissionDenied, "auth: Huawei IAM token: building the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "backupcopy-go")
	resp, err := s.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the message below, once
		}
		return e, ctx.Err() == nil, credcache.Errorf(backupcopy.Transient,
			"auth: Huawei IAM token: cannot reach %s: %w: check the network and HuaweiIAMConfig.Endpoint or Region", s.url, err)
	}
	defer resp.Body.Close()
	reqID := resp.Header.Get("X-Request-Id")
	if reqID == "" {
		reqID = resp.Header.Get("X-IAM-Trace-Id")
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, huaweiIAMMaxResponse+1))
	switch {
	case err != nil:
		return e, ctx.Err() == nil, credcache.Errorf(backupcopy.Transient,
			"auth: Huawei IAM token: reading the %d answer: %w (request id %q)", resp.StatusCode, err, reqID)
	case len(data) > huaweiIAMMaxResponse:
		return e, false, credcache.Errorf(backupcopy.PermissionDenied,
			"auth: Huawei IAM token: the %d answer is larger than %d bytes (request id %q)", resp.StatusCode, huaweiIAMMaxResponse, reqID)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		ie := decodeHuaweiIAMError(resp.StatusCode, reqID, data)
		return e, ie.ErrorKind() != backupcopy.PermissionDenied, fmt.Errorf("auth: Huawei IAM token: %w", ie)
	}
	return s.entry(resp.StatusCode, resp.Header.Get("X-Subject-Token"), reqID, data)
}

// entry reads a token answer.
func (s *HuaweiIAMTokenSource) entry(status int, token, reqID string, data []byte) (e credcache.Entry[string], again bool, err error) {
	var out struct {
		Token struct {
			ExpiresAt string `json:"expires_at"`
			IssuedAt  string `json:"issued_at"`
		} `json:"token"`
	}
	received := s.now()
	if token == "" {
		return e, false, credcache.Errorf(backupcopy.PermissionDenied, "auth: Huawei IAM token: the %d response has no X-Subject-Token header (request id %q)", status, reqID)
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return e, false, credcache.Errorf(backupcopy.PermissionDenied, "auth: Huawei IAM token: the %d answer is not the token JSON: %v (request id %q)", status, err, reqID)
	}
	exp, err := time.Parse(time.RFC3339Nano, out.Token.ExpiresAt)
	if err != nil {
		return e, false, credcache.Errorf(backupcopy.PermissionDenied, "auth: Huawei IAM token: expires_at %q is not an RFC 3339 time (request id %q)", out.Token.ExpiresAt, reqID)
	}
	var life time.Duration
	var expires time.Time
	if iss, err := time.Parse(time.RFC3339Nano, out.Token.IssuedAt); err == nil && exp.After(iss) {
		life = exp.Sub(iss)
		expires = received.Add(life)
	} else {
		life = exp.Sub(received)
		expires = exp
	}
	if life <= huaweiIAMMinValidity {
		return e, false, credcache.Errorf(backupcopy.PermissionDenied, "auth: Huawei IAM token: the token expires at %s, too soon to use (request id %q)", out.Token.ExpiresAt, reqID)
	}
	margin := max(life/4, HuaweiIAMRefreshMargin)
	margin = min(margin, life/2)
	return credcache.Entry[string]{Value: token, RefreshAt: expires.Add(-margin), Expires: expires.Add(-huaweiIAMMinValidity)}, false, nil
}

// String describes the source without the password or token.
func (s *HuaweiIAMTokenSource) String() string {
	return "HuaweiIAMTokenSource{" + s.cfg.String() + ", Token: " + redacted + "}"
}

// GoString is String.
func (s *HuaweiIAMTokenSource) GoString() string { return s.String() }

// Format writes String for every fmt verb.
func (s *HuaweiIAMTokenSource) Format(f fmt.State, verb rune) { huaweiFormat(f, verb, s.String()) }

// HuaweiIAMError is an error answer from IAM's token API.
type HuaweiIAMError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is IAM's error code, e.g. "1101" or "IAM.0001"; empty if the body
	// had none.
	Code string
	// Message is IAM's message, or the HTTP status text.
	Message string
	// RequestID is the X-Request-Id (or X-IAM-Trace-Id) answer header.
	RequestID string
}

// Error returns "Huawei IAM: HTTP STATUS CODE: MESSAGE (request id ID)".
func (e *HuaweiIAMError) Error() string {
	s := fmt.Sprintf("Huawei IAM: HTTP %d", e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	s += ": " + e.Message
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

// ErrorKind returns backupcopy.Transient for a 5xx or 408 answer,
// backupcopy.Throttled for a 429, and backupcopy.PermissionDenied for the
// rest (IAM refused the credentials or the request).
func (e *HuaweiIAMError) ErrorKind() backupcopy.Kind { return credcache.StatusKind(e.StatusCode) }

// decodeHuaweiIAMError reads IAM's two error shapes:
// {"error": {"code": "1101" or 401, "message": ..., "title": ...}} and
// {"error_code": "IAM.0001", "error_msg": ...}.
func decodeHuaweiIAMError(status int, reqID string, data []byte) *HuaweiIAMError {
	e := &HuaweiIAMError{StatusCode: status, RequestID: reqID}
	var body struct {
		Error *struct {
			Code    json.RawMessage `json:"code"`
			Message string          `json:"message"`
			Title   string          `json:"title"`
		} `json:"error"`
		ErrorCode string `json:"error_code"`
		ErrorMsg  string `json:"error_msg"`
	}
	if json.Unmarshal(data, &body) == nil {
		if body.Error != nil {
			e.Code = strings.Trim(string(body.Error.Code), `"`)
			e.Message = body.Error.Message
			if e.Message == "" {
				e.Message = body.Error.Title
			}
		}
		if e.Code == "" && e.Message == "" {
			e.Code, e.Message = body.ErrorCode, body.ErrorMsg
		}
	}
	if e.Code == "null" {
		e.Code = ""
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}
