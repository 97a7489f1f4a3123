package rest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/clock"
)

// recorder is a test server that answers from a script, one entry per attempt,
// and records what it received.
type recorder struct {
	mu      sync.Mutex
	script  []func(w http.ResponseWriter, r *http.Request)
	got     []*http.Request
	bodies  []string
	srv     *httptest.Server
	fallbck func(w http.ResponseWriter, r *http.Request)
}

func newRecorder(t *testing.T, script ...func(w http.ResponseWriter, r *http.Request)) *recorder {
	rec := &recorder{script: script}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		n := len(rec.got)
		rec.got = append(rec.got, r.Clone(context.Background()))
		rec.bodies = append(rec.bodies, string(b))
		var h func(w http.ResponseWriter, r *http.Request)
		if n < len(rec.script) {
			h = rec.script[n]
		} else {
			h = rec.fallbck
		}
		rec.mu.Unlock()
		if h == nil {
			h = status(200, `{}`)
		}
		h(w, r)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.got) }

func status(code int, body string, hdr ...string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

// hangup closes the connection without answering: the request was received,
// the response is lost.
func hangup(w http.ResponseWriter, r *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

type testClient struct {
	*Client
	clk *clock.Fake
}

func newTestClient(t *testing.T, endpoint string, mod ...func(*Config)) testClient {
	t.Helper()
	u, err := ParseEndpoint(endpoint)
	require.NoError(t, err)
	clk := clock.NewFake(time.Now().Truncate(time.Second))
	cfg := Config{Endpoint: u, Service: "test", Clock: clk, Rand: func() float64 { return 0.5 }}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return testClient{c, clk}
}

func TestRetryClassification(t *testing.T) {
	tests := []struct {
		name     string
		mode     Mode
		answer   func(w http.ResponseWriter, r *http.Request)
		attempts int
		wantErr  bool
	}{
		{"200 once", NotIdempotent, status(200, `{}`), 1, false},
		{"400 never retried", Idempotent, status(400, `bad`), 1, true},
		{"404 never retried", Idempotent, status(404, `nf`), 1, true},
		{"409 never retried", Idempotent, status(409, `c`), 1, true},
		{"500 idempotent retried", Idempotent, status(500, `x`), DefaultMaxAttempts, true},
		{"502 idempotent retried", Idempotent, status(502, `x`), DefaultMaxAttempts, true},
		{"503 idempotent retried", Idempotent, status(503, `x`), DefaultMaxAttempts, true},
		{"504 idempotent retried", Idempotent, status(504, `x`), DefaultMaxAttempts, true},
		{"500 not idempotent sent once", NotIdempotent, status(500, `x`), 1, true},
		{"503 not idempotent sent once", NotIdempotent, status(503, `x`), 1, true},
		{"429 not idempotent retried", NotIdempotent, status(429, `x`), DefaultMaxAttempts, true},
		{"429 idempotent retried", Idempotent, status(429, `x`), DefaultMaxAttempts, true},
		{"lost response idempotent retried", Idempotent, hangup, DefaultMaxAttempts, true},
		{"lost response not idempotent sent once", NotIdempotent, hangup, 1, true},
		{"truncated JSON idempotent retried", Idempotent, status(200, `{"a":`), DefaultMaxAttempts, true},
		{"truncated JSON not idempotent sent once", NotIdempotent, status(200, `{"a":`), 1, true},
		{"empty body idempotent retried", Idempotent, status(200, ``), DefaultMaxAttempts, true},
		{"blank body not idempotent sent once", NotIdempotent, status(200, " \n"), 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			rec.fallbck = tt.answer
			c := newTestClient(t, rec.srv.URL)
			var out map[string]any
			resp, err := c.Do(context.Background(), &Request{Op: "Op", Method: "POST", Path: NewPath("v1", "x"), Body: map[string]string{"k": "v"}, Mode: tt.mode, Out: &out})
			assert.Equal(t, tt.attempts, rec.count(), "attempts at the server")
			if tt.wantErr {
				assert.Error(t, err)
			} else {
				assert.NoError(t, err)
				assert.Equal(t, 1, resp.Attempts)
			}
			// every attempt carried the same body
			for _, b := range rec.bodies {
				assert.Equal(t, `{"k":"v"}`, b)
			}
		})
	}
}

func TestRecoversAfterTransientFailures(t *testing.T) {
	rec := newRecorder(t, status(503, `x`), hangup, status(200, `{"ok":true}`))
	c := newTestClient(t, rec.srv.URL)
	// POST: net/http itself silently resends a GET on a dropped connection.
	out, resp, err := Call[struct{ OK bool }](context.Background(), c.Client, &Request{Op: "Create", Method: "POST", Path: NewPath("v1", "x"), Mode: Idempotent})
	require.NoError(t, err)
	assert.True(t, out.OK)
	assert.Equal(t, 3, resp.Attempts)
	assert.True(t, resp.Ambiguous, "an earlier attempt may have been processed")
	// full jitter with rand 0.5: 0.5*250ms, then 0.5*500ms
	assert.Equal(t, []time.Duration{125 * time.Millisecond, 250 * time.Millisecond}, c.clk.Sleeps())
}

func TestNotAmbiguousAfterThrottle(t *testing.T) {
	rec := newRecorder(t, status(429, `x`), status(409, `exists`))
	c := newTestClient(t, rec.srv.URL)
	resp, err := c.Do(context.Background(), &Request{Op: "Create", Method: "POST", Path: NewPath("v1"), Mode: Idempotent})
	require.Error(t, err)
	assert.False(t, resp.Ambiguous, "a 429 is not processed, so a later conflict is real")
	assert.Equal(t, 409, resp.StatusCode)
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	rec := newRecorder(t)
	rec.fallbck = status(503, "x")
	c := newTestClient(t, rec.srv.URL, func(c *Config) {
		c.Rand = func() float64 { return 0.999999 }
		c.Policy = Policy{MaxAttempts: 8, BaseDelay: time.Second, MaxDelay: 10 * time.Second}
	})
	_, err := c.Do(context.Background(), &Request{Op: "Get", Method: "GET", Path: NewPath("v1"), Mode: Idempotent})
	require.Error(t, err)
	sleeps := c.clk.Sleeps()
	require.Len(t, sleeps, 7)
	caps := []time.Duration{1, 2, 4, 8, 10, 10, 10}
	for i, s := range sleeps {
		assert.LessOrEqual(t, s, caps[i]*time.Second)
		assert.Greater(t, s, caps[i]*time.Second*99/100)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		header func(now time.Time) string
		want   time.Duration
		retry  bool
	}{
		{"seconds", func(time.Time) string { return "7" }, 7 * time.Second, true},
		{"http date", func(now time.Time) string { return now.Add(30 * time.Second).UTC().Format(http.TimeFormat) }, 30 * time.Second, true},
		{"past date", func(now time.Time) string { return now.Add(-time.Hour).UTC().Format(http.TimeFormat) }, 125 * time.Millisecond, true},
		{"garbage ignored", func(time.Time) string { return "soon" }, 125 * time.Millisecond, true},
		{"too long ends the call", func(time.Time) string { return "3600" }, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c testClient
			rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", tt.header(c.clk.Now()))
				w.WriteHeader(429)
			}, status(200, "{}"))
			c = newTestClient(t, rec.srv.URL)
			_, err := c.Do(context.Background(), &Request{Op: "Get", Method: "GET", Path: NewPath("v1"), Mode: Idempotent})
			if !tt.retry {
				require.Error(t, err)
				assert.Equal(t, 1, rec.count())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []time.Duration{tt.want}, c.clk.Sleeps())
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true}, {"120", 2 * time.Minute, true}, {" 5 ", 5 * time.Second, true},
		{"-1", 0, false}, {"1.5", 0, false}, {"", 0, false}, {"99999999999999", 0, false},
		{"Sun, 22 Nov 2026 12:01:00 GMT", time.Minute, true},
		{"Sunday, 22-Nov-26 12:01:00 GMT", time.Minute, true},
		{"Sun Nov 22 12:01:00 2026", time.Minute, true},
		{"Sun, 22 Nov 2026 11:00:00 GMT", 0, true},
		{"tomorrow", 0, false},
	} {
		got, ok := ParseRetryAfter(tt.in, now)
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestDeadlineShorterThanBackoffStopsAtOnce(t *testing.T) {
	rec := newRecorder(t, status(429, "x", "Retry-After", "30"))
	c := newTestClient(t, rec.srv.URL)
	ctx, cancel := context.WithDeadline(context.Background(), c.clk.Now().Add(5*time.Second))
	defer cancel()
	_, err := c.Do(ctx, &Request{Op: "Get", Method: "GET", Path: NewPath("v1"), Mode: Idempotent})
	require.Error(t, err)
	assert.Equal(t, 1, rec.count())
	assert.Empty(t, c.clk.Sleeps())
}

func TestContextCancelDuringBackoff(t *testing.T) {
	rec := newRecorder(t)
	rec.fallbck = status(503, "x")
	u, _ := ParseEndpoint(rec.srv.URL)
	c, err := New(Config{Endpoint: u, Policy: Policy{MaxAttempts: 10, BaseDelay: time.Hour, MaxDelay: time.Hour}, Rand: func() float64 { return 1 }})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err = c.Do(ctx, &Request{Op: "Get", Method: "GET", Path: NewPath("v1"), Mode: Idempotent})
	assert.ErrorIs(t, err, context.Canceled)
	var he *HTTPError
	assert.ErrorAs(t, err, &he, "the last failure is kept")
	assert.Less(t, time.Since(start), time.Second)
}

func TestServerThatNeverAnswers(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	u, _ := ParseEndpoint(srv.URL)
	c, _ := New(Config{Endpoint: u})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Do(ctx, &Request{Op: "Get", Method: "GET", Path: NewPath("v1"), Mode: Idempotent})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 150*time.Millisecond)
}

