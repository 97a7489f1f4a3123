// Package fakesrv is the scaffold the four in-process fakes (bigtabletest,
// spannertest, cbrtest, fsxtest) share: an httptest server with a request log,
// bounded JSON reading and writing, and operation timing (progress from a
// start time and a duration, on an injectable clock).
package fakesrv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// MaxBody bounds request bodies a fake reads (1 MiB).
const MaxBody = 1 << 20

// Server is an httptest server plus what every fake needs around it.
type Server struct {
	srv *httptest.Server

	mu  sync.Mutex
	log []Entry
	now func() time.Time
}

// Entry records one request a fake received.
type Entry struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
	Time                   time.Time
}

// New starts a server whose handler is h. Handlers read the body through
// (*Server).ReadBody so it is logged.
func New(h func(s *Server, w http.ResponseWriter, r *http.Request)) *Server {
	s := &Server{now: time.Now}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(s, w, r) }))
	return s
}

// URL returns the base URL (http://127.0.0.1:port).
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

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

// ReadBody reads and logs the request body, up to MaxBody bytes.
func (s *Server) ReadBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err == nil && len(b) > MaxBody {
		err = fmt.Errorf("request body over %d bytes", MaxBody)
	}
	s.mu.Lock()
	s.log = append(s.log, Entry{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: b, Time: s.now()})
	s.mu.Unlock()
	return b, err
}

// Requests returns a copy of the request log.
func (s *Server) Requests() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Entry(nil), s.log...)
}

// CountRequests returns how many logged requests satisfy match.
func (s *Server) CountRequests(match func(Entry) bool) int {
	n := 0
	for _, e := range s.Requests() {
		if match == nil || match(e) {
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
// d has come at now.
func Progress(start time.Time, d time.Duration, now time.Time) int {
	if d <= 0 || !now.Before(start.Add(d)) {
		return 100
	}
	el := now.Sub(start)
	if el <= 0 {
		return 0
	}
	return int(el * 100 / d)
}
