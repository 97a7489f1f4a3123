package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// Timing of HuaweiIAMTokenSource.
const (
	// HuaweiIAMRefreshMargin is the least time before expiry at which a cached
	// token is replaced (see HuaweiIAMTokenSource).
	HuaweiIAMRefreshMargin = time.Hour
	// huaweiIAMMinValidity: a token closer than this to its expiry is never used.
	huaweiIAMMinValidity = time.Minute
	// huaweiIAMFetchTimeout bounds one token request, all its retries included.
	huaweiIAMFetchTimeout = 2 * time.Minute
	// huaweiIAMFailureHold: after IAM refused the credentials (a 4xx other than
	// 408 and 429), the same error is returned for this long without asking
	// again, so that a wrong password does not run into IAM's lockout.
	huaweiIAMFailureHold = time.Minute
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
	UserName string
	Password string
	// ProjectID scopes the token; it is also sent as X-Project-Id.
	ProjectID string
	// HTTPClient is the base HTTP client (nil: a new one).
	HTTPClient *http.Client
	// Now is the clock that judges token lifetimes (nil: time.Now).
	Now func() time.Time
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
// runs on its own (bounded) context, and each waits no longer than its own
// context. A refusal from IAM (wrong password, unknown user) is remembered for
// a minute, so that retrying callers do not run into IAM's lockout.
//
// Invalidate drops the cached token; the call path does this when a service
// answers that the token has expired. Printing the source with any fmt verb
// hides the password and the token.
type HuaweiIAMTokenSource struct {
	cfg  HuaweiIAMConfig
	rc   *rest.Client
	now  func() time.Time
	body []byte // holds the password

	mu        sync.Mutex
	token     string
	expires   time.Time // on the local clock
	refreshAt time.Time // on the local clock
	flight    *huaweiIAMFlight
	failErr   error
	failUntil time.Time
}

// huaweiIAMFlight is one token request that callers share.
type huaweiIAMFlight struct {
	done  chan struct{}
	token string
	err   error
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
		return nil, rest.Invalid("HuaweiIAMConfig.DomainName", "is required (the account name)", "")
	case cfg.UserName == "":
		return nil, rest.Invalid("HuaweiIAMConfig.UserName", "is required", "")
	case cfg.Password == "":
		return nil, rest.Invalid("HuaweiIAMConfig.Password", "is required", "")
	case cfg.ProjectID == "":
		return nil, rest.Invalid("HuaweiIAMConfig.ProjectID", "is required (the token's scope)", "")
	}
	if err := rest.CheckHeaderValue("HuaweiIAMConfig.ProjectID", cfg.ProjectID); err != nil {
		return nil, err
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		if cfg.Region == "" {
			return nil, rest.Invalid("HuaweiIAMConfig.Region", "is required when Endpoint is not set", "")
		}
		if !huaweiRegionName(cfg.Region) {
			return nil, rest.Invalid("HuaweiIAMConfig.Region", "must be a region id such as cn-north-4 (letters, digits and '-')", cfg.Region)
		}
		endpoint = "https://iam." + cfg.Region + ".myhuaweicloud.com"
	}
	u, err := rest.ParseEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	rc, err := rest.New(rest.Config{
		Endpoint:         u,
		HTTPClient:       cfg.HTTPClient,
		Service:          "iam",
		DecodeAPIError:   func(_ string, resp *rest.Response) error { return decodeHuaweiIAMError(resp) },
		RequestIDHeaders: []string{"X-Request-Id", "X-IAM-Trace-Id"},
	})
	if err != nil {
		return nil, err
	}
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
	return &HuaweiIAMTokenSource{cfg: cfg, rc: rc, now: now, body: body}, nil
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
	s.mu.Lock()
	now := s.now()
	if s.token != "" && now.Before(s.refreshAt) {
		tok := s.token
		s.mu.Unlock()
		return tok, nil
	}
	f := s.flight
	if f == nil {
		if s.failErr != nil && now.Before(s.failUntil) {
			err := s.failErr
			tok, ok := s.usableLocked(now)
			s.mu.Unlock()
			if ok {
				return tok, nil
			}
			return "", err
		}
		f = &huaweiIAMFlight{done: make(chan struct{})}
		s.flight = f
		go s.refresh(context.WithoutCancel(ctx), f)
	}
	s.mu.Unlock()

	select {
	case <-f.done:
		if f.err == nil {
			return f.token, nil
		}
		if tok, ok := s.usable(); ok {
			return tok, nil
		}
		return "", f.err
	case <-ctx.Done():
		if tok, ok := s.usable(); ok {
			return tok, nil
		}
		return "", fmt.Errorf("auth: waiting for a Huawei IAM token: %w", ctx.Err())
	}
}