func TestConnectionRefusedIsRetriedEvenWhenNotIdempotent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := newTestClient(t, "http://"+addr)
	_, err = c.Do(context.Background(), &Request{Op: "Copy", Method: "POST", Path: NewPath("v1"), Body: []byte("{}")})
	require.Error(t, err)
	assert.Len(t, c.clk.Sleeps(), DefaultMaxAttempts-1, "dial failures are retried")
	assert.Contains(t, err.Error(), "Copy")
}

func TestSizeBound(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	rec := newRecorder(t)
	rec.fallbck = status(200, big)
	c := newTestClient(t, rec.srv.URL, func(c *Config) { c.MaxResponseBytes = 1 << 16 })
	_, err := c.Do(context.Background(), &Request{Op: "Get", Method: "GET", Path: NewPath("v1"), Mode: Idempotent})
	var tl *TooLargeError
	require.ErrorAs(t, err, &tl)
	assert.Equal(t, 1, rec.count(), "an oversize body is not retried")
}

func TestEndlessBodyFailsWithBoundedRead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		chunk := []byte(strings.Repeat("a", 4096))
		for i := 0; i < 1<<16; i++ { // up to 256 MiB, far past the bound
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, func(c *Config) { c.MaxResponseBytes = 1 << 20 })
	_, err := c.Do(context.Background(), &Request{Op: "Get", Method: "GET", Path: NewPath("v1"), Mode: Idempotent})
	var tl *TooLargeError
	require.ErrorAs(t, err, &tl)
}

