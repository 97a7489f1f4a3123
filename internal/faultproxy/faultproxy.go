// Package faultproxy is a loopback HTTP proxy for tests that sits between a
// client and a fake and injects network and server faults on chosen
// requests: refused connections, lost responses (the request reaches the
// fake, the answer never reaches the client), error statuses with
// Retry-After, truncated or endless bodies, and servers that never answer.
package faultproxy

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kind is a fault.
type Kind int

const (
	// Pass forwards the request untouched.
	Pass Kind = iota
	// Refuse closes the client's connection without an answer and without
	// forwarding: the fake never sees the request, but the request was
	// written, so to the client this looks like a lost response (use
	// RefuseConnect for a connection that is never made).
	Refuse
	// LoseResponse forwards the request to the fake, then drops the
	// connection instead of answering: the fake acted, the client never hears.
	LoseResponse
	// Status answers with Fault.Status and Fault.Body (and Fault.Header)
	// without forwarding.
	Status
	// Truncate forwards, then sends the fake's status and only the first half
	// of its body before closing the connection.
	Truncate
	// Endless answers 200 with a body that never ends (until the client goes).
	Endless
	// Hang never answers (until the client goes or the proxy closes).
	Hang
	// RefuseConnect makes the connection attempt itself fail with the
	// kernel's "connection refused" (a dial to a closed port), as a host with
	// nothing listening does: no byte of the request leaves the client. It
	// works only for clients whose transport is wrapped with
	// (*Proxy).Transport; the proxy server never sees such a request.
	RefuseConnect
)

func (k Kind) String() string {
	return [...]string{"pass", "refuse", "lose-response", "status", "truncate", "endless", "hang", "refuse-connect"}[k]
}

// Fault says what to do with one matching request.
type Fault struct {
	Kind   Kind
	Status int
	Header http.Header
	Body   string
	// Forward (Status only) forwards the request to the fake first and then
	// answers with Status instead of the fake's answer: the fake acted, the
	// client hears an error (a gateway that timed out on a slow backend).
	Forward bool
	// DateOffset (Status only), if non-zero, sets the Date header to the
	// proxy's time plus DateOffset: a server whose clock is off.
	DateOffset time.Duration
	// RetryAfterIn (Status only), if non-zero, sets Retry-After to the
	// HTTP-date that lies RetryAfterIn from now (rounded up to the second).
	RetryAfterIn time.Duration
}

// Rule applies Faults, in order, to the requests that Match accepts; once
// the list is used up, matching requests pass (unless Repeat is set: then the
// last fault applies to every later matching request).
type Rule struct {
	Match  func(r *http.Request, body []byte) bool
	Faults []Fault
	Repeat bool
}

// Proxy is a running fault proxy.
type Proxy struct {
	srv    *httptest.Server
	target *url.URL
	rp     *httputil.ReverseProxy
	dead   string // a loopback address with nothing listening

	mu    sync.Mutex
	rules []*Rule
	log   []Record
	stop  chan struct{}
	once  sync.Once
}

// Record is one request the proxy saw and the fault it applied.
type Record struct {
	Method, Path string
	Fault        Kind
}

// New starts a proxy in front of target (the fake's base URL).
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: u, stop: make(chan struct{})}
	p.rp = httputil.NewSingleHostReverseProxy(u)
	p.rp.ErrorLog = nil
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	// A port that was just closed refuses connections (nothing reuses it
	// this soon in practice; if something did, the dial would not be refused
	// and RoundTrip says so).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		p.srv.Close()
		return nil, err
	}
	p.dead = l.Addr().String()
	l.Close()
	return p, nil
}

// URL is the proxy's base URL: give it to the client as its endpoint.
func (p *Proxy) URL() string { return p.srv.URL }

// Close stops the proxy and releases every hanging request.
func (p *Proxy) Close() {
	p.once.Do(func() { close(p.stop) })
	p.srv.CloseClientConnections()
	p.srv.Close()
}

// Add appends a rule.
func (p *Proxy) Add(r Rule) {
	p.mu.Lock()
	p.rules = append(p.rules, &r)
	p.mu.Unlock()
}

// Clear removes every rule: from now on all requests pass (the outage is
// over).
func (p *Proxy) Clear() {
	p.mu.Lock()
	p.rules = nil
	p.mu.Unlock()
}

// Log returns what the proxy has seen.
func (p *Proxy) Log() []Record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Record(nil), p.log...)
}

// Count returns how many requests received fault k.
func (p *Proxy) Count(k Kind) int {
	n := 0
	for _, r := range p.Log() {
		if r.Fault == k {
			n++
		}
	}
	return n
}

// pick returns the fault for a request. onlyConnect picks only a
// RefuseConnect fault (the client-side transport's view): any other fault
// is left for the proxy server to apply, and nothing is logged.
func (p *Proxy) pick(r *http.Request, body []byte, onlyConnect bool) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := Fault{Kind: Pass}
	for _, rule := range p.rules {
		if len(rule.Faults) == 0 || (rule.Match != nil && !rule.Match(r, body)) {
			continue
		}
		next := rule.Faults[0]
		if onlyConnect != (next.Kind == RefuseConnect) {
			if onlyConnect {
				return f
			}
			continue // a RefuseConnect the transport did not see: skip it
		}
		f = next
		if len(rule.Faults) > 1 || !rule.Repeat {
			rule.Faults = rule.Faults[1:]
		}
		break
	}
	if onlyConnect && f.Kind == Pass {
		return f
	}
	p.log = append(p.log, Record{Method: r.Method, Path: r.URL.Path, Fault: f.Kind})
	return f
}

