package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/budget"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/endpoint"
)

// Version is the library version sent in the User-Agent.
const Version = "0.1.0"

// DefaultMaxResponseBytes bounds every response body read (8 MiB): far above
// any page these APIs return, far below what could hurt a program.
const DefaultMaxResponseBytes = 8 << 20

// Authenticator is the call path's view of auth.Authenticator (declared here
// so that auth may itself use this package).
type Authenticator interface {
	Authenticate(ctx context.Context, req *http.Request, body []byte) error
}

// Config is what a service client gives the call path.
type Config struct {
	// Endpoint is the base URL, as returned by ParseEndpoint.
	Endpoint *url.URL
	// HTTPClient is the caller's base client (nil: a new http.Client). It is
	// copied; its CheckRedirect is wrapped so that no request follows a
	// redirect to another host or scheme.
	HTTPClient *http.Client
	// Auth authenticates every attempt; nil sends requests unauthenticated.
	Auth Authenticator
	// UserAgent is appended to "backupcopy-go/<Version>".
	UserAgent string
	// Service names the API in logs and errors: the package name, e.g. "fsx".
	Service string
	// DecodeAPIError turns an error answer (a non-2xx status) to the
	// operation op into the service's error type. Its message is the whole
	// message of the call's error, so it names the package and op; its
	// ErrorKind (if it implements backupcopy.Kinded) is the failure's Kind,
	// else KindOfStatus decides. Nil: an *HTTPError.
	DecodeAPIError func(op string, resp *Response) error
	// Hint reads what a service adds to an error answer's Kind (see Hint);
	// nil: nothing.
	Hint func(resp *Response, apiErr error) Hint
	// RequestIDHeaders are the response headers that carry the request id,
	// first found wins.
	RequestIDHeaders []string
	// Policy bounds retries.
	Policy Policy
	// MaxResponseBytes bounds each response body (0: DefaultMaxResponseBytes).
	MaxResponseBytes int64
	// Logger, if set, receives one Debug record per attempt and one Info record
	// per retry. Nothing secret is logged.
	Logger *slog.Logger
	// Clock and Rand are injectable for tests.
	Clock clock.Clock
	Rand  func() float64
	// Budget, if set, is the client's request budget: every attempt takes
	// a token first (requests that Write before others), and a throttled
	// answer lowers its rate.
	Budget *budget.Budget
}

// Client sends requests. It is safe for concurrent use.
type Client struct {
	cfg       Config
	http      *http.Client
	userAgent string
	base      string       // the endpoint as a URL string, without a trailing '/'
	skew      atomic.Int64 // server time minus local time, in ns, learnt from a ClockSkew answer
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == nil {
		return nil, errors.New("rest: Config.Endpoint is required")
	}
	if cfg.DecodeAPIError == nil {
		service := cfg.Service
		cfg.DecodeAPIError = func(op string, resp *Response) error {
			return fmt.Errorf("%s: %s: %w", service, op, &HTTPError{StatusCode: resp.StatusCode, Body: resp.Body})
		}
	}
	cfg.Policy = cfg.Policy.withDefaults()
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	ua := "backupcopy-go/" + Version
	if cfg.UserAgent != "" {
		ua += " " + cfg.UserAgent
	}
	return &Client{cfg: cfg, http: endpoint.HTTPClient(cfg.HTTPClient), userAgent: ua,
		base: strings.TrimSuffix(cfg.Endpoint.String(), "/")}, nil
}

// Endpoint returns the client's base URL.
func (c *Client) Endpoint() *url.URL { u := *c.cfg.Endpoint; return &u }

// Request is one logical call.
type Request struct {
	// Op names the API operation, e.g. "CopyBackup" (logs and errors).
	Op     string
	Method string
	Path   Path
	Query  url.Values
	// Header holds extra headers (e.g. X-Amz-Target); Content-Type is set
	// from ContentType.
	Header http.Header
	// Body is nil, a []byte sent as is, or a value encoded with encoding/json.
	Body any
	// ContentType defaults to "application/json" when there is a body.
	ContentType string
	// Mode says whether the request is safe to send again.
	Mode Mode
	// Writes is set for a request that creates, changes or deletes
	// something (a copy, a delete, a cancel). When its answer is lost the
	// call's Kind is OutcomeUnknown: whether it took effect must be checked
	// before it is sent again.
	Writes bool
	// Out, if non-nil, receives the JSON of a 2xx body. A body that does not
	// decode, or an empty one (every answer with a result has at least "{}"),
	// is a *MalformedResponseError, a transient failure for Idempotent
	// requests.
	Out any
}

