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
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/backupcopy/backupcopy/internal/clock"
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
	// Service names the API in logs and errors, e.g. "fsx".
	Service string
	// DecodeError turns a non-2xx response into the service's error type.
	DecodeError func(resp *Response) error
	// Classify reads a failed attempt's decoded API error; nil uses
	// ClassifyStatus and the Retry-After header only. It is called for HTTP
	// error responses, not for transport errors.
	Classify func(resp *Response, apiErr error) Verdict
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
}

// Client sends requests. It is safe for concurrent use.
type Client struct {
	cfg       Config
	http      *http.Client
	userAgent string
	prefix    string       // the endpoint's escaped path ("" or "/prefix")
	host      string       // the request Host, as http.NewRequest would set it
	skew      atomic.Int64 // server time minus local time, in ns, learnt from a ClockSkew answer
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == nil {
		return nil, errors.New("rest: Config.Endpoint is required")
	}
	if cfg.DecodeError == nil {
		cfg.DecodeError = func(resp *Response) error { return &HTTPError{StatusCode: resp.StatusCode, Body: resp.Body} }
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
	host := cfg.Endpoint.Host
	if strings.HasSuffix(host, ":") && strings.LastIndexByte(host, ':') > strings.LastIndexByte(host, ']') {
		host = strings.TrimSuffix(host, ":") // as http.NewRequest: "host:" is "host"
	}
	return &Client{cfg: cfg, http: safeHTTPClient(cfg.HTTPClient), userAgent: ua,
		prefix: cfg.Endpoint.EscapedPath(), host: host}, nil
}

// Endpoint returns the client's base URL.
func (c *Client) Endpoint() *url.URL { u := *c.cfg.Endpoint; return &u }

// safeHTTPClient copies base and refuses redirects that leave the original
// scheme and host, so no credential header is ever sent elsewhere.
func safeHTTPClient(base *http.Client) *http.Client {
	var hc http.Client
	if base != nil {
		hc = *base
	}
	prev := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
			return http.ErrUseLastResponse
		}
		if prev != nil {
			return prev(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &hc
}

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
	// Out, if non-nil, receives the JSON of a 2xx body. A body that does not
	// decode, or an empty one (every answer with a result has at least "{}"),
	// is a *DecodeError, a transient failure for Idempotent requests.
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

// HTTPError is the default decoded error: a non-2xx status and its body.
type HTTPError struct {
	StatusCode int
	Body       []byte
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("http status %d: %s", e.StatusCode, truncate(e.Body, 200))
}

// TooLargeError reports a response body over the configured bound.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("response body exceeds the %d-byte limit", e.Limit)
}

// DecodeError reports a 2xx body that is not the expected JSON.
type DecodeError struct {
	Op  string
	Err error
}

// ErrEmptyBody is the Err of the *DecodeError for a 2xx answer with an
// empty body to a call that expects a result: a broken answer (for a list,
// not an empty page).
var ErrEmptyBody = errors.New("the body is empty")

func (e *DecodeError) Error() string { return fmt.Sprintf("decoding %s response: %v", e.Op, e.Err) }
func (e *DecodeError) Unwrap() error { return e.Err }

// BodyDecoder is implemented by a Request.Out that decodes a 2xx body
// itself rather than through encoding/json.Unmarshal. Its error is handled
// as an Unmarshal error would be (a *DecodeError, transient).
type BodyDecoder interface {
	DecodeBody(data []byte) error
}

// Do sends req, retrying as its Mode and the service's classification allow.
// It returns the last attempt's Response whenever there was one, even with an
// error. An HTTP error is returned exactly as Config.DecodeError built it; a
// transport error is wrapped with the method and path; when ctx ends during a
// backoff the error wraps both ctx.Err() and the last failure.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	if err := req.Path.Err(); err != nil {
		return nil, err
	}
	body, err := encodeBody(req.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding request: %w", req.Op, err)
	}
	var u url.URL
	c.buildURL(req, &u)

	var (
		resp        *Response
		lastErr     error
		ambiguousAt bool
		invalidated bool
		skewFixed   bool
		pol         = c.cfg.Policy
	)
	for attempt := 1; ; attempt++ {
		var v Verdict
		resp, lastErr, v = c.attempt(ctx, req, &u, body)
		if resp != nil {
			resp.Attempts = attempt
			resp.Ambiguous = ambiguousAt
		}
		if lastErr == nil {
			c.log(ctx, req, &u, resp, attempt, nil, v.Class, false, 0) // every attempt is logged, the good one too
			return resp, nil
		}
		if ambiguous(v.Class) {
			ambiguousAt = true
		}
		retry := retryable(req.Mode, v.Class) && attempt < pol.MaxAttempts
		var delay time.Duration
		switch v.Class {
		case AuthExpired:
			inv, ok := c.cfg.Auth.(interface{ Invalidate() })
			retry = retry && ok && !invalidated
			if retry {
				inv.Invalidate()
				invalidated = true
			}
		case ClockSkew:
			retry = retry && !skewFixed && c.learnSkew(resp)
			skewFixed = skewFixed || retry
		default:
			delay = pol.backoff(attempt, c.cfg.Rand())
			if v.Delay > 0 {
				if v.Delay > pol.MaxHint {
					retry = false
				}
				delay = max(delay, v.Delay)
			}
		}
		if retry {
			if dl, ok := ctx.Deadline(); ok && c.cfg.Clock.Now().Add(delay).After(dl) {
				retry = false // the wait alone would outlive the caller's deadline
				lastErr = fmt.Errorf("%w (not retried: the %v backoff would pass the context deadline)", lastErr, delay)
			}
		}
		c.log(ctx, req, &u, resp, attempt, lastErr, v.Class, retry, delay)
		if !retry {
			return resp, lastErr
		}
		if delay <= 0 {
			continue
		}
		if err := c.cfg.Clock.Sleep(ctx, delay); err != nil {
			return resp, fmt.Errorf("%w (while waiting to retry %s after: %w)", err, req.Op, lastErr)
		}
	}
}