// refresh runs one token request for f and records its outcome.
func (s *HuaweiIAMTokenSource) refresh(ctx context.Context, f *huaweiIAMFlight) {
	ctx, cancel := context.WithTimeout(ctx, huaweiIAMFetchTimeout)
	defer cancel()
	tok, expires, refreshAt, err := s.fetch(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	f.token, f.err = tok, err
	if err == nil {
		s.token, s.expires, s.refreshAt = tok, expires, refreshAt
		s.failErr = nil
	} else if huaweiIAMRefused(err) {
		s.failErr, s.failUntil = err, s.now().Add(huaweiIAMFailureHold)
	}
	s.flight = nil
	close(f.done)
}

// usable returns the cached token if it has more than a minute left.
func (s *HuaweiIAMTokenSource) usable() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usableLocked(s.now())
}

func (s *HuaweiIAMTokenSource) usableLocked(now time.Time) (string, bool) {
	if s.token != "" && now.Add(huaweiIAMMinValidity).Before(s.expires) {
		return s.token, true
	}
	return "", false
}

// Invalidate drops the cached token, so that the next call fetches a new one.
func (s *HuaweiIAMTokenSource) Invalidate() {
	s.mu.Lock()
	s.token, s.expires, s.refreshAt = "", time.Time{}, time.Time{}
	s.mu.Unlock()
}

// fetch asks IAM for a token and works out, on the local clock, when it
// expires and when to replace it.
func (s *HuaweiIAMTokenSource) fetch(ctx context.Context) (token string, expires, refreshAt time.Time, err error) {
	var out struct {
		Token struct {
			ExpiresAt string `json:"expires_at"`
			IssuedAt  string `json:"issued_at"`
		} `json:"token"`
	}
	resp, err := s.rc.Do(ctx, &rest.Request{
		Op:     "KeystoneCreateUserTokenByPassword",
		Method: http.MethodPost,
		Path:   rest.NewPath("v3", "auth", "tokens"),
		Query:  url.Values{"nocatalog": {"true"}}, // the service catalog is large and unused
		Body:   s.body,
		Mode:   rest.Idempotent, // a second token is harmless
		Out:    &out,
	})
	if err != nil {
		return "", time.Time{}, time.Time{}, fmt.Errorf("auth: Huawei IAM token: %w", err)
	}
	received := s.now()
	token = resp.Header.Get("X-Subject-Token")
	if token == "" {
		return "", time.Time{}, time.Time{}, fmt.Errorf("auth: Huawei IAM token: the %d response has no X-Subject-Token header (request id %q)", resp.StatusCode, resp.RequestID)
	}
	exp, err := time.Parse(time.RFC3339Nano, out.Token.ExpiresAt)
	if err != nil {
		return "", time.Time{}, time.Time{}, fmt.Errorf("auth: Huawei IAM token: expires_at %q is not an RFC 3339 time (request id %q)", out.Token.ExpiresAt, resp.RequestID)
	}
	var life time.Duration
	if iss, err := time.Parse(time.RFC3339Nano, out.Token.IssuedAt); err == nil && exp.After(iss) {
		life = exp.Sub(iss)
		expires = received.Add(life)
	} else {
		life = exp.Sub(received)
		expires = exp
	}
	if life <= huaweiIAMMinValidity {
		return "", time.Time{}, time.Time{}, fmt.Errorf("auth: Huawei IAM token: the token expires at %s, too soon to use (request id %q)", out.Token.ExpiresAt, resp.RequestID)
	}
	margin := max(life/4, HuaweiIAMRefreshMargin)
	margin = min(margin, life/2)
	return token, expires, expires.Add(-margin), nil
}

// huaweiIAMRefused reports whether err is IAM turning the credentials down.
func huaweiIAMRefused(err error) bool {
	var ie *HuaweiIAMError
	return errors.As(err, &ie) && ie.StatusCode >= 400 && ie.StatusCode < 500 &&
		ie.StatusCode != http.StatusRequestTimeout && ie.StatusCode != http.StatusTooManyRequests
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
	StatusCode int
	// Code is IAM's error code, e.g. "1101" or "IAM.0001"; empty if the body
	// had none.
	Code string
	// Message is IAM's message, or the HTTP status text.
	Message   string
	RequestID string
}

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

// decodeHuaweiIAMError reads IAM's two error shapes:
// {"error": {"code": "1101" or 401, "message": ..., "title": ...}} and
// {"error_code": "IAM.0001", "error_msg": ...}.
func decodeHuaweiIAMError(resp *rest.Response) error {
	e := &HuaweiIAMError{StatusCode: resp.StatusCode, RequestID: resp.RequestID}
	var body struct {
		Error *struct {
			Code    json.RawMessage `json:"code"`
			Message string          `json:"message"`
			Title   string          `json:"title"`
		} `json:"error"`
		ErrorCode string `json:"error_code"`
		ErrorMsg  string `json:"error_msg"`
	}
	if json.Unmarshal(resp.Body, &body) == nil {
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
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}