// Response describes the last attempt of a call.
type Response struct {
	StatusCode int
	Header     http.Header
	// Body is the response body, read in full up to the bound.
	Body []byte
	// RequestID is the service's request id, if a RequestIDHeaders header had one.
	RequestID string
	// Attempts is how many attempts the call made.
	Attempts int
	// Ambiguous is true when an earlier attempt failed in a way that means the
	// server may have acted on it (its response was lost, a 5xx). A service
	// uses it to tell "ALREADY_EXISTS because of my own lost attempt" from a
	// true conflict.
	Ambiguous bool
}

// ErrEmptyBody is the Err of the *MalformedResponseError for a 2xx answer
// with an empty body to a call that expects a result (Request.Out set): a
// broken answer (for a list, not an empty page).
var ErrEmptyBody = errors.New("the body is empty")

// BodyDecoder is implemented by a Request.Out that decodes a 2xx body
// itself rather than through encoding/json.Unmarshal. Its error is handled
// as an Unmarshal error would be (a *MalformedResponseError).
type BodyDecoder interface {
	DecodeBody(data []byte) error
}

// Do sends req, retrying as its Mode and Retryable allow. It returns the last
// attempt's Response whenever there was one, even with an error. Every error
// but one wrapping a *ValidationError of req.Path is a *backupcopy.CallError: its Err is
// the service's error type (from Config.DecodeAPIError) for an error answer,
// else the transport, authentication or decoding failure with the package
// and operation in front; when ctx ends during a backoff it wraps both the
// last failure and ctx.Err().
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	if err := req.Path.Err(); err != nil {
		return nil, Prefixed(c.cfg.Service, req.Op, err)
	}
	body, err := encodeBody(req.Body)
	if err != nil {
		return nil, &backupcopy.CallError{Service: c.cfg.Service, Operation: req.Op, Kind: backupcopy.InvalidInput,
			Sent: backupcopy.SentNever, Err: fmt.Errorf("%s: %s: encoding the request: %w", c.cfg.Service, req.Op, err)}
	}
	target := c.url(req)

	var (
		resp        *Response
		sent        = backupcopy.SentNever // the furthest any attempt got
		ambiguousAt bool
		invalidated bool
		skewFixed   bool
		pol         = c.cfg.Policy
	)
	pri := budget.Read
	if req.Writes {
		pri = budget.Write
	}
	for attempt := 1; ; attempt++ {
		if err := c.cfg.Budget.Take(ctx, pri); err != nil {
			return resp, c.callError(req, resp, attempt-1, backupcopy.Canceled, sent, ambiguousAt,
				fmt.Errorf("%s: %s: the context ended while waiting for the client's request budget: %w", c.cfg.Service, req.Op, err))
		}
		a := c.attempt(ctx, req, target, body)
		if a.kind == backupcopy.Throttled {
			c.cfg.Budget.Throttled()
		}
		resp = a.resp
		if resp != nil {
			resp.Attempts = attempt
			resp.Ambiguous = ambiguousAt
		}
		if a.err == nil {
			c.log(ctx, req, resp, attempt, nil, false, 0) // every attempt is logged, the good one too
			return resp, nil
		}
		sent = furthest(sent, a.sent)
		if a.kind == backupcopy.Transient && a.sent != backupcopy.SentNever {
			ambiguousAt = true // the server may have acted on it
		}
		retry := !a.final && attempt < pol.MaxAttempts
		var delay time.Duration
		switch {
		case a.hint.Refresh:
			inv, ok := c.cfg.Auth.(interface{ Invalidate() })
			retry = retry && ok && !invalidated
			if retry {
				inv.Invalidate()
				invalidated = true
			}
		case a.hint.Resign:
			retry = retry && !skewFixed && c.learnSkew(resp)
			skewFixed = skewFixed || retry
		default:
			retry = retry && Retryable(a.kind, a.sent, req.Mode)
			delay = pol.backoff(attempt, c.cfg.Rand())
			if a.hint.Delay > 0 {
				if a.hint.Delay > pol.MaxHint {
					retry = false
				}
				delay = max(delay, a.hint.Delay)
			}
		}
		if retry {
			if dl, ok := ctx.Deadline(); ok && c.cfg.Clock.Now().Add(delay).After(dl) {
				retry = false // the wait alone would outlive the caller's deadline
				a.err = fmt.Errorf("%w (not retried: the %v backoff would pass the context deadline)", a.err, delay)
			}
		}
		c.log(ctx, req, resp, attempt, &a, retry, delay)
		if !retry {
			return resp, c.callError(req, resp, attempt, a.kind, sent, ambiguousAt, a.err)
		}
		if delay <= 0 {
			continue
		}
		if err := c.cfg.Clock.Sleep(ctx, delay); err != nil {
			return resp, c.callError(req, resp, attempt, backupcopy.Canceled, sent, ambiguousAt,
				fmt.Errorf("%w (then the context ended while waiting to retry: %w)", a.err, err))
		}
	}
}