func TestRedirectToAnotherHostCarriesNoCredentials(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
	}))
	defer other.Close()
	for _, code := range []int{301, 302, 303, 307, 308} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			rec := newRecorder(t)
			rec.fallbck = func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/steal", code)
			}
			for _, base := range []*http.Client{nil, {CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}} {
				c := newTestClient(t, rec.srv.URL, func(c *Config) {
					c.HTTPClient = base
					c.Auth = headerAuth{"Authorization": "Bearer secret", "X-Auth-Token": "tok", "X-Security-Token": "st", "X-Amz-Security-Token": "ast"}
				})
				resp, err := c.Do(context.Background(), &Request{Op: "Get", Method: "GET", Path: NewPath("v1"), Mode: Idempotent})
				require.Error(t, err)
				assert.Equal(t, code, resp.StatusCode)
			}
		})
	}
	assert.Zero(t, leaked.Load(), "no request reached the other host")
}

func TestSameHostRedirectFollowed(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/v1/moved", 307) }, status(200, `{"ok":true}`))
	c := newTestClient(t, rec.srv.URL)
	out, _, err := Call[struct{ OK bool }](context.Background(), c.Client, &Request{Op: "Get", Method: "GET", Path: NewPath("v1"), Mode: Idempotent})
	require.NoError(t, err)
	assert.True(t, out.OK)
}

