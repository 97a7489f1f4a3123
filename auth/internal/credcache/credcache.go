// Package credcache is the one credential cache of backupcopy's auth
// packages. The Huawei IAM token source, the AWS credentials cache and the
// Google bearer authenticator each keep their credential in a [Cache]; they
// differ only in how they fetch one and when it is due.
//
// The design follows golang.org/x/oauth2's ReuseTokenSource (a plain cache
// in front of a fetch), with what a long-running copy needs on top: one
// refresh in flight shared by every caller, a time bound on each refresh that
// no caller's context can lift, and callers that stop waiting when their own
// context ends without cancelling the refresh for the others.
//
// It is an internal package of auth so that auth/google can use it too
// without it becoming public API.
package credcache

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/backupcopy/backupcopy"
)

// defaultTimeout bounds one refresh when Cache.Timeout is zero (the auth
// packages always set it, to auth.DefaultRefreshTimeout, whose doc says why
// 30 s, unless configured otherwise).
const defaultTimeout = 30 * time.Second

// Entry is one fetched credential and its timing, on the local clock.
type Entry[T any] struct {
	// Value is the credential.
	Value T
	// RefreshAt is when the credential is due for a refresh: from then on,
	// Get fetches a new one. Zero means never (until Invalidate).
	RefreshAt time.Time
	// Expires is when Value stops being usable: it is never returned at or
	// after this time. Between RefreshAt and Expires, Value is returned when
	// a refresh fails or a caller stops waiting for it. Zero means never.
	Expires time.Time
}

// Cache holds one credential and refreshes it. Set the exported fields
// before first use; a Cache must not be copied after first use. It is safe
// for concurrent use.
type Cache[T any] struct {
	// Name begins every error of the cache's own, e.g. "auth: Huawei IAM
	// token".
	Name string
	// Fetch obtains a new credential. ctx carries the refresh's time bound
	// and the values of the context of the caller that started it, never
	// that caller's cancellation. A Fetch that ignores ctx still has its
	// callers released at the bound; its late result is dropped.
	Fetch func(ctx context.Context) (Entry[T], error)
	// Timeout bounds one refresh (zero: 30 s).
	Timeout time.Duration
	// Hold, if set, returns how long a failed refresh's error is returned
	// again without a new fetch (zero: not at all). The Huawei IAM source
	// holds a refusal for a minute so that a wrong password does not run
	// into IAM's lockout.
	Hold func(err error) time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time

	mu        sync.Mutex
	entry     Entry[T]
	have      bool
	gen       uint64 // counts Invalidate calls
	flight    *flight[T]
	held      error
	heldUntil time.Time
}

// flight is one refresh that callers share.
type flight[T any] struct {
	done  chan struct{}
	entry Entry[T]
	err   error
}

// Get returns the cached credential while it is not due for a refresh.
// Otherwise it starts a refresh, or joins the one in flight, and waits for it
// no longer than ctx allows. A failed refresh is not cached: the next Get
// tries again (unless Hold says otherwise). When the refresh fails or ctx
// ends first, a cached credential that has not expired is returned instead
// of the error.
func (c *Cache[T]) Get(ctx context.Context) (T, error) {
	var zero T
	c.mu.Lock()
	now := c.now()
	if c.have && (c.entry.RefreshAt.IsZero() || now.Before(c.entry.RefreshAt)) {
		v := c.entry.Value
		c.mu.Unlock()
		return v, nil
	}
	f := c.flight
	if f == nil {
		if c.held != nil && now.Before(c.heldUntil) {
			err := c.held
			v, ok := c.usableLocked(now)
			c.mu.Unlock()
			if ok {
				return v, nil
			}
			return zero, err
		}
		f = &flight[T]{done: make(chan struct{})}
		c.flight = f
		go c.run(context.WithoutCancel(ctx), f, c.gen)
	}
	c.mu.Unlock()

	select {
	case <-f.done:
		if f.err == nil {
			return f.entry.Value, nil
		}
		if v, ok := c.usable(); ok {
			return v, nil
		}
		return zero, f.err
	case <-ctx.Done():
		if v, ok := c.usable(); ok {
			return v, nil
		}
		return zero, fmt.Errorf("%s: stopped waiting for a refresh: %w", c.Name, ctx.Err())
	}
}

// run fetches for f, within the time bound, and records the outcome. A
// credential fetched while Invalidate was called serves the callers that
// waited for it but is not kept.
func (c *Cache[T]) run(ctx context.Context, f *flight[T], gen uint64) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		entry Entry[T]
		err   error
	}
	ch := make(chan result, 1)
	go func() {
		e, err := c.Fetch(ctx)
		ch <- result{e, err}
	}()
	var r result
	got := false
	select {
	case r = <-ch:
		got = true
	case <-ctx.Done():
	}
	if ctx.Err() != nil && (!got || r.err != nil) {
		// The bound ran out (a fetch that watches ctx fails with it at
		// about the same time).
		r = result{err: Errorf(backupcopy.Transient,
			"%s: no answer within %s: the endpoint is slow, down or unreachable; later calls try again", c.Name, timeout)}
	}

	c.mu.Lock()
	f.entry, f.err = r.entry, r.err
	if r.err == nil && gen == c.gen {
		c.entry, c.have = r.entry, true
		c.held = nil
	}
	if r.err != nil && c.Hold != nil {
		if d := c.Hold(r.err); d > 0 {
			c.held, c.heldUntil = r.err, c.now().Add(d)
		}
	}
	c.flight = nil
	c.mu.Unlock()
	close(f.done)
}

// usable returns the cached credential if it has not expired.
func (c *Cache[T]) usable() (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.usableLocked(c.now())
}

func (c *Cache[T]) usableLocked(now time.Time) (T, bool) {
	if c.have && (c.entry.Expires.IsZero() || now.Before(c.entry.Expires)) {
		return c.entry.Value, true
	}
	var zero T
	return zero, false
}

// Invalidate drops the cached credential, so that the next Get fetches a new
// one. A refresh already in flight still serves its waiters, but its result
// is not kept. A held error stays held.
func (c *Cache[T]) Invalidate() {
	c.mu.Lock()
	c.entry, c.have = Entry[T]{}, false
	c.gen++
	c.mu.Unlock()
}

func (c *Cache[T]) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Error is a credential failure that knows its backupcopy.Kind: every
// error the auth packages return for missing, refused or failed credentials
// is one, so that backupcopy.KindOf and ClassOf answer for it.
type Error struct {
	// Kind is why the credential could not be had: PermissionDenied when
	// none is configured or the endpoint refused it, Transient when the
	// endpoint did not answer in time, could not be reached or failed with
	// a 5xx, Throttled for a 429.
	Kind backupcopy.Kind
	// Err is the one-line message, wrapping the cause when there is one.
	Err error
}

// Error returns Err's message.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// ErrorKind returns Kind.
func (e *Error) ErrorKind() backupcopy.Kind { return e.Kind }

// Errorf returns an *Error of kind with a message from fmt.Errorf (so %w
// wraps).
func Errorf(kind backupcopy.Kind, format string, args ...any) error {
	return &Error{Kind: kind, Err: fmt.Errorf(format, args...)}
}

// StatusKind is the Kind of a token endpoint's HTTP error status: Transient
// for 5xx and 408, Throttled for 429, PermissionDenied for the rest (the
// endpoint refused the credentials or the request).
func StatusKind(status int) backupcopy.Kind {
	switch {
	case status >= 500 || status == http.StatusRequestTimeout:
		return backupcopy.Transient
	case status == http.StatusTooManyRequests:
		return backupcopy.Throttled
	}
	return backupcopy.PermissionDenied
}