// furthest returns the later of two stages a request reached.
func furthest(a, b backupcopy.Sent) backupcopy.Sent {
	rank := func(s backupcopy.Sent) int {
		switch s {
		case backupcopy.SentNever:
			return 0
		case backupcopy.SentMaybe:
			return 1
		}
		return 2
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// callError builds the error of a call that ends with the failure err of
// kind, after attempts. A request that Writes and may have taken effect (an
// attempt's answer was lost) ends OutcomeUnknown unless the last answer said
// plainly why it failed.
func (c *Client) callError(req *Request, resp *Response, attempts int, kind backupcopy.Kind, sent backupcopy.Sent, ambiguousAt bool, err error) error {
	if req.Writes && (ambiguousAt || sent == backupcopy.SentMaybe && kind == backupcopy.Canceled) {
		switch kind {
		case backupcopy.Transient, backupcopy.Throttled, backupcopy.AtLimit, backupcopy.Canceled:
			kind = backupcopy.OutcomeUnknown
		}
	}
	ce := &backupcopy.CallError{Service: c.cfg.Service, Operation: req.Op, Kind: kind, Sent: sent, Attempts: attempts, Err: err}
	if resp != nil {
		ce.HTTPStatus, ce.RequestID = resp.StatusCode, resp.RequestID
	}
	return ce
}

// outcome is what one attempt came to.
type outcome struct {
	resp  *Response
	err   error
	kind  backupcopy.Kind
	sent  backupcopy.Sent
	hint  Hint
	final bool // not worth another attempt whatever its kind
}

// attempt makes one attempt and classifies its outcome.
func (c *Client) attempt(ctx context.Context, req *Request, target string, body []byte) outcome {
	svc, op := c.cfg.Service, req.Op
	hreq, err := c.newHTTPRequest(ctx, req, target, body)
	if err != nil {
		return outcome{err: fmt.Errorf("%s: %s: %w", svc, op, err), kind: backupcopy.InvalidInput, sent: backupcopy.SentNever, final: true}
	}
	actx := ctx
	if skew := time.Duration(c.skew.Load()); skew != 0 {
		actx = clock.WithSigningTime(ctx, c.cfg.Clock.Now().Add(skew))
	}
	if c.cfg.Auth != nil {
		if err := c.cfg.Auth.Authenticate(actx, hreq, body); err != nil {
			// The authenticator retries and refreshes on its own: the call
			// path does not send a request it could not authenticate.
			return outcome{err: fmt.Errorf("%s: %s: authenticating: %w", svc, op, err), kind: authKind(ctx, err),
				sent: backupcopy.SentNever, final: true}
		}
	}
	hresp, err := c.http.Do(hreq)
	if err != nil {
		kind, sent := transportKind(ctx, err)
		return outcome{err: fmt.Errorf("%s: %s: %w", svc, op, err), kind: kind, sent: sent}
	}
	data, rerr := readBounded(hresp.Body, c.cfg.MaxResponseBytes)
	hresp.Body.Close()
	resp := &Response{StatusCode: hresp.StatusCode, Header: hresp.Header, Body: data, RequestID: c.requestID(hresp.Header)}
	if rerr != nil {
		o := outcome{resp: resp, err: fmt.Errorf("%s: %s: reading the response (HTTP %d): %w", svc, op, hresp.StatusCode, rerr),
			sent: backupcopy.SentYes}
		o.kind, _ = transportKind(ctx, rerr)
		var tl *TooLargeError
		if errors.As(rerr, &tl) {
			// The same answer would come again: not retried, and for a
			// request that Writes its effect is unknown.
			o.kind, o.final = tl.ErrorKind(), true
			if req.Writes {
				o.kind = backupcopy.OutcomeUnknown
			}
		}
		return o
	}
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		apiErr := c.cfg.DecodeAPIError(op, resp)
		o := outcome{resp: resp, err: apiErr, kind: backupcopy.KindOf(apiErr), sent: backupcopy.SentYes}
		if o.kind == backupcopy.KindUnknown || o.kind == backupcopy.Canceled {
			o.kind = KindOfStatus(resp.StatusCode)
		}
		if c.cfg.Hint != nil {
			o.hint = c.cfg.Hint(resp, apiErr)
		}
		if o.hint.Delay == 0 && (o.kind == backupcopy.Transient || o.kind == backupcopy.Throttled) {
			if d, ok := ParseRetryAfter(hresp.Header.Get("Retry-After"), c.cfg.Clock.Now()); ok {
				o.hint.Delay = d
			}
		}
		return o
	}
	if req.Out != nil {
		var err error
		if len(bytes.TrimSpace(data)) == 0 {
			err = ErrEmptyBody
		} else if d, ok := req.Out.(BodyDecoder); ok {
			err = d.DecodeBody(data)
		} else {
			err = json.Unmarshal(data, req.Out)
		}
		if err != nil {
			return outcome{resp: resp, err: &MalformedResponseError{Service: svc, Op: op, Err: err},
				kind: backupcopy.Transient, sent: backupcopy.SentYes}
		}
	}
	return outcome{resp: resp}
}

func (c *Client) newHTTPRequest(ctx context.Context, req *Request, target string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, target, rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range req.Header {
		hreq.Header[k] = slices.Clone(vs)
	}
	if body != nil {
		ct := req.ContentType
		if ct == "" {
			ct = "application/json"
		}
		hreq.Header.Set("Content-Type", ct)
	}
	hreq.Header.Set("User-Agent", c.userAgent)
	return hreq, nil
}

// learnSkew records the server's clock offset from resp's Date header and
// reports whether it is large enough that re-signing can help.
func (c *Client) learnSkew(resp *Response) bool {
	if resp == nil {
		return false
	}
	t, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return false
	}
	skew := t.Sub(c.cfg.Clock.Now())
	if skew.Abs() < time.Minute {
		return false
	}
	c.skew.Store(int64(skew))
	return true
}