type headerAuth map[string]string

func (h headerAuth) Authenticate(_ context.Context, r *http.Request, _ []byte) error {
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return nil
}

func TestEndpointRule(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://bigtableadmin.googleapis.com", "https://bigtableadmin.googleapis.com", true},
		{"https://fsx.us-east-1.amazonaws.com/", "https://fsx.us-east-1.amazonaws.com", true},
		{"https://proxy.example.com/prefix/", "https://proxy.example.com/prefix", true},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", true},
		{"http://127.9.9.9:1", "http://127.9.9.9:1", true},
		{"http://[::1]:9000/", "http://[::1]:9000", true},
		{"http://localhost:9000", "http://localhost:9000", true},
		{"http://LOCALHOST", "http://LOCALHOST", true},
		{"http://example.com", "", false},
		{"http://10.0.0.1:80", "", false},
		{"http://localhost.example.com", "", false},
		{"http://127.0.0.1.nip.io", "", false},
		{"ftp://127.0.0.1", "", false},
		{"https://user:pass@example.com", "", false},
		{"https://example.com?x=1", "", false},
		{"https://example.com#f", "", false},
		{"example.com", "", false},
		{"https://", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		u, err := ParseEndpoint(tt.in)
		if !tt.ok {
			require.Error(t, err, tt.in)
			var ve *ValidationError
			assert.ErrorAs(t, err, &ve)
			assert.NotContains(t, err.Error(), "pass", "user info is never echoed")
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, u.String())
	}
}

func TestPathRules(t *testing.T) {
	bad := []string{"", ".", "..", "a/b", "a?b", "a#b", "a\\b", "a\nb", "a\x00b", "a\x7fb", "\tb"}
	for _, v := range bad {
		p := NewPath("v1").Seg("Req.ID", v)
		var ve *ValidationError
		require.ErrorAs(t, p.Err(), &ve, "%q", v)
		assert.Equal(t, "Req.ID", ve.Field)
	}
	// ".." inside a segment cannot move the path; valid IDs may hold it.
	p := NewPath("v1").Seg("BackupID", "a..b").Seg("X", "...")
	require.NoError(t, p.Err())
	assert.Equal(t, "/v1/a..b/...", p.String())
	p = NewPath("v3", "proj").Seg("BackupID", "a b%c:d@e").Lit("replicate")
	require.NoError(t, p.Err())
	assert.Equal(t, "/v3/proj/a%20b%25c:d@e/replicate", p.String())

	const pat = "projects/*/instances/*/clusters/*"
	good := "projects/example.com:my-proj/instances/i1/clusters/c-1"
	p = NewPath("v2").Name("Parent", good, pat).Lit("backups").Verb("copy")
	require.NoError(t, p.Err())
	assert.Equal(t, "/v2/projects/example.com:my-proj/instances/i1/clusters/c-1/backups:copy", p.String())
	for _, v := range []string{
		"projects/p/instances/i", "projects/p/instances/i/clusters/c/extra", "project/p/instances/i/clusters/c",
		"projects//instances/i/clusters/c", "projects/p/instances/../clusters/c", "projects/p/instances/i/clusters/c?x",
		"projects/p/instances/i/clusters/c#", "/projects/p/instances/i/clusters/c", "",
	} {
		assert.Error(t, NewPath("v2").Name("Parent", v, pat).Err(), v)
	}
	assert.Equal(t, []string{"p", "i", "c"}, NameSegments("projects/p/instances/i/clusters/c", pat))
	assert.Nil(t, NameSegments("projects/p", pat))
}

func TestInvalidPathSendsNothing(t *testing.T) {
	rec := newRecorder(t)
	c := newTestClient(t, rec.srv.URL)
	_, err := c.Do(context.Background(), &Request{Op: "Get", Method: "GET", Path: NewPath("v1").Seg("ID", "../admin")})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Zero(t, rec.count())
}

