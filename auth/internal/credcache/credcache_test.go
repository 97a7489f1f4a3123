package credcache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy"
)

// source is a Fetch that counts its calls, can be held, and answers with
// "tok-N" or with err.
type source struct {
	calls atomic.Int32
	gate  atomic.Pointer[chan struct{}]
	err   atomic.Pointer[error]
	life  time.Duration // RefreshAt is now+life; Expires now+2*life (0: never)
	now   func() time.Time
}

func (s *source) fetch(ctx context.Context) (Entry[string], error) {
	n := s.calls.Add(1)
	if g := s.gate.Load(); g != nil {
		select {
		case <-*g:
		case <-ctx.Done():
			return Entry[string]{}, ctx.Err()
		}
	}
	if e := s.err.Load(); e != nil {
		return Entry[string]{}, *e
	}
	e := Entry[string]{Value: "tok-" + string(rune('0'+n))}
	if s.life > 0 {
		e.RefreshAt = s.now().Add(s.life)
		e.Expires = s.now().Add(2 * s.life)
	}
	return e, nil
}

func (s *source) hold(t *testing.T) (release func()) {
	g := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(g) }) }
	s.gate.Store(&g)
	t.Cleanup(release)
	return release
}

func (s *source) fail(err error) { s.err.Store(&err) }
func (s *source) heal()          { s.err.Store(nil) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newCache(s *source, clk *clock) *Cache[string] {
	s.now = clk.Now
	return &Cache[string]{Name: "test: token", Fetch: s.fetch, Now: clk.Now}
}

func get(t *testing.T, c *Cache[string]) string {
	t.Helper()
	v, err := c.Get(context.Background())
	require.NoError(t, err)
	return v
}

func TestCacheSharedRefresh(t *testing.T) {
	s := &source{}
	c := newCache(s, &clock{t: time.Unix(1e9, 0)})
	release := s.hold(t)
	const callers = 40
	var wg sync.WaitGroup
	vals := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() { vals[i], errs[i] = c.Get(context.Background()) })
	}
	require.Eventually(t, func() bool { return s.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // let every caller reach the wait
	release()
	wg.Wait()
	for i := range callers {
		require.NoError(t, errs[i])
		assert.Equal(t, "tok-1", vals[i])
	}
	assert.Equal(t, int32(1), s.calls.Load(), "one refresh for every caller")
	assert.Equal(t, "tok-1", get(t, c))
	assert.Equal(t, int32(1), s.calls.Load(), "cached")
}

func TestCacheHungFetchFailsAtTheBound(t *testing.T) {
	for _, watchesCtx := range []bool{true, false} {
		t.Run(map[bool]string{true: "fetch watches ctx", false: "fetch ignores ctx"}[watchesCtx], func(t *testing.T) {
			stuck := make(chan struct{})
			t.Cleanup(func() { close(stuck) })
			var calls atomic.Int32
			c := &Cache[string]{Name: "test: token", Timeout: 50 * time.Millisecond,
				Fetch: func(ctx context.Context) (Entry[string], error) {
					calls.Add(1)
					if watchesCtx {
						select {
						case <-ctx.Done():
							return Entry[string]{}, ctx.Err()
						case <-stuck:
						}
					} else {
						<-stuck // as an oauth2.TokenSource whose endpoint hangs
					}
					return Entry[string]{Value: "late"}, nil
				}}
			_, err := c.Get(context.Background()) // no deadline of its own
			require.Error(t, err)
			assert.Equal(t, backupcopy.Transient, backupcopy.KindOf(err))
			assert.Equal(t, backupcopy.RetryLater, backupcopy.ClassOf(err))
			assert.EqualError(t, err, "test: token: no answer within 50ms: the endpoint is slow, down or unreachable; later calls try again")
			assert.False(t, errors.Is(err, context.DeadlineExceeded), "not the caller's deadline")

			// The failure is not cached: the next call tries again.
			_, err = c.Get(context.Background())
			require.Error(t, err)
			assert.Equal(t, int32(2), calls.Load())
		})
	}
}

func TestCacheFailedRefreshNotCached(t *testing.T) {
	s := &source{}
	c := newCache(s, &clock{t: time.Unix(1e9, 0)})
	refused := Errorf(backupcopy.PermissionDenied, "test: refused")
	s.fail(refused)
	_, err := c.Get(context.Background())
	assert.Same(t, refused, err)
	_, err = c.Get(context.Background())
	assert.Same(t, refused, err)
	assert.Equal(t, int32(2), s.calls.Load(), "each call tries again")
	s.heal()
	assert.Equal(t, "tok-3", get(t, c))
	assert.Equal(t, "tok-3", get(t, c))
	assert.Equal(t, int32(3), s.calls.Load())
}

func TestCacheHold(t *testing.T) {
	s := &source{}
	clk := &clock{t: time.Unix(1e9, 0)}
	c := newCache(s, clk)
	c.Hold = func(err error) time.Duration {
		if backupcopy.KindOf(err) == backupcopy.PermissionDenied {
			return time.Minute
		}
		return 0
	}
	refused := Errorf(backupcopy.PermissionDenied, "test: refused")
	s.fail(refused)
	_, err1 := c.Get(context.Background())
	_, err2 := c.Get(context.Background())
	assert.Same(t, refused, err1)
	assert.Same(t, refused, err2)
	assert.Equal(t, int32(1), s.calls.Load(), "held: no second fetch")
	clk.Advance(61 * time.Second)
	s.heal()
	assert.Equal(t, "tok-2", get(t, c))

	// A transient failure is not held.
	c.Invalidate()
	s.fail(Errorf(backupcopy.Transient, "test: 503"))
	_, err := c.Get(context.Background())
	require.Error(t, err)
	s.heal()
	assert.Equal(t, "tok-4", get(t, c))
}

func TestCacheInvalidate(t *testing.T) {
	s := &source{}
	c := newCache(s, &clock{t: time.Unix(1e9, 0)})
	assert.Equal(t, "tok-1", get(t, c))
	c.Invalidate()
	assert.Equal(t, "tok-2", get(t, c))
	assert.Equal(t, "tok-2", get(t, c))
	assert.Equal(t, int32(2), s.calls.Load())

	// A value fetched while Invalidate is called serves its waiters but is
	// not kept.
	release := s.hold(t)
	done := make(chan string)
	c.Invalidate()
	go func() { v, _ := c.Get(context.Background()); done <- v }()
	require.Eventually(t, func() bool { return s.calls.Load() == 3 }, 5*time.Second, time.Millisecond)
	c.Invalidate()
	release()
	assert.Equal(t, "tok-3", <-done)
	assert.Equal(t, "tok-4", get(t, c))
}

func TestCacheTiming(t *testing.T) {
	s := &source{life: time.Hour}
	clk := &clock{t: time.Unix(1e9, 0)}
	c := newCache(s, clk)
	assert.Equal(t, "tok-1", get(t, c))
	clk.Advance(59 * time.Minute)
	assert.Equal(t, "tok-1", get(t, c))
	clk.Advance(time.Minute) // at RefreshAt: due
	assert.Equal(t, "tok-2", get(t, c))

	// A failed refresh between RefreshAt and Expires falls back to the
	// cached value; after Expires it is never returned.
	clk.Advance(61 * time.Minute)
	s.fail(Errorf(backupcopy.Transient, "test: 503"))
	assert.Equal(t, "tok-2", get(t, c))
	clk.Advance(59 * time.Minute)
	_, err := c.Get(context.Background())
	assert.EqualError(t, err, "test: 503")
}

func TestCacheCallerContext(t *testing.T) {
	s := &source{}
	c := newCache(s, &clock{t: time.Unix(1e9, 0)})
	release := s.hold(t)

	// The first caller starts the refresh, then gives up: the refresh goes on.
	ctx1, cancel1 := context.WithCancel(context.Background())
	err1 := make(chan error, 1)
	go func() { _, err := c.Get(ctx1); err1 <- err }()
	require.Eventually(t, func() bool { return s.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	other := make(chan string, 1)
	go func() { v, _ := c.Get(context.Background()); other <- v }()
	cancel1()
	err := <-err1
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, backupcopy.Canceled, backupcopy.KindOf(err))
	assert.Contains(t, err.Error(), "test: token: stopped waiting for a refresh")

	release()
	assert.Equal(t, "tok-1", <-other, "the refresh served the caller still waiting")
	assert.Equal(t, int32(1), s.calls.Load())
}

func TestStatusKind(t *testing.T) {
	for status, want := range map[int]backupcopy.Kind{
		400: backupcopy.PermissionDenied, 401: backupcopy.PermissionDenied, 403: backupcopy.PermissionDenied,
		404: backupcopy.PermissionDenied, 408: backupcopy.Transient, 429: backupcopy.Throttled,
		500: backupcopy.Transient, 502: backupcopy.Transient, 503: backupcopy.Transient,
	} {
		assert.Equal(t, want, StatusKind(status), "%d", status)
	}
}