// ClockSkew returns the server-minus-local clock offset learnt so far.
func (c *Client) ClockSkew() time.Duration { return time.Duration(c.skew.Load()) }

// url returns the request's URL: the endpoint, the escaped path after the
// endpoint's own, and the query.
func (c *Client) url(req *Request) string {
	u := c.base + req.Path.String()
	if len(req.Query) > 0 {
		u += "?" + req.Query.Encode()
	}
	return u
}

func (c *Client) requestID(h http.Header) string {
	for _, k := range c.cfg.RequestIDHeaders {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

func (c *Client) log(ctx context.Context, req *Request, resp *Response, attempt int, a *outcome, retry bool, delay time.Duration) {
	l := c.cfg.Logger
	if l == nil {
		return
	}
	level := slog.LevelDebug
	if retry {
		level = slog.LevelInfo
	}
	if !l.Enabled(ctx, level) {
		return // nothing would be written: build no record
	}
	attrs := []slog.Attr{
		slog.String("service", c.cfg.Service), slog.String("op", req.Op),
		slog.String("method", req.Method), slog.String("path", c.cfg.Endpoint.EscapedPath()+req.Path.String()),
		slog.Int("attempt", attempt),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode), slog.String("request_id", resp.RequestID))
	}
	if a != nil && a.err != nil {
		attrs = append(attrs, slog.String("error", a.err.Error()), slog.String("kind", a.kind.String()), slog.String("sent", a.sent.String()))
		switch {
		case a.hint.Refresh:
			attrs = append(attrs, slog.String("recovery", "refresh"))
		case a.hint.Resign:
			attrs = append(attrs, slog.String("recovery", "resign"))
		}
	}
	if retry {
		attrs = append(attrs, slog.Duration("delay", delay))
		l.LogAttrs(ctx, level, "backupcopy: retrying", attrs...)
		return
	}
	l.LogAttrs(ctx, level, "backupcopy: attempt", attrs...)
}

func encodeBody(b any) ([]byte, error) {
	switch v := b.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	case json.RawMessage:
		return v, nil
	}
	return json.Marshal(b)
}

// readBounded reads r up to limit bytes and fails with *TooLargeError beyond.
func readBounded(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return data, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return data, nil
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…(" + strconv.Itoa(len(b)) + " bytes)"
}

// Call sends req and decodes a 2xx JSON body into a new T.
func Call[T any](ctx context.Context, c *Client, req *Request) (*T, *Response, error) {
	out := new(T)
	req.Out = out
	resp, err := c.Do(ctx, req)
	if err != nil {
		return nil, resp, err
	}
	return out, resp, nil
}