// countingAuth records each call and can simulate an expiring token.
type countingAuth struct {
	calls       atomic.Int32
	invalidated atomic.Int32
	bodies      []string
	times       []time.Time
	mu          sync.Mutex
}

func (a *countingAuth) Authenticate(ctx context.Context, r *http.Request, body []byte) error {
	n := a.calls.Add(1)
	a.mu.Lock()
	a.bodies = append(a.bodies, string(body))
	a.times = append(a.times, clock.SigningTime(ctx))
	a.mu.Unlock()
	r.Header.Set("X-Attempt-Sig", fmt.Sprint(n))
	r.Header.Set("X-Token-Gen", fmt.Sprint(a.invalidated.Load()))
	return nil
}

func (a *countingAuth) Invalidate() { a.invalidated.Add(1) }

func TestAuthenticatesEveryAttempt(t *testing.T) {
	rec := newRecorder(t, status(503, "x"), status(502, "x"), status(200, "{}"))
	auth := &countingAuth{}
	c := newTestClient(t, rec.srv.URL, func(c *Config) { c.Auth = auth })
	_, err := c.Do(context.Background(), &Request{Op: "Put", Method: "PUT", Path: NewPath("v1"), Body: []byte(`{"a":1}`), Mode: Idempotent})
	require.NoError(t, err)
	require.Equal(t, int32(3), auth.calls.Load())
	for i, r := range rec.got {
		assert.Equal(t, fmt.Sprint(i+1), r.Header.Get("X-Attempt-Sig"), "a fresh signature per attempt")
		assert.Equal(t, `{"a":1}`, auth.bodies[i], "the authenticator sees the exact body")
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.True(t, strings.HasPrefix(r.Header.Get("User-Agent"), "backupcopy-go/"+Version))
	}
}

func TestAuthExpiredRefreshesOnce(t *testing.T) {
	expired := func(resp *Response, _ error) Hint { return Hint{Refresh: resp.StatusCode == 401} }
	t.Run("fresh token works", func(t *testing.T) {
		rec := newRecorder(t, status(401, "expired"), status(200, "{}"))
		auth := &countingAuth{}
		c := newTestClient(t, rec.srv.URL, func(c *Config) { c.Auth = auth; c.Hint = expired })
		_, err := c.Do(context.Background(), &Request{Op: "Copy", Method: "POST", Path: NewPath("v1"), Body: []byte("{}")})
		require.NoError(t, err)
		assert.Equal(t, int32(1), auth.invalidated.Load())
		assert.Equal(t, "1", rec.got[1].Header.Get("X-Token-Gen"))
		assert.Empty(t, c.clk.Sleeps(), "no backoff before re-authenticating")
	})
	t.Run("still rejected: stop after one refresh", func(t *testing.T) {
		rec := newRecorder(t)
		rec.fallbck = status(401, "expired")
		auth := &countingAuth{}
		c := newTestClient(t, rec.srv.URL, func(c *Config) { c.Auth = auth; c.Hint = expired })
		_, err := c.Do(context.Background(), &Request{Op: "Copy", Method: "POST", Path: NewPath("v1")})
		require.Error(t, err)
		assert.Equal(t, 2, rec.count())
	})
	t.Run("authenticator without cache: no retry", func(t *testing.T) {
		rec := newRecorder(t)
		rec.fallbck = status(401, "expired")
		c := newTestClient(t, rec.srv.URL, func(c *Config) { c.Auth = headerAuth{}; c.Hint = expired })
		_, err := c.Do(context.Background(), &Request{Op: "Copy", Method: "POST", Path: NewPath("v1")})
		require.Error(t, err)
		assert.Equal(t, 1, rec.count())
	})
}

