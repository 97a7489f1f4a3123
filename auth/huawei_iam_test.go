package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy"
)

// hwClock is a settable clock for the token source.
type hwClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *hwClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *hwClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// iamServer is a fake IAM token endpoint. Its clock may differ from the
// token source's.
type iamServer struct {
	srv   *httptest.Server
	calls atomic.Int32
	now   func() time.Time
	life  time.Duration
	// status, when not 0, is answered with errBody instead of a token.
	status  atomic.Int32
	errBody atomic.Value
	// gate, when set, holds each request until the channel is closed.
	gate     atomic.Pointer[chan struct{}]
	lastBody atomic.Value
	lastURL  atomic.Value
}

func newIAMServer(t *testing.T, now func() time.Time) *iamServer {
	s := &iamServer{now: now, life: 24 * time.Hour}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		s.lastBody.Store(string(b))
		s.lastURL.Store(r.URL.String())
		if g := s.gate.Load(); g != nil {
			<-*g
		}
		if r.URL.Path != "/v3/auth/tokens" || r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(404)
			return
		}
		w.Header().Set("X-Request-Id", fmt.Sprintf("req-iam-%d", n))
		if st := s.status.Load(); st != 0 {
			w.WriteHeader(int(st))
			io.WriteString(w, s.errBody.Load().(string))
			return
		}
		issued := s.now().UTC()
		w.Header().Set("X-Subject-Token", fmt.Sprintf("MIIT-%d", n))
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"token":{"expires_at":%q,"issued_at":%q,"methods":["password"],"user":{"name":"user"}}}`,
			issued.Add(s.life).Format("2006-01-02T15:04:05.000000Z"), issued.Format("2006-01-02T15:04:05.000000Z"))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// hold makes the server hold requests until the returned func is called; the
// test's cleanup calls it too (before the server closes), so a failing test
// does not hang.
func (s *iamServer) hold(t *testing.T) (release func()) {
	gate := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	s.gate.Store(&gate)
	t.Cleanup(release)
	return release
}

func (s *iamServer) fail(status int, body string) {
	s.errBody.Store(body)
	s.status.Store(int32(status))
}

func newTestIAM(t *testing.T, srv *iamServer, clock *hwClock) *HuaweiIAMTokenSource {
	t.Helper()
	ts, err := NewHuaweiIAMTokenSource(HuaweiIAMConfig{Endpoint: srv.srv.URL, DomainName: "acct", UserName: "user", Password: "Pa55w0rd!", ProjectID: "proj-9", Now: clock.Now})
	require.NoError(t, err)
	return ts
}

func hwToken(t *testing.T, ts *HuaweiIAMTokenSource) string {
	t.Helper()
	tok, err := ts.Token(context.Background())
	require.NoError(t, err)
	return tok
}

func TestHuaweiIAMTokenRequest(t *testing.T) {
	clock := &hwClock{t: hwAt}
	srv := newIAMServer(t, clock.Now)
	ts := newTestIAM(t, srv, clock)
	req := httptest.NewRequest("GET", "https://cbr.example/v3/proj-9/backups/b", nil)
	require.NoError(t, ts.Authenticate(context.Background(), req, nil))
	assert.Equal(t, "MIIT-1", req.Header.Get("X-Auth-Token"))
	assert.Equal(t, "proj-9", req.Header.Get("X-Project-Id"))
	assert.JSONEq(t, `{"auth":{"identity":{"methods":["password"],"password":{"user":{"domain":{"name":"acct"},"name":"user","password":"Pa55w0rd!"}}},"scope":{"project":{"id":"proj-9"}}}}`,
		srv.lastBody.Load().(string))
	assert.Equal(t, "/v3/auth/tokens?nocatalog=true", srv.lastURL.Load())
}

func TestHuaweiIAMCachingAndRefresh(t *testing.T) {
	clock := &hwClock{t: hwAt}
	srv := newIAMServer(t, clock.Now)
	ts := newTestIAM(t, srv, clock)

	assert.Equal(t, "MIIT-1", hwToken(t, ts))
	assert.Equal(t, "MIIT-1", hwToken(t, ts))
	assert.Equal(t, int32(1), srv.calls.Load(), "cached")

	clock.Advance(17*time.Hour + 59*time.Minute) // 6h01m of 24h left: more than a quarter
	assert.Equal(t, "MIIT-1", hwToken(t, ts))
	clock.Advance(2 * time.Minute) // 5h59m left: replaced
	assert.Equal(t, "MIIT-2", hwToken(t, ts))
	assert.Equal(t, "MIIT-2", hwToken(t, ts))
	assert.Equal(t, int32(2), srv.calls.Load())

	// A failed early refresh falls back to the still valid token...
	clock.Advance(19 * time.Hour)
	srv.fail(503, `{"error_code":"IAM.0000","error_msg":"busy"}`)
	assert.Equal(t, "MIIT-2", hwToken(t, ts))
	// ...but never to one about to expire.
	clock.Advance(4*time.Hour + 59*time.Minute + 30*time.Second)
	_, err := ts.Token(context.Background())
	var ie *HuaweiIAMError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, 503, ie.StatusCode)
	srv.status.Store(0)
	assert.Regexp(t, `^MIIT-\d+$`, hwToken(t, ts))
}

func TestHuaweiIAMLifetimeFromIssuedAt(t *testing.T) {
	// IAM's clock is 3 hours ahead of ours: the lifetime still counts from
	// the moment the token arrived.
	clock := &hwClock{t: hwAt}
	srv := newIAMServer(t, func() time.Time { return clock.Now().Add(3 * time.Hour) })
	ts := newTestIAM(t, srv, clock)
	assert.Equal(t, "MIIT-1", hwToken(t, ts))
	clock.Advance(17 * time.Hour)
	assert.Equal(t, "MIIT-1", hwToken(t, ts), "expires_at alone would call for a refresh")
	clock.Advance(90 * time.Minute)
	assert.Equal(t, "MIIT-2", hwToken(t, ts))
}

func TestHuaweiIAMShortLivedToken(t *testing.T) {
	clock := &hwClock{t: hwAt}
	srv := newIAMServer(t, clock.Now)
	srv.life = time.Hour // the refresh margin is capped at half the lifetime
	ts := newTestIAM(t, srv, clock)
	assert.Equal(t, "MIIT-1", hwToken(t, ts))
	clock.Advance(29 * time.Minute)
	assert.Equal(t, "MIIT-1", hwToken(t, ts))
	clock.Advance(2 * time.Minute)
	assert.Equal(t, "MIIT-2", hwToken(t, ts))

	srv.life = 30 * time.Second
	ts.Invalidate()
	_, err := ts.Token(context.Background())
	assert.ErrorContains(t, err, "too soon to use")
}

func TestHuaweiIAMSharedRefresh(t *testing.T) {
	clock := &hwClock{t: hwAt}
	srv := newIAMServer(t, clock.Now)
	release := srv.hold(t)
	ts := newTestIAM(t, srv, clock)

	var wg sync.WaitGroup
	toks := make([]string, 50)
	errs := make([]error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("GET", "https://cbr/", nil)
			errs[i] = ts.Authenticate(context.Background(), req, nil)
			toks[i] = req.Header.Get("X-Auth-Token")
		}()
	}
	require.Eventually(t, func() bool { return srv.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond) // let every caller reach the wait
	release()
	wg.Wait()
	for i := range 50 {
		require.NoError(t, errs[i])
		assert.Equal(t, "MIIT-1", toks[i])
	}
	assert.Equal(t, int32(1), srv.calls.Load(), "50 callers share one refresh")
}

func TestHuaweiIAMInvalidate(t *testing.T) {
	clock := &hwClock{t: hwAt}
	srv := newIAMServer(t, clock.Now)
	ts := newTestIAM(t, srv, clock)
	var _ Invalidator = ts
	assert.Equal(t, "MIIT-1", hwToken(t, ts))
	ts.Invalidate()
	assert.Equal(t, "MIIT-2", hwToken(t, ts))
	assert.Equal(t, "MIIT-2", hwToken(t, ts))
	ts.Invalidate()
	ts.Invalidate()
	assert.Equal(t, "MIIT-3", hwToken(t, ts))
	assert.Equal(t, int32(3), srv.calls.Load())
}

func TestHuaweiIAMErrors(t *testing.T) {
	for _, tt := range []struct {
		name, body       string
		status           int
		code, msg, reqID string
	}{
		{"keystone shape", `{"error":{"code":"1101","message":"The username or password is wrong.","title":"Unauthorized"}}`, 401, "1101", "The username or password is wrong.", "req-iam-1"},
		{"numeric code", `{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}`, 401, "401", "The request you have made requires authentication.", "req-iam-1"},
		{"error_code shape", `{"error_code":"IAM.0011","error_msg":"Request parameter error."}`, 400, "IAM.0011", "Request parameter error.", "req-iam-1"},
		{"title only", `{"error":{"title":"Forbidden"}}`, 403, "", "Forbidden", "req-iam-1"},
		{"not JSON", `<html>oops</html>`, 404, "", "Not Found", "req-iam-1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := &hwClock{t: hwAt}
			srv := newIAMServer(t, clock.Now)
			srv.fail(tt.status, tt.body)
			ts := newTestIAM(t, srv, clock)
			_, err := ts.Token(context.Background())
			var ie *HuaweiIAMError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, HuaweiIAMError{StatusCode: tt.status, Code: tt.code, Message: tt.msg, RequestID: tt.reqID}, *ie)
			assert.Contains(t, err.Error(), fmt.Sprintf("HTTP %d", tt.status))
			assert.Contains(t, err.Error(), tt.msg)
			assert.Contains(t, err.Error(), "req-iam-1")
			assert.NotContains(t, err.Error(), "Pa55w0rd!")
			assert.NotContains(t, fmt.Sprintf("%+v", err), "Pa55w0rd!")
		})
	}

	t.Run("refusal is remembered for a minute", func(t *testing.T) {
		clock := &hwClock{t: hwAt}
		srv := newIAMServer(t, clock.Now)
		srv.fail(401, `{"error":{"code":"1101","message":"The username or password is wrong."}}`)
		ts := newTestIAM(t, srv, clock)
		_, err1 := ts.Token(context.Background())
		_, err2 := ts.Token(context.Background())
		require.Error(t, err1)
		assert.Same(t, err1, err2)
		assert.Equal(t, int32(1), srv.calls.Load(), "no second login attempt")
		clock.Advance(61 * time.Second)
		srv.status.Store(0)
		assert.Equal(t, "MIIT-2", hwToken(t, ts))
	})
	t.Run("transient failures are retried by the call path", func(t *testing.T) {
		clock := &hwClock{t: hwAt}
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				w.WriteHeader(502)
				return
			}
			w.Header().Set("X-Subject-Token", "MIIT-ok")
			w.WriteHeader(201)
			json.NewEncoder(w).Encode(map[string]any{"token": map[string]string{"expires_at": hwAt.Add(24 * time.Hour).Format(time.RFC3339Nano)}})
		}))
		defer srv.Close()
		ts, err := NewHuaweiIAMTokenSource(HuaweiIAMConfig{Endpoint: srv.URL, DomainName: "a", UserName: "u", Password: "p", ProjectID: "x", Now: clock.Now})
		require.NoError(t, err)
		assert.Equal(t, "MIIT-ok", hwToken(t, ts))
		assert.Equal(t, int32(2), n.Load())
	})
	t.Run("no X-Subject-Token", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(201)
			io.WriteString(w, `{"token":{"expires_at":"2030-01-01T00:00:00.000000Z"}}`)
		}))
		defer srv.Close()
		ts, err := NewHuaweiIAMTokenSource(HuaweiIAMConfig{Endpoint: srv.URL, DomainName: "a", UserName: "u", Password: "p", ProjectID: "x"})
		require.NoError(t, err)
		_, err = ts.Token(context.Background())
		assert.ErrorContains(t, err, "X-Subject-Token")
	})
	t.Run("bad expires_at", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Subject-Token", "MIIT")
			w.WriteHeader(201)
			io.WriteString(w, `{"token":{"expires_at":"tomorrow"}}`)
		}))
		defer srv.Close()
		ts, err := NewHuaweiIAMTokenSource(HuaweiIAMConfig{Endpoint: srv.URL, DomainName: "a", UserName: "u", Password: "p", ProjectID: "x"})
		require.NoError(t, err)
		_, err = ts.Token(context.Background())
		assert.ErrorContains(t, err, `expires_at "tomorrow"`)
	})
}

func TestHuaweiIAMContexts(t *testing.T) {
	clock := &hwClock{t: hwAt}
	srv := newIAMServer(t, clock.Now)
	release := srv.hold(t)
	ts := newTestIAM(t, srv, clock)

	// The first caller starts the refresh, then gives up.
	ctx1, cancel1 := context.WithCancel(context.Background())
	err1 := make(chan error, 1)
	go func() { _, err := ts.Token(ctx1); err1 <- err }()
	require.Eventually(t, func() bool { return srv.calls.Load() == 1 }, 5*time.Second, time.Millisecond)

	// A second caller waits on that refresh; its own deadline ends its wait.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel2()
	start := time.Now()
	_, err := ts.Token(ctx2)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)

	// A third caller waits with no deadline.
	tok3 := make(chan string, 1)
	go func() { tok, _ := ts.Token(context.Background()); tok3 <- tok }()

	cancel1()
	assert.ErrorIs(t, <-err1, context.Canceled)

	// The refresh is not tied to the first caller's context: it completes and
	// serves the third caller, with no second request.
	release()
	assert.Equal(t, "MIIT-1", <-tok3)
	assert.Equal(t, int32(1), srv.calls.Load())
	assert.Equal(t, "MIIT-1", hwToken(t, ts))

	// Once a valid token is cached, a caller whose context has ended while a
	// refresh is under way still gets it.
	release2 := srv.hold(t)
	clock.Advance(19 * time.Hour)
	ctx4, cancel4 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel4()
	tok, err := ts.Token(ctx4)
	require.NoError(t, err)
	assert.Equal(t, "MIIT-1", tok)
	release2()
	require.Eventually(t, func() bool { tok, _ := ts.Token(context.Background()); return tok == "MIIT-2" }, 5*time.Second, 5*time.Millisecond)
}

func TestHuaweiIAMConfigValidation(t *testing.T) {
	ok := HuaweiIAMConfig{DomainName: "a", UserName: "u", Password: "p", ProjectID: "x", Region: "cn-north-4"}
	ts, err := NewHuaweiIAMTokenSource(ok)
	require.NoError(t, err)
	assert.Equal(t, "https://iam.cn-north-4.myhuaweicloud.com/v3/auth/tokens?nocatalog=true", ts.url)

	for name, mutate := range map[string]func(c *HuaweiIAMConfig){
		"no domain":          func(c *HuaweiIAMConfig) { c.DomainName = "" },
		"no user":            func(c *HuaweiIAMConfig) { c.UserName = "" },
		"no password":        func(c *HuaweiIAMConfig) { c.Password = "" },
		"no project":         func(c *HuaweiIAMConfig) { c.ProjectID = "" },
		"project with CRLF":  func(c *HuaweiIAMConfig) { c.ProjectID = "x\r\nEvil: 1" },
		"no region":          func(c *HuaweiIAMConfig) { c.Region = "" },
		"region with path":   func(c *HuaweiIAMConfig) { c.Region = "cn/../evil" },
		"region with host":   func(c *HuaweiIAMConfig) { c.Region = "evil.com#" },
		"plain http":         func(c *HuaweiIAMConfig) { c.Endpoint = "http://iam.example.com" },
		"endpoint with user": func(c *HuaweiIAMConfig) { c.Endpoint = "https://u:p@iam.example.com" },
	} {
		t.Run(name, func(t *testing.T) {
			c := ok
			mutate(&c)
			_, err := NewHuaweiIAMTokenSource(c)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "Pa55")
		})
	}
	c := ok
	c.Endpoint = "http://127.0.0.1:1"
	_, err = NewHuaweiIAMTokenSource(c)
	assert.NoError(t, err, "http on loopback")
	assert.False(t, errors.Is(err, context.Canceled))
}

// TestHuaweiIAMHungEndpoint: a token endpoint that never answers fails a
// caller with context.Background() at the refresh bound, with a Transient
// error, and the next call tries again.
func TestHuaweiIAMHungEndpoint(t *testing.T) {
	clock := &hwClock{t: hwAt}
	srv := newIAMServer(t, clock.Now)
	srv.hold(t)
	ts, err := NewHuaweiIAMTokenSource(HuaweiIAMConfig{Endpoint: srv.srv.URL, DomainName: "acct", UserName: "user",
		Password: "Pa55w0rd!", ProjectID: "proj-9", Now: clock.Now, Timeout: 100 * time.Millisecond})
	require.NoError(t, err)
	req := httptest.NewRequest("GET", "https://cbr.example/v3/proj-9/backups/b", nil)
	err = ts.Authenticate(context.Background(), req, nil)
	require.Error(t, err)
	assert.Equal(t, backupcopy.Transient, backupcopy.KindOf(err))
	assert.EqualError(t, err, "auth: Huawei IAM token: no answer within 100ms: the endpoint is slow, down or unreachable; later calls try again")
	assert.Empty(t, req.Header.Get(HuaweiAuthTokenHeader))
	_, err = ts.Token(context.Background())
	require.Error(t, err)
	assert.Equal(t, int32(2), srv.calls.Load(), "a timed-out refresh is not cached")
}

func TestHuaweiIAMErrorKinds(t *testing.T) {
	for _, tt := range []struct {
		status int
		kind   backupcopy.Kind
		calls  int32
	}{
		{401, backupcopy.PermissionDenied, 1},
		{403, backupcopy.PermissionDenied, 1},
		{400, backupcopy.PermissionDenied, 1},
		{500, backupcopy.Transient, huaweiIAMAttempts},
		{503, backupcopy.Transient, huaweiIAMAttempts},
		{429, backupcopy.Throttled, huaweiIAMAttempts},
	} {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			clock := &hwClock{t: hwAt}
			srv := newIAMServer(t, clock.Now)
			srv.fail(tt.status, `{"error_code":"IAM.0001","error_msg":"no"}`)
			ts := newTestIAM(t, srv, clock)
			_, err := ts.Token(context.Background())
			assert.Equal(t, tt.kind, backupcopy.KindOf(err))
			assert.Equal(t, tt.calls, srv.calls.Load())
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close() // nothing listens there now
		ts, err := NewHuaweiIAMTokenSource(HuaweiIAMConfig{Endpoint: srv.URL, DomainName: "a", UserName: "u", Password: "p", ProjectID: "x"})
		require.NoError(t, err)
		_, err = ts.Token(context.Background())
		assert.Equal(t, backupcopy.Transient, backupcopy.KindOf(err))
		assert.ErrorContains(t, err, "auth: Huawei IAM token: cannot reach "+srv.URL+"/v3/auth/tokens?nocatalog=true: ")
	})
	t.Run("answer too large", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Subject-Token", "MIIT")
			w.WriteHeader(201)
			w.Write(make([]byte, huaweiIAMMaxResponse+1))
		}))
		defer srv.Close()
		ts, err := NewHuaweiIAMTokenSource(HuaweiIAMConfig{Endpoint: srv.URL, DomainName: "a", UserName: "u", Password: "p", ProjectID: "x"})
		require.NoError(t, err)
		_, err = ts.Token(context.Background())
		assert.ErrorContains(t, err, "larger than 1048576 bytes")
	})
}

// TestHuaweiIAMRedirect: the password never follows a redirect to another
// host; the redirect answer is reported as IAM's.
func TestHuaweiIAMRedirect(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/v3/auth/tokens", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	ts, err := NewHuaweiIAMTokenSource(HuaweiIAMConfig{Endpoint: srv.URL, DomainName: "a", UserName: "u", Password: "p", ProjectID: "x",
		HTTPClient: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}})
	require.NoError(t, err)
	_, err = ts.Token(context.Background())
	var ie *HuaweiIAMError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, http.StatusTemporaryRedirect, ie.StatusCode)
	assert.Zero(t, leaked.Load(), "the request reached another host")
}
