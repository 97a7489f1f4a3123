package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// HuaweiIAMConfig configures a HuaweiIAMTokenSource.
type HuaweiIAMConfig struct {
	// Endpoint is the IAM endpoint; default https://iam.{Region}.myhuaweicloud.com.
	Endpoint string
	Region   string
	// DomainName is the account name; UserName and Password the IAM user's.
	DomainName, UserName, Password string
	// ProjectID scopes the token (and is sent as X-Project-Id).
	ProjectID string
	// HTTPClient is the base client (nil: a new one).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// String shows the config without the password.
func (c HuaweiIAMConfig) String() string {
	return fmt.Sprintf("HuaweiIAMConfig{Endpoint: %q, Region: %q, DomainName: %q, UserName: %q, Password: %s, ProjectID: %q}",
		c.Endpoint, c.Region, c.DomainName, c.UserName, redacted, c.ProjectID)
}

// GoString is String.
func (c HuaweiIAMConfig) GoString() string { return c.String() }

// Format redacts every fmt verb.
func (c HuaweiIAMConfig) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// HuaweiIAMTokenSource is an Authenticator that obtains an IAM user token
// with a password (POST /v3/auth/tokens), caches it, and sends it as
// X-Auth-Token. A token lives 24 hours; it is replaced when less than a
// quarter of its life or one hour remains, whichever is more. Concurrent
// callers share one refresh, each waiting no longer than its own context.
// Invalidate drops the token, which the call path does when a service
// answers that the token has expired.
type HuaweiIAMTokenSource struct {
	cfg  HuaweiIAMConfig
	rc   *rest.Client
	now  func() time.Time
	body []byte

	mu      sync.Mutex
	token   string
	issued  time.Time
	expires time.Time
	wait    chan struct{}
	lastErr error
}

var (
	_ Authenticator = (*HuaweiIAMTokenSource)(nil)
	_ Invalidator   = (*HuaweiIAMTokenSource)(nil)
)

// NewHuaweiIAMTokenSource checks cfg and returns a token source. No request
// is made until the first Authenticate.
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
	endpoint := cfg.Endpoint
	if endpoint == "" {
		if cfg.Region == "" {
			return nil, rest.Invalid("HuaweiIAMConfig.Region", "is required when Endpoint is not set", "")
		}
		if err := rest.CheckSegment("HuaweiIAMConfig.Region", cfg.Region); err != nil {
			return nil, err
		}
		endpoint = "https://iam." + cfg.Region + ".myhuaweicloud.com"
	}
	u, err := rest.ParseEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	rc, err := rest.New(rest.Config{
		Endpoint: u, HTTPClient: cfg.HTTPClient, Service: "iam",
		DecodeError:      decodeIAMError,
		RequestIDHeaders: []string{"X-Request-Id", "X-IAM-Trace-Id"},
	})
	if err != nil {
		return nil, err
	}
	var req struct {
		Auth struct {
			Identity struct {
				Methods  []string `json:"methods"`
				Password struct {
					User struct {
						Domain struct {
							Name string `json:"name"`
						} `json:"domain"`
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
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &HuaweiIAMTokenSource{cfg: cfg, rc: rc, now: now, body: body}, nil
}

// Authenticate sets X-Auth-Token (and X-Project-Id) on req.
func (s *HuaweiIAMTokenSource) Authenticate(ctx context.Context, req *http.Request, _ []byte) error {
	tok, err := s.Token(ctx)
	if err != nil {
		return err
	}
	req.Header.Set(HuaweiAuthTokenHeader, tok)
	req.Header.Set(HuaweiProjectHeader, s.cfg.ProjectID)
	return nil
}

// Token returns a valid token, fetching one if needed.
func (s *HuaweiIAMTokenSource) Token(ctx context.Context) (string, error) {
	for {
		s.mu.Lock()
		if s.token != "" && s.fresh() {
			tok := s.token
			s.mu.Unlock()
			return tok, nil
		}
		if s.wait != nil {
			w := s.wait
			s.mu.Unlock()
			select {
			case <-w:
				s.mu.Lock()
				err := s.lastErr
				s.mu.Unlock()
				if err != nil {
					return "", err
				}
				continue
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		w := make(chan struct{})
		s.wait = w
		s.mu.Unlock()

		tok, expires, err := s.fetch(ctx)
		s.mu.Lock()
		s.lastErr = err
		if err == nil {
			s.token, s.expires, s.issued = tok, expires, s.now()
		}
		s.wait = nil
		close(w)
		s.mu.Unlock()
		if err != nil {
			return "", err
		}
		return tok, nil
	}
}

// fresh reports whether the cached token has enough life left. s.mu is held.
func (s *HuaweiIAMTokenSource) fresh() bool {
	life := s.expires.Sub(s.issued)
	margin := max(life/4, time.Hour)
	if margin >= life {
		margin = life / 2
	}
	return s.now().Before(s.expires.Add(-margin))
}

// Invalidate drops the cached token.
func (s *HuaweiIAMTokenSource) Invalidate() {
	s.mu.Lock()
	s.token = ""
	s.mu.Unlock()
}

func (s *HuaweiIAMTokenSource) fetch(ctx context.Context) (string, time.Time, error) {
	var out struct {
		Token struct {
			ExpiresAt string `json:"expires_at"`
		} `json:"token"`
	}
	resp, err := s.rc.Do(ctx, &rest.Request{Op: "CreateToken", Method: "POST", Path: rest.NewPath("v3", "auth", "tokens"), Body: s.body, Mode: rest.Idempotent, Out: &out})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: Huawei IAM token: %w", err)
	}
	tok := resp.Header.Get("X-Subject-Token")
	if tok == "" {
		return "", time.Time{}, errors.New("auth: Huawei IAM token: the response has no X-Subject-Token header")
	}
	exp, err := time.Parse(time.RFC3339Nano, out.Token.ExpiresAt)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: Huawei IAM token: bad expires_at %q", out.Token.ExpiresAt)
	}
	return tok, exp, nil
}

// String describes the source without secrets.
func (s *HuaweiIAMTokenSource) String() string {
	return "HuaweiIAMTokenSource{" + s.cfg.String() + ", token: " + redacted + "}"
}

// GoString is String.
func (s *HuaweiIAMTokenSource) GoString() string { return s.String() }

// Format redacts every fmt verb.
func (s *HuaweiIAMTokenSource) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// HuaweiIAMError is an error answer from IAM.
type HuaweiIAMError struct {
	StatusCode               int
	Code, Message, RequestID string
}

func (e *HuaweiIAMError) Error() string {
	return fmt.Sprintf("iam: HTTP %d %s: %s (request id %s)", e.StatusCode, e.Code, e.Message, e.RequestID)
}

func decodeIAMError(resp *rest.Response) error {
	e := &HuaweiIAMError{StatusCode: resp.StatusCode, RequestID: resp.RequestID}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		ErrorCode string `json:"error_code"`
		ErrorMsg  string `json:"error_msg"`
	}
	if json.Unmarshal(resp.Body, &body) == nil {
		e.Code, e.Message = body.Error.Code, body.Error.Message
		if e.Code == "" {
			e.Code, e.Message = body.ErrorCode, body.ErrorMsg
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}
