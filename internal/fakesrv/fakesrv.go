// Package fakesrv is the scaffold the four in-process fakes (bigtabletest,
// spannertest, cbrtest, fsxtest) share: an HTTP handler with a request log
// (each request named by its operation), injected faults, bounded JSON
// reading and writing, operation timing (progress from a start time and a
// duration, on an injectable clock), and an optional httptest listener.
package fakesrv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// MaxBody bounds request bodies a fake reads (1 MiB).
const MaxBody = 1 << 20

// DefaultDuration is how long a fake operation runs unless configured.
const DefaultDuration = 2 * time.Second

// Config says how a fake serves.
type Config struct {
	// Operation names the API operation a request calls ("CopyBackup",
	// "GetBackup", ...; "" when it calls none the fake knows).
	Operation func(r *http.Request) string
	// Serve answers a request. body is the request body, read and logged by
	// the scaffold; bodyErr is set when it was over MaxBody.
	Serve func(w http.ResponseWriter, r *http.Request, body []byte, bodyErr error)
	// WriteFault writes the fake's wire answer for a Throttle or
	// ServerError fault (retryAfter is the Fault's RetryAfter).
	WriteFault func(w http.ResponseWriter, r *http.Request, kind FaultKind, retryAfter time.Duration)
	// NoListener leaves the server without its own listener: it is served
	// only through Handler, and URL returns "".
	NoListener bool
}

// Server is a fake's handler, request log and fault list, with its own
// httptest listener unless Config.NoListener.
type Server struct {
	cfg Config
	srv *httptest.Server

	mu     sync.Mutex
	log    []Entry
	now    func() time.Time
	faults []*activeFault
}

// Entry records one request a fake received.
type Entry struct {
	// Operation is the API operation the request called ("" if none).
	Operation              string
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
	Time                   time.Time
}

// New makes a server for cfg, listening on a loopback port unless
// cfg.NoListener.
//
// The listener serves only once Start is called, so that a fake can finish
// setting itself up (for example store the returned *Server) before its
// first request: nothing it does before Start races with a request, even one
// from another process, which the race detector cannot order.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, now: time.Now}
	if !cfg.NoListener {
		s.srv = httptest.NewUnstartedServer(s.Handler())
	}
	return s
}

// Start begins serving on the listener (if any). URL is known only after it.
func (s *Server) Start() {
	if s.srv != nil {
		s.srv.Start()
	}
}

// Handler returns the handler that logs each request, applies injected
// faults and calls Config.Serve.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// URL returns the base URL (http://127.0.0.1:port), or "" without a
// listener.
func (s *Server) URL() string {
	if s.srv == nil {
		return ""
	}
	return s.srv.URL
}

// Close shuts the listener down (if any).
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// SetClock replaces the time source (tests drive operations without sleeping).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// Now returns the fake's current time.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	now := s.now
	s.mu.Unlock()
	return now()
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err == nil && len(b) > MaxBody {
		err = fmt.Errorf("request body over %d bytes", MaxBody)
	}
	op := ""
	if s.cfg.Operation != nil {
		op = s.cfg.Operation(r)
	}
	s.mu.Lock()
	s.log = append(s.log, Entry{Operation: op, Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: b, Time: s.now()})
	s.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(b))

	f := s.takeFault(op, time.Now())
	if f == nil {
		s.cfg.Serve(w, r, b, err)
		return
	}
	switch f.Kind {
	case Slow:
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
		s.cfg.Serve(w, r, b, err)
	case LoseResponse:
		s.cfg.Serve(discard{h: http.Header{}}, r, b, err)
		DropConnection(w)
	default: // Throttle, ServerError
		if f.AfterProcessing {
			s.cfg.Serve(discard{h: http.Header{}}, r, b, err)
		}
		s.cfg.WriteFault(w, r, f.Kind, f.RetryAfter)
	}
}

// discard is a ResponseWriter that drops the answer (the fake acted; the
// caller will not learn it).
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

// DropConnection closes the client's connection without an answer (with a
// TCP reset where possible).
func DropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// Requests returns a copy of the request log.
func (s *Server) Requests() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Entry(nil), s.log...)
}

// CountRequests returns how many logged requests called operation op ("":
// every request).
func (s *Server) CountRequests(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.log {
		if op == "" || e.Operation == op {
			n++
		}
	}
	return n
}

// WriteJSON writes v as a JSON response with status code.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	WriteRaw(w, code, "application/json", b)
}

// WriteRaw writes body with a content type and status code.
func WriteRaw(w http.ResponseWriter, code int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(code)
	w.Write(body)
}

// Progress returns how far (0-100) an operation started at start and lasting
// d has come at now. The curve is not a straight line, as a real copy's is
// not: slow while it starts and as it finishes, fastest in the middle
// (smoothstep, 3x²-2x³ of the elapsed fraction x), so that a poller that
// extrapolates a straight line from early progress is seen to guess wrong.
func Progress(start time.Time, d time.Duration, now time.Time) int {
	if d <= 0 || !now.Before(start.Add(d)) {
		return 100
	}
	el := now.Sub(start)
	if el <= 0 {
		return 0
	}
	x := float64(el) / float64(d)
	return min(int(100*x*x*(3-2*x)), 99)
}

// Durations draws operation durations uniformly from [Min, Max] with a
// seeded generator, so a fake's spread of copy times is the same on every
// run. The zero value (or Min == Max) gives Min every time. It is not safe
// for concurrent use: fakes draw under their own lock.
type Durations struct {
	// Min and Max bound the drawn durations.
	Min, Max time.Duration
	rng      *rand.Rand
}

// NewDurations returns a spread from min to max (swapped if max < min;
// negative values count as 0) seeded with seed.
func NewDurations(min, max time.Duration, seed uint64) *Durations {
	min, max = maxDur(min, 0), maxDur(max, 0)
	if max < min {
		min, max = max, min
	}
	return &Durations{Min: min, Max: max, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Next draws one duration.
func (d *Durations) Next() time.Duration {
	if d.Max <= d.Min || d.rng == nil {
		return d.Min
	}
	return d.Min + time.Duration(d.rng.Int64N(int64(d.Max-d.Min)+1))
}

func maxDur(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}