func TestClockSkewCorrection(t *testing.T) {
	skewed := func(resp *Response, _ error) Hint { return Hint{Resign: resp.StatusCode == 403} }
	t.Run("server 20 minutes ahead", func(t *testing.T) {
		auth := &countingAuth{}
		var c testClient
		rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", c.clk.Now().Add(20*time.Minute).Format(http.TimeFormat))
			w.WriteHeader(403)
		}, status(200, "{}"))
		c = newTestClient(t, rec.srv.URL, func(cfg *Config) { cfg.Auth = auth; cfg.Hint = skewed })
		_, err := c.Do(context.Background(), &Request{Op: "Copy", Method: "POST", Path: NewPath("v1")})
		require.NoError(t, err)
		assert.Equal(t, 20*time.Minute, c.ClockSkew())
		require.Len(t, auth.times, 2)
		assert.Equal(t, c.clk.Now().Add(20*time.Minute), auth.times[1], "second attempt signed with the server's time")
		// later calls keep the correction
		_, err = c.Do(context.Background(), &Request{Op: "Copy", Method: "POST", Path: NewPath("v1")})
		require.NoError(t, err)
		assert.Equal(t, c.clk.Now().Add(20*time.Minute), auth.times[2])
	})
	t.Run("no Date or small offset: no retry", func(t *testing.T) {
		rec := newRecorder(t)
		rec.fallbck = status(403, "sig")
		c := newTestClient(t, rec.srv.URL, func(cfg *Config) { cfg.Auth = &countingAuth{}; cfg.Hint = skewed })
		_, err := c.Do(context.Background(), &Request{Op: "Copy", Method: "POST", Path: NewPath("v1")})
		require.Error(t, err)
		assert.Equal(t, 1, rec.count())
	})
}

func TestDecodeErrorHookAndRequestID(t *testing.T) {
	type apiErr struct{ code, rid string }
	rec := newRecorder(t, status(400, `{"code":"Bad"}`, "X-Request-Id", "rid-1"))
	c := newTestClient(t, rec.srv.URL, func(c *Config) {
		c.RequestIDHeaders = []string{"X-Amzn-RequestId", "X-Request-Id"}
		c.DecodeAPIError = func(op string, r *Response) error { return fmt.Errorf("api %s: %s %s", op, r.Body, r.RequestID) }
	})
	resp, err := c.Do(context.Background(), &Request{Op: "Get", Method: "GET", Path: NewPath("v1"), Mode: Idempotent})
	require.EqualError(t, err, `api Get: {"code":"Bad"} rid-1`)
	assert.Equal(t, "rid-1", resp.RequestID)
}

func TestQueryAndHeaders(t *testing.T) {
	rec := newRecorder(t)
	c := newTestClient(t, rec.srv.URL+"/pfx", func(c *Config) { c.UserAgent = "mytool/2" })
	_, err := c.Do(context.Background(), &Request{
		Op: "Create", Method: "POST", Path: NewPath("v1").Seg("ID", "a b"),
		Query:  url.Values{"backupId": {"b1"}, "encryptionConfig.kmsKeyNames": {"k1", "k2"}},
		Header: http.Header{"X-Amz-Target": {"Svc.Op"}}, Body: []byte("x"), ContentType: "application/x-amz-json-1.1",
	})
	require.NoError(t, err)
	r := rec.got[0]
	assert.Equal(t, "/pfx/v1/a%20b", r.URL.EscapedPath())
	assert.Equal(t, []string{"k1", "k2"}, r.URL.Query()["encryptionConfig.kmsKeyNames"])
	assert.Equal(t, "Svc.Op", r.Header.Get("X-Amz-Target"))
	assert.Equal(t, "application/x-amz-json-1.1", r.Header.Get("Content-Type"))
	assert.Equal(t, "backupcopy-go/"+Version+" mytool/2", r.Header.Get("User-Agent"))
}

