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
	"sync"
	"time"
)

// Kind is a fault.
type Kind int

const (
	// Pass forwards the request untouched.
	Pass Kind = iota
	// Refuse closes the client's connection before reading the request, as a
	// host with nothing listening does (the request never reaches the fake).
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
)

func (k Kind) String() string {
	return [...]string{"pass", "refuse", "lose-response", "status", "truncate", "endless", "hang"}[k]
}

// Fault says what to do with one matching request.
type Fault struct {
	Kind   Kind
	Status int
	Header http.Header
	Body   string
}

// Rule applies Faults, in order, to the requests that Match accepts; once
// the list is used up, matching requests pass.
type Rule struct {
	Match  func(r *http.Request, body []byte) bool
	Faults []Fault
}

// Proxy is a running fault proxy.
type Proxy struct {
	srv    *httptest.Server
	target *url.URL
	rp     *httputil.ReverseProxy

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

func (p *Proxy) pick(r *http.Request, body []byte) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := Fault{Kind: Pass}
	for _, rule := range p.rules {
		if len(rule.Faults) == 0 || (rule.Match != nil && !rule.Match(r, body)) {
			continue
		}
		f = rule.Faults[0]
		rule.Faults = rule.Faults[1:]
		break
	}
	p.log = append(p.log, Record{Method: r.Method, Path: r.URL.Path, Fault: f.Kind})
	return f
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	f := p.pick(r, body)
	switch f.Kind {
	case Refuse:
		hijackClose(w)
	case LoseResponse:
		rec := httptest.NewRecorder()
		p.forward(rec, r, body)
		hijackClose(w)
	case Status:
		for k, vs := range f.Header {
			w.Header()[k] = vs
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

// HeaderContains matches requests whose header h contains s.
func HeaderContains(h, s string) func(*http.Request, []byte) bool {
	return func(r *http.Request, _ []byte) bool { return bytes.Contains([]byte(r.Header.Get(h)), []byte(s)) }
}