// attempt makes one attempt and classifies its outcome.
func (c *Client) attempt(ctx context.Context, req *Request, u *url.URL, body []byte) (*Response, error, Verdict) {
	hreq, err := c.newHTTPRequest(ctx, req, u, body)
	if err != nil {
		return nil, err, Verdict{}
	}
	actx := ctx
	if skew := time.Duration(c.skew.Load()); skew != 0 {
		actx = clock.WithSigningTime(ctx, c.cfg.Clock.Now().Add(skew))
	}
	if c.cfg.Auth != nil {
		if err := c.cfg.Auth.Authenticate(actx, hreq, body); err != nil {
			return nil, fmt.Errorf("%s: authenticating: %w", req.Op, err), Verdict{}
		}
	}
	hresp, err := c.http.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Op, req.Method, err), Verdict{Class: ClassifyTransport(ctx, err)}
	}
	data, rerr := readBounded(hresp.Body, c.cfg.MaxResponseBytes, hresp.ContentLength)
	hresp.Body.Close()
	resp := &Response{StatusCode: hresp.StatusCode, Header: hresp.Header, Body: data, RequestID: c.requestID(hresp.Header)}
	if rerr != nil {
		return resp, fmt.Errorf("%s: reading response (status %d): %w", req.Op, hresp.StatusCode, rerr), Verdict{Class: ClassifyTransport(ctx, rerr)}
	}
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		apiErr := c.cfg.DecodeError(resp)
		var v Verdict
		if c.cfg.Classify != nil {
			v = c.cfg.Classify(resp, apiErr)
		} else {
			v = Verdict{Class: ClassifyStatus(resp.StatusCode)}
		}
		if v.Delay == 0 && v.Class != Permanent {
			if d, ok := ParseRetryAfter(hresp.Header.Get("Retry-After"), c.cfg.Clock.Now()); ok {
				v.Delay = d
			}
		}
		return resp, apiErr, v
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
			return resp, &DecodeError{Op: req.Op, Err: err}, Verdict{Class: Transient}
		}
	}
	return resp, nil, Verdict{}
}