func TestLoggerRedactsAndReportsRetries(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := newRecorder(t, status(503, "x", "X-Request-Id", "rid-9"), status(200, "{}"))
	c := newTestClient(t, rec.srv.URL, func(c *Config) {
		c.Logger = logger
		c.RequestIDHeaders = []string{"X-Request-Id"}
		c.Auth = headerAuth{"Authorization": "Bearer supersecret"}
	})
	_, err := c.Do(context.Background(), &Request{Op: "Get", Method: "GET", Path: NewPath("v1"), Mode: Idempotent})
	require.NoError(t, err)
	out := buf.String()
	assert.Contains(t, out, "backupcopy: retrying")
	assert.Contains(t, out, "request_id=rid-9")
	assert.Contains(t, out, "attempt=1")
	assert.Contains(t, out, "status=503")
	assert.NotContains(t, out, "supersecret")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestErrorsAsThroughWrappers(t *testing.T) {
	sentinel := errors.New("svc error")
	rec := newRecorder(t)
	rec.fallbck = status(503, "x")
	c := newTestClient(t, rec.srv.URL, func(c *Config) {
		c.DecodeAPIError = func(string, *Response) error { return fmt.Errorf("wrapped: %w", sentinel) }
	})
	ctx, cancel := context.WithCancel(context.Background())
	c.clk.OnSleep = func(time.Duration) { cancel() }
	_, err := c.Do(ctx, &Request{Op: "Get", Method: "GET", Path: NewPath("v1"), Mode: Idempotent})
	assert.ErrorIs(t, err, sentinel)
	assert.ErrorIs(t, err, context.Canceled)
}

// IDs and names travel in JSON bodies too, where invalid UTF-8 would be
// replaced, so a segment must be valid UTF-8 (and its bytes are not echoed).
func TestSegmentMustBeUTF8(t *testing.T) {
	err := CheckSegment("Req.ID", "backup\xff")
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "must be valid UTF-8", ve.Rule)
	assert.Empty(t, ve.Value)
	require.Error(t, CheckName("Parent", "projects/p\xc3/instances/i", "projects/*/instances/*"))
	require.NoError(t, CheckSegment("Req.ID", "sauvegarde-été"))
}

// A 2xx answer with an empty body to a call that expects a result is a
// broken answer (a *MalformedResponseError wrapping ErrEmptyBody), never a zero result;
// a call without Out accepts it.
func TestEmptyBodyIsBrokenAnswer(t *testing.T) {
	rec := newRecorder(t)
	rec.fallbck = status(200, ``)
	c := newTestClient(t, rec.srv.URL)
	_, _, err := Call[struct{ Items []int }](context.Background(), c.Client, &Request{Op: "ListX", Method: "GET", Path: NewPath("v1", "x"), Mode: Idempotent})
	var me *MalformedResponseError
	require.ErrorAs(t, err, &me)
	assert.ErrorIs(t, err, ErrEmptyBody)
	assert.Equal(t, "ListX", me.Op)
	assert.Contains(t, err.Error(), "ListX: the response cannot be read: the body is empty")

	_, err = c.Do(context.Background(), &Request{Op: "Delete", Method: "DELETE", Path: NewPath("v1", "x"), Mode: Idempotent})
	assert.NoError(t, err, "no result expected, none needed")
}

type failingAuth struct{ err error }

func (a failingAuth) Authenticate(context.Context, *http.Request, []byte) error { return a.err }