// Transport wraps base (nil: a new http.Transport) so that requests that meet
// a RefuseConnect fault fail to connect, with the genuine error of a dial to
// a port where nothing listens; every other request goes through base. Give
// the client an http.Client with this transport.
func (p *Proxy) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = &http.Transport{}
	}
	return &refuser{p: p, base: base}
}

type refuser struct {
	p    *Proxy
	base http.RoundTripper
}

func (t *refuser) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil && r.GetBody != nil {
		rc, err := r.GetBody()
		if err == nil {
			body, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	if f := t.p.pick(r, body, true); f.Kind == RefuseConnect {
		if r.Body != nil {
			r.Body.Close()
		}
		var d net.Dialer
		conn, err := d.DialContext(r.Context(), "tcp", t.p.dead)
		if err == nil {
			conn.Close()
			return nil, fmt.Errorf("faultproxy: %s unexpectedly accepted a connection", t.p.dead)
		}
		return nil, err
	}
	return t.base.RoundTrip(r)
}

// CloseIdleConnections closes the wrapped transport's idle connections.
func (t *refuser) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	f := p.pick(r, body, false)
	switch f.Kind {
	case Refuse:
		hijackClose(w)
	case LoseResponse:
		rec := httptest.NewRecorder()
		p.forward(rec, r, body)
		hijackClose(w)
	case Status:
		if f.Forward {
			p.forward(httptest.NewRecorder(), r, body)
		}
		for k, vs := range f.Header {
			w.Header()[k] = vs
		}
		if f.DateOffset != 0 {
			w.Header().Set("Date", time.Now().Add(f.DateOffset).UTC().Format(http.TimeFormat))
		}
		if f.RetryAfterIn != 0 {
			at := time.Now().Add(f.RetryAfterIn + time.Second - 1).Truncate(time.Second)
			w.Header().Set("Retry-After", at.UTC().Format(http.TimeFormat))
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
		w.WriteHeader(f.Status)
		io.WriteString(w, f.Body)
	case Truncate:
		rec := httptest.NewRecorder()
		p.forward(rec, r, body)
		full := rec.Body.Bytes()
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", rec.Code, http.StatusText(rec.Code), rec.Header().Get("Content-Type"), len(full))
		buf.Write(full[:len(full)/2])
		buf.Flush()
		conn.Close()
	case Endless:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		chunk := bytes.Repeat([]byte(" "), 32<<10)
		io.WriteString(w, `{"padding":"`)
		for {
			select {
			case <-r.Context().Done():
				return
			case <-p.stop:
				return
			default:
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	case Hang:
		select {
		case <-r.Context().Done():
		case <-p.stop:
		case <-time.After(time.Minute):
		}
	default:
		p.forward(w, r, body)
	}
}

func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	// Keep the Host the client signed: signatures cover it.
	host := r.Host
	director := p.rp.Director
	rp := *p.rp
	rp.Director = func(out *http.Request) {
		director(out)
		out.Host = host
	}
	rp.ServeHTTP(w, r)
}

// hijackClose drops the client's connection without a response.
func hijackClose(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // RST, like a reset connection
	}
	conn.Close()
}

// Method matches requests by HTTP method.
func Method(m string) func(*http.Request, []byte) bool {
	return func(r *http.Request, _ []byte) bool { return r.Method == m }
}

// BodyContains matches requests whose body contains s (e.g. an X-Amz-Target).
func BodyContains(s string) func(*http.Request, []byte) bool {
	return func(r *http.Request, b []byte) bool { return bytes.Contains(b, []byte(s)) }
}

// PathSuffix matches requests whose (unescaped) path ends in s.
func PathSuffix(s string) func(*http.Request, []byte) bool {
	return func(r *http.Request, _ []byte) bool { return strings.HasSuffix(r.URL.Path, s) }
}

// PathContains matches requests whose (unescaped) path contains s.
func PathContains(s string) func(*http.Request, []byte) bool {
	return func(r *http.Request, _ []byte) bool { return strings.Contains(r.URL.Path, s) }
}

// All matches requests that every m matches.
func All(ms ...func(*http.Request, []byte) bool) func(*http.Request, []byte) bool {
	return func(r *http.Request, b []byte) bool {
		for _, m := range ms {
			if m != nil && !m(r, b) {
				return false
			}
		}
		return true
	}
}

// Not matches requests that m does not match.
func Not(m func(*http.Request, []byte) bool) func(*http.Request, []byte) bool {
	return func(r *http.Request, b []byte) bool { return !m(r, b) }
}

// HeaderContains matches requests whose header h contains s.
func HeaderContains(h, s string) func(*http.Request, []byte) bool {
	return func(r *http.Request, _ []byte) bool { return bytes.Contains([]byte(r.Header.Get(h)), []byte(s)) }
}