func (c *Client) newHTTPRequest(ctx context.Context, req *Request, u *url.URL, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	// The URL is already built: NewRequestWithContext gets none to parse
	// (an empty one parses to a zero URL, which is then overwritten), and
	// does the rest as ever (context, body, GetBody, ContentLength).
	hreq, err := http.NewRequestWithContext(ctx, req.Method, "", rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Op, err)
	}
	*hreq.URL = *u
	hreq.URL.Host = c.host
	hreq.Host = c.host
	// Every header value shares one array, each value slice capped at its
	// own length so that an append by a later writer copies.
	n := 1
	for _, vs := range req.Header {
		n += len(vs)
	}
	if body != nil {
		n++
	}
	vals := make([]string, 0, n)
	for k, vs := range req.Header {
		start := len(vals)
		vals = append(vals, vs...)
		hreq.Header[k] = vals[start:len(vals):len(vals)]
	}
	if body != nil {
		ct := req.ContentType
		if ct == "" {
			ct = "application/json"
		}
		vals = append(vals, ct)
		hreq.Header["Content-Type"] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	vals = append(vals, c.userAgent)
	hreq.Header["User-Agent"] = vals[len(vals)-1 : len(vals) : len(vals)]
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

// buildURL sets *u to the request's URL: the endpoint, the escaped path
// after the endpoint's own, and the query. Path and RawPath are what
// url.Parse would give for the same URL written out, so that the request is
// exactly the one a parsed URL string would make.
func (c *Client) buildURL(req *Request, u *url.URL) {
	*u = *c.cfg.Endpoint
	var b strings.Builder
	b.Grow(len(c.prefix) + req.Path.escapedLen())
	b.WriteString(c.prefix)
	req.Path.writeTo(&b)
	raw := b.String()
	u.Path, _ = url.PathUnescape(raw)
	u.RawPath = raw
	// As url.Parse: RawPath only when it differs from the default encoding
	// of Path (EscapedPath first checks the raw form is a valid one).
	if esc := u.EscapedPath(); esc != raw {
		u.RawPath = esc
	}
	if (&url.URL{Path: u.Path}).EscapedPath() == u.RawPath {
		u.RawPath = ""
	}
	u.RawQuery = ""
	if len(req.Query) > 0 {
		u.RawQuery = encodeQuery(req.Query)
	}
}

func (c *Client) requestID(h http.Header) string {
	for _, k := range c.cfg.RequestIDHeaders {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

func (c *Client) log(ctx context.Context, req *Request, u *url.URL, resp *Response, attempt int, err error, class Class, retry bool, delay time.Duration) {
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
		slog.String("method", req.Method), slog.String("path", u.EscapedPath()),
		slog.Int("attempt", attempt),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode), slog.String("request_id", resp.RequestID))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()), slog.String("class", class.String()))
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
// size is the announced length (-1: unknown); it only sizes the buffer.
// The bytes and the error are those of io.ReadAll(io.LimitReader(r, limit+1)).
func readBounded(r io.Reader, limit, size int64) ([]byte, error) {
	if size < 0 || size >= maxPrealloc || size >= limit {
		// Unknown or large: io.ReadAll grows its buffer more thriftily than
		// appending does, which matters for a body that runs to the bound.
		data, err := io.ReadAll(io.LimitReader(r, limit+1))
		if err != nil {
			return data, err
		}
		if int64(len(data)) > limit {
			return nil, &TooLargeError{Limit: limit}
		}
		return data, nil
	}
	data := make([]byte, 0, size+1) // +1: the read that sees EOF needs no growth
	left := limit + 1
	for left > 0 {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // grow
		}
		buf := data[len(data):cap(data)]
		if int64(len(buf)) > left {
			buf = buf[:left]
		}
		m, err := r.Read(buf)
		data = data[:len(data)+m]
		left -= int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return data, err
		}
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return data, nil
}

// maxPrealloc bounds the buffer sized from a Content-Length, so that a
// large announced length costs nothing until its bytes arrive.
const maxPrealloc = 64 << 10

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