// Every call error is a *backupcopy.CallError saying why (Kind), whether the
// request may have reached the server (Sent), after how many attempts, with
// the status and request id of the last answer.
func TestCallError(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	cases := []struct {
		name     string
		script   []func(http.ResponseWriter, *http.Request)
		fallback func(http.ResponseWriter, *http.Request)
		auth     Authenticator
		req      Request
		kind     backupcopy.Kind
		sent     backupcopy.Sent
		attempts int
		status   int
		sends    int
		msg      string
	}{
		{name: "credentials refused before sending", auth: failingAuth{errors.New("no credentials")},
			req: Request{Op: "Get", Method: "GET", Mode: Idempotent}, kind: backupcopy.PermissionDenied, sent: backupcopy.SentNever,
			attempts: 1, msg: "test: Get: authenticating: no credentials"},
		{name: "token endpoint unreachable", auth: failingAuth{fmt.Errorf("token: %w", refused)},
			req: Request{Op: "Get", Method: "GET", Mode: Idempotent}, kind: backupcopy.Transient, sent: backupcopy.SentNever, attempts: 1},
		{name: "404", fallback: status(404, "no", "X-Request-Id", "rid-4"),
			req: Request{Op: "Get", Method: "GET", Mode: Idempotent}, kind: backupcopy.NotFound, sent: backupcopy.SentYes,
			attempts: 1, status: 404, sends: 1, msg: "test: Get: HTTP 404: no"},
		{name: "read outage", fallback: status(503, "down"),
			req: Request{Op: "Get", Method: "GET", Mode: Idempotent}, kind: backupcopy.Transient, sent: backupcopy.SentYes,
			attempts: 4, status: 503, sends: 4},
		{name: "create outage: outcome unknown", fallback: status(503, "down"),
			req: Request{Op: "Copy", Method: "POST", Writes: true, Mode: Idempotent}, kind: backupcopy.OutcomeUnknown,
			sent: backupcopy.SentYes, attempts: 4, status: 503, sends: 4},
		{name: "create 5xx not idempotent: sent once", fallback: status(502, "gw"),
			req: Request{Op: "Copy", Method: "POST", Writes: true}, kind: backupcopy.OutcomeUnknown,
			sent: backupcopy.SentYes, attempts: 1, status: 502, sends: 1},
		{name: "create throttled then refused", script: []func(http.ResponseWriter, *http.Request){status(429, "slow")},
			fallback: status(400, "bad"), req: Request{Op: "Copy", Method: "POST", Writes: true},
			kind: backupcopy.InvalidInput, sent: backupcopy.SentYes, attempts: 2, status: 400, sends: 2},
		{name: "broken 2xx body of a create", fallback: status(200, "{"),
			req: Request{Op: "Copy", Method: "POST", Writes: true}, kind: backupcopy.OutcomeUnknown,
			sent: backupcopy.SentYes, attempts: 1, status: 200, sends: 1, msg: "test: Copy: the response cannot be read: unexpected end of JSON input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, tc.script...)
			if tc.fallback != nil {
				rec.fallbck = tc.fallback
			}
			c := newTestClient(t, rec.srv.URL, func(c *Config) {
				c.Auth = tc.auth
				c.RequestIDHeaders = []string{"X-Request-Id"}
			})
			req := tc.req
			req.Path = NewPath("v1")
			var out map[string]any
			req.Out = &out
			_, err := c.Do(context.Background(), &req)
			var ce *backupcopy.CallError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.kind, ce.Kind, "kind")
			assert.Equal(t, tc.kind, backupcopy.KindOf(err))
			assert.Equal(t, tc.sent, ce.Sent, "sent")
			assert.Equal(t, tc.attempts, ce.Attempts, "attempts")
			assert.Equal(t, tc.status, ce.HTTPStatus, "status")
			assert.Equal(t, tc.sends, rec.count(), "requests sent")
			assert.Equal(t, "test", ce.Service)
			assert.Equal(t, req.Op, ce.Operation)
			if tc.status == 404 {
				assert.Equal(t, "rid-4", ce.RequestID)
			}
			if tc.msg != "" {
				assert.EqualError(t, err, tc.msg)
			}
		})
	}
}

// A dial that fails never reached the server: retried even for a request
// that is not idempotent, and reported as SentNever.
func TestUnsentIsRetried(t *testing.T) {
	rec := newRecorder(t)
	u := rec.srv.URL
	rec.srv.Close() // nothing listens there any more
	c := newTestClient(t, u)
	_, err := c.Do(context.Background(), &Request{Op: "Copy", Method: "POST", Writes: true, Path: NewPath("v1")})
	var ce *backupcopy.CallError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, backupcopy.Transient, ce.Kind)
	assert.Equal(t, backupcopy.SentNever, ce.Sent)
	assert.Equal(t, DefaultMaxAttempts, ce.Attempts)
	assert.True(t, strings.HasPrefix(err.Error(), "test: Copy: Post "), err.Error())
}

// RetryPoll is Retryable for a read: transient failures and throttling are
// polled again, a refused credential or a missing resource ends the Wait.
func TestRetryPoll(t *testing.T) {
	for _, tc := range []struct {
		kind backupcopy.Kind
		want bool
	}{
		{backupcopy.Transient, true}, {backupcopy.Throttled, true}, {backupcopy.AtLimit, false},
		{backupcopy.PermissionDenied, false}, {backupcopy.NotFound, false}, {backupcopy.Canceled, false},
		{backupcopy.OutcomeUnknown, false}, {backupcopy.CopyFailed, false},
	} {
		err := &backupcopy.CallError{Kind: tc.kind, Sent: backupcopy.SentYes, Err: errors.New("x")}
		assert.Equal(t, tc.want, RetryPoll(err), tc.kind.String())
	}
}
