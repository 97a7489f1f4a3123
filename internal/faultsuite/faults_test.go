package faultsuite

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/clientopt"
	"github.com/backupcopy/backupcopy/internal/faultproxy"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// outcome is what one run must end with.
type outcome struct {
	// failAt is the call that must fail ("" for none): the copy call, the
	// wait (kindPoll) or the read back (kindGet).
	failAt callKind
	// errIs tells the expected error; errName names it in the table.
	errIs   func(error) bool
	errName string
	// class is the expected backupcopy.ClassOf the error: what a caller is
	// told to do, the same on every cloud.
	class backupcopy.Class
	// copies is the number of copies the fake must hold at the end.
	copies int
}

var success = outcome{copies: 1}

func isDeadline(err error) bool { return errors.Is(err, context.DeadlineExceeded) }

func isTooLarge(err error) bool {
	var tl *rest.TooLargeError
	return errors.As(err, &tl)
}

// fault is one row of the table.
type fault struct {
	name string
	// wholeFlow faults are not aimed at one call kind: they run once per API
	// (the server's clock is off for every call).
	wholeFlow bool
	opts      setupOptions
	// rules returns the proxy rules for a run, or ok false when the fault
	// does not apply to the API (n/a).
	rules func(a *api, e *env, k callKind) (rules []faultproxy.Rule, ok bool)
	// applied is the proxy fault kind that must have been applied (at least
	// once) in every run: a cell whose fault never fired proves nothing.
	applied faultproxy.Kind
	// expect is the outcome; nil means success.
	expect func(a *api, k callKind) outcome
	// check makes fault-specific assertions after a run.
	check func(fail failFunc, a *api, e *env, k callKind, logs *logSink)
	// hang: the call of the chosen kind gets a short deadline.
	hang bool
	// kinds limits the call kinds (nil: all).
	kinds []callKind
}

func one(m matcher, f faultproxy.Fault) []faultproxy.Rule {
	return []faultproxy.Rule{{Match: m, Faults: []faultproxy.Fault{f}}}
}

func statusFault(status int) func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
	return func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
		body, hdr := a.serverError(status)
		// A 502 or 504 comes from a gateway whose backend may well have acted:
		// forward first. A 500 or 503 is the service refusing before acting.
		fwd := status == 502 || status == 504
		return one(a.match[k], faultproxy.Fault{Kind: faultproxy.Status, Status: status, Body: body, Header: hdr, Forward: fwd}), true
	}
}

type failFunc func(format string, args ...any)

func retriedWith(class string, minDelay time.Duration) func(fail failFunc, a *api, e *env, k callKind, logs *logSink) {
	return func(fail failFunc, a *api, e *env, k callKind, logs *logSink) {
		if len(logs.retries(class)) == 0 {
			fail("no retry of class %q was logged; retries: %v", class, logs.retries(""))
			return
		}
		if d := logs.maxDelay(class); d < minDelay {
			fail("the %s retry waited %v; the server asked for at least %v", class, d, minDelay)
		}
	}
}

var faults = []*fault{
	{
		name:    "connection refused",
		applied: faultproxy.RefuseConnect,
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			return one(a.match[k], faultproxy.Fault{Kind: faultproxy.RefuseConnect}), true
		},
		check: retriedWith("unsent", 0),
	},
	{
		name:    "lost response (processed, then reset)",
		applied: faultproxy.LoseResponse,
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			return one(a.match[k], faultproxy.Fault{Kind: faultproxy.LoseResponse}), true
		},
	},
	{
		name:    "connection closed before processing",
		applied: faultproxy.Refuse,
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			return one(a.match[k], faultproxy.Fault{Kind: faultproxy.Refuse}), true
		},
	},
	{name: "500", applied: faultproxy.Status, rules: statusFault(500)},
	{name: "502 (after processing)", applied: faultproxy.Status, rules: statusFault(502)},
	{name: "503", applied: faultproxy.Status, rules: statusFault(503)},
	{name: "504 (after processing)", applied: faultproxy.Status, rules: statusFault(504)},
	{
		name:    "429 Retry-After: 1 (seconds)",
		applied: faultproxy.Status,
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			body, hdr := throttleBody(a)
			hdr.Set("Retry-After", "1")
			return one(a.match[k], faultproxy.Fault{Kind: faultproxy.Status, Status: 429, Body: body, Header: hdr}), true
		},
		check: retriedWith("throttled", time.Second),
	},
	{
		name:    "429 Retry-After: HTTP date",
		applied: faultproxy.Status,
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			body, hdr := throttleBody(a)
			// the date is rounded up to the second: it lies 1-2 s ahead
			return one(a.match[k], faultproxy.Fault{Kind: faultproxy.Status, Status: 429, Body: body, Header: hdr, RetryAfterIn: time.Second}), true
		},
		check: retriedWith("throttled", 500*time.Millisecond),
	},
	{
		name:    "429 Retry-After: 3600 (over the 60 s cap)",
		applied: faultproxy.Status,
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			body, hdr := throttleBody(a)
			hdr.Set("Retry-After", "3600")
			return one(a.match[k], faultproxy.Fault{Kind: faultproxy.Status, Status: 429, Body: body, Header: hdr}), true
		},
		expect: func(a *api, k callKind) outcome {
			if k == kindPoll {
				return success // Wait polls again on its own schedule
			}
			n := 1
			if k == kindCopy {
				n = 0
			}
			// the call gives up at once with the 429, instead of sleeping an hour
			return outcome{failAt: k, errIs: func(err error) bool { return a.statusOf(err) == 429 }, errName: "429",
				class: backupcopy.RetryLater, copies: n}
		},
	},
	{
		name:    "RetryInfo 400ms (Google)",
		applied: faultproxy.Status,
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			if a.retryInfo == nil {
				return nil, false
			}
			return one(a.match[k], a.retryInfo(400*time.Millisecond)), true
		},
		check: retriedWith("throttled", 400*time.Millisecond),
	},
	{
		name:    "throttling code",
		applied: faultproxy.Status,
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			if a.throttle == nil {
				return nil, false
			}
			return one(a.match[k], *a.throttle), true
		},
		check: retriedWith("throttled", 0),
	},
	{
		name:    "503 on every attempt (outage)",
		applied: faultproxy.Status,
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			body, hdr := a.serverError(503)
			return []faultproxy.Rule{{Match: a.match[k], Repeat: true,
				Faults: []faultproxy.Fault{{Kind: faultproxy.Status, Status: 503, Body: body, Header: hdr}}}}, true
		},
		expect: func(a *api, k callKind) outcome {
			n := 1
			if k == kindCopy {
				n = 0
			}
			// A copy whose every answer was a 5xx may have started: check first.
			class := backupcopy.RetryLater
			if k == kindCopy {
				class = backupcopy.CheckFirst
			}
			return outcome{failAt: k, errIs: func(err error) bool { return a.statusOf(err) == 503 }, errName: "503", class: class, copies: n}
		},
	},
	{
		name:    "lost copy response, server clock 10 min behind (unnoticed)",
		applied: faultproxy.LoseResponse,
		opts:    setupOptions{behind: 10 * time.Minute},
		kinds:   []callKind{kindCopy},
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			return one(a.match[k], faultproxy.Fault{Kind: faultproxy.LoseResponse}), true
		},
	},
	{
		name:    "truncated JSON",
		applied: faultproxy.Truncate,
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			return one(a.match[k], faultproxy.Fault{Kind: faultproxy.Truncate}), true
		},
	},
	{
		name:    "endless body",
		applied: faultproxy.Endless,
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			return one(a.match[k], faultproxy.Fault{Kind: faultproxy.Endless}), true
		},
		expect: func(a *api, k callKind) outcome {
			if a.name == "cbr" && k == kindCopy {
				// cbr cannot tell whether an unreadable answer started a
				// replication: it reads the records, finds none, sends again.
				return success
			}
			n := 1
			if k == kindCopy {
				n = 0 // the proxy answered without forwarding
			}
			// The same answer would come again; a copy's effect is unknown.
			class := backupcopy.GiveUp
			if k == kindCopy {
				class = backupcopy.CheckFirst
			}
			return outcome{failAt: k, errIs: isTooLarge, errName: "too-large", class: class, copies: n}
		},
	},
	{
		name:    "server never answers (deadline)",
		applied: faultproxy.Hang,
		hang:    true,
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			return one(a.match[k], faultproxy.Fault{Kind: faultproxy.Hang}), true
		},
		expect: func(a *api, k callKind) outcome {
			n := 1
			if k == kindCopy {
				n = 0
			}
			// A copy request in flight when the deadline came may have started.
			class := backupcopy.RetryLater
			if k == kindCopy {
				class = backupcopy.CheckFirst
			}
			return outcome{failAt: k, errIs: isDeadline, errName: "deadline", class: class, copies: n}
		},
	},
	{
		name:    "token expired mid-wait (401, fresh token works)",
		applied: faultproxy.Status,
		opts:    setupOptions{refreshingToken: true},
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			if a.tokenExpired == nil || e.staleToken == nil {
				return nil, false
			}
			// every request of that kind with the first token is refused
			return []faultproxy.Rule{{Match: faultproxy.All(a.match[k], e.staleToken), Faults: []faultproxy.Fault{*a.tokenExpired}, Repeat: true}}, true
		},
		check: func(fail failFunc, a *api, e *env, k callKind, logs *logSink) {
			retriedWith("auth-expired", 0)(fail, a, e, k, logs)
			if n := e.refreshes(); n != 2 {
				fail("%d tokens were obtained; want 2 (the first, and one after the 401)", n)
			}
		},
	},
	{
		name:    "credentials refused on every attempt",
		applied: faultproxy.Status,
		opts:    setupOptions{refreshingToken: true},
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			if a.tokenExpired == nil {
				return nil, false
			}
			return []faultproxy.Rule{{Match: a.match[k], Faults: []faultproxy.Fault{*a.tokenExpired}, Repeat: true}}, true
		},
		expect: func(a *api, k callKind) outcome {
			n := 1
			if k == kindCopy {
				n = 0
			}
			// A refused credential is PermissionDenied on every cloud, and a
			// Wait stops at it instead of polling on for minutes.
			return outcome{failAt: k, errIs: func(err error) bool {
				return a.statusOf(err) == a.tokenExpired.Status && backupcopy.KindOf(err) == backupcopy.PermissionDenied
			}, errName: "auth", class: backupcopy.GiveUp, copies: n}
		},
		check: func(fail failFunc, a *api, e *env, k callKind, logs *logSink) {
			// one refresh and one more attempt, no loop: a Wait stops at the
			// first poll that the refreshed credential cannot make either
			if n := len(logs.retries("auth-expired")); n != 1 {
				fail("%d auth-expired retries were logged; want 1", n)
			}
			refused := 0
			for _, r := range logs.Records() {
				if r.Attrs["kind"] == backupcopy.PermissionDenied.String() {
					refused++
				}
			}
			if refused != 2 {
				fail("%d attempts were refused; want 2 (the first and the one after the refresh)", refused)
			}
		},
	},
	{
		name:      "clock skew: signature expired, server Date +20 min",
		wholeFlow: true,
		opts:      setupOptions{skew: true},
		applied:   faultproxy.Pass,
		rules: func(a *api, e *env, k callKind) ([]faultproxy.Rule, bool) {
			return nil, a.skewable
		},
		check: retriedWith("clock-skew", 0),
	},
}

// throttleBody is the API's 429 body (its throttling answer, or Google's
// RESOURCE_EXHAUSTED).
func throttleBody(a *api) (string, http.Header) {
	if a.throttle != nil {
		return a.throttle.Body, a.throttle.Header.Clone()
	}
	f := a.retryInfo(0)
	return f.Body, f.Header.Clone()
}

// giveUp ends a Wait after a few failed polls in a row (the default is
// minutes of them).
var giveUp = lro.WithMaxPollErrors(4, 0)

// result is one run's line in a cell.
type result struct {
	kind callKind
	note string
	ok   bool
}

// runFault runs one fault on one call kind of one API and reports the
// outcome for the table; failures are reported on t.
func runFault(t *testing.T, a *api, f *fault, k callKind) string {
	e := a.setup(t, f.opts)
	proxy, err := faultproxy.New(e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	rules, ok := f.rules(a, e, k)
	if !ok {
		return "n/a"
	}
	for _, r := range rules {
		proxy.Add(r)
	}
	want := success
	if f.expect != nil {
		want = f.expect(a, k)
	}
	logs := newLogSink()
	tr := &http.Transport{}
	hc := &http.Client{Transport: proxy.Transport(tr)}

	var (
		note     []string
		failures []string
	)
	fail := func(format string, args ...any) {
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	timeout := func(kind callKind) time.Duration {
		if f.hang && kind == k {
			return 500 * time.Millisecond
		}
		return 20 * time.Second
	}
	// step runs one call and checks it against want; it returns false when
	// the logical call cannot go on.
	step := func(kind callKind, call func(ctx context.Context) error) bool {
		err, over := timed(context.Background(), timeout(kind), call)
		if over > maxOverrun {
			fail("%s returned %v after its context ended (bound %v)", kind, over, maxOverrun)
		}
		if want.failAt != kind || f.wholeFlow {
			if err != nil {
				fail("%s: unexpected error: %v", kind, err)
				return false
			}
			return true
		}
		switch {
		case err == nil:
			fail("%s succeeded; want a %s error", kind, want.errName)
			return false
		case !want.errIs(err):
			fail("%s: want a %s error, got %v", kind, want.errName, err)
			return false
		case backupcopy.ClassOf(err) != want.class:
			fail("%s: class %v (kind %v), want %v: %v", kind, backupcopy.ClassOf(err), backupcopy.KindOf(err), want.class, err)
			return false
		}
		note = append(note, fmt.Sprintf("%s→%s", kind, want.errName))
		proxy.Clear() // the fault is over: the logical call goes on
		return true
	}

	id := labeled(context.Background(), func(ctx context.Context) {
		c, err := e.newClient(ctx, proxy.URL(), hc, logs.Logger())
		if err != nil {
			fail("NewClient: %v", err)
			return
		}
		defer c.Close()
		var op operation
		if !step(kindCopy, func(ctx context.Context) error {
			var err error
			op, err = c.Copy(ctx)
			return err
		}) || op == nil {
			return
		}
		var copyID string
		if !step(kindPoll, func(ctx context.Context) error {
			var err error
			copyID, err = op.Wait(ctx, fastPoll, giveUp)
			return err
		}) {
			return
		}
		if copyID == "" {
			// the wait failed as expected: the copy goes on; resume it by name
			var res string
			err, _ := timed(ctx, 10*time.Second, func(ctx context.Context) error {
				var err error
				res, err = c.Resume(op.Name()).Wait(ctx, fastPoll, giveUp)
				return err
			})
			if err != nil {
				fail("resuming %q after the failed wait: %v", op.Name(), err)
				return
			}
			copyID = res
			note = append(note, "resumed")
		}
		if !step(kindGet, func(ctx context.Context) error { return c.Get(ctx, copyID) }) {
			return
		}
		if want.failAt == kindGet && !f.wholeFlow {
			if err, _ := timed(ctx, 10*time.Second, func(ctx context.Context) error { return c.Get(ctx, copyID) }); err != nil {
				fail("reading the copy again: %v", err)
			}
		}
	})
	tr.CloseIdleConnections()
	if left := settleLeaks(id); left != "" {
		fail("goroutines left behind:\n%s", left)
	}

	if n := e.copies(); n != want.copies {
		fail("the fake holds %d copies; want %d", n, want.copies)
	}
	if f.applied != faultproxy.Pass && proxy.Count(f.applied) == 0 {
		fail("the %v fault never fired (log %v)", f.applied, proxy.Log())
	}
	if f.check != nil {
		f.check(fail, a, e, k, logs)
	}
	for _, msg := range failures {
		t.Error(msg)
	}
	if len(failures) > 0 {
		return "FAIL"
	}
	s := "ok"
	if len(note) > 0 {
		s = strings.Join(note, ", ")
	}
	return fmt.Sprintf("%s (%d cop%s)", s, want.copies, map[bool]string{true: "y", false: "ies"}[want.copies == 1])
}

var maxParallel = make(chan struct{}, max(16, 4*runtime.GOMAXPROCS(0)))

func TestFaultTable(t *testing.T) {
	var mu sync.Mutex
	cells := map[string]map[string][]result{}
	add := func(f, a string, r result) {
		mu.Lock()
		defer mu.Unlock()
		if cells[f] == nil {
			cells[f] = map[string][]result{}
		}
		cells[f][a] = append(cells[f][a], r)
	}
	// The runs mostly wait on the network, so they run side by side, more of
	// them than -parallel (GOMAXPROCS) would allow: t.Run may be called from
	// several goroutines at once.
	t.Run("runs", func(t *testing.T) {
		// Runs that measure how late a call returns after its deadline run
		// last and one at a time, so that the machine is not busy with others.
		for _, alone := range []bool{false, true} {
			var wg sync.WaitGroup
			for _, f := range faults {
				if f.hang != alone {
					continue
				}
				for _, a := range apis {
					kinds := allKinds
					if f.wholeFlow {
						kinds = []callKind{"all"}
					}
					if f.kinds != nil {
						kinds = f.kinds
					}
					for _, k := range kinds {
						run := func() {
							t.Run(fmt.Sprintf("%s/%s/%s", a.name, slug(f.name), k), func(t *testing.T) {
								note := runFault(t, a, f, k)
								add(f.name, a.name, result{kind: k, note: note, ok: !t.Failed()})
							})
						}
						if alone {
							run()
							continue
						}
						wg.Go(func() {
							maxParallel <- struct{}{}
							defer func() { <-maxParallel }()
							run()
						})
					}
				}
			}
			wg.Wait()
		}
	})
	table := renderTable(cells)
	t.Log("\n" + table)
	path := os.Getenv("FAULT_TABLE")
	if path == "" {
		path = filepath.Join(os.TempDir(), "backupcopy-fault-table.md")
	}
	doc := "# Fault table\n\nOne run per cell and call kind: the fault is injected once on that kind of call " +
		"(copy, poll, get/list) between the client and its fake; \"(n copies)\" is what the fake holds at the end. " +
		"Generated by `go test ./internal/faultsuite -run TestFaultTable -v`.\n\n" + table
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Error(err)
	} else {
		t.Logf("wrote %s", path)
	}
}

func slug(s string) string {
	s = strings.NewReplacer(" ", "_", "(", "", ")", "", ",", "", ":", "", "/", "_").Replace(s)
	return s
}

func renderTable(cells map[string]map[string][]result) string {
	var b strings.Builder
	b.WriteString("| fault |")
	for _, a := range apis {
		b.WriteString(" " + a.name + " |")
	}
	b.WriteString("\n|---|")
	for range apis {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, f := range faults {
		fmt.Fprintf(&b, "| %s |", f.name)
		for _, a := range apis {
			rs := slices.Clone(cells[f.name][a.name])
			slices.SortFunc(rs, func(x, y result) int { return strings.Compare(string(x.kind), string(y.kind)) })
			b.WriteString(" " + renderCell(rs) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func renderCell(rs []result) string {
	if len(rs) == 0 {
		return "not run"
	}
	allNA, allOK := true, true
	var parts []string
	for _, r := range rs {
		if r.note != "n/a" {
			allNA = false
		}
		if !r.ok {
			allOK = false
		}
		parts = append(parts, fmt.Sprintf("%s: %s", r.kind, r.note))
	}
	switch {
	case allNA:
		return "n/a"
	case allOK:
		return "PASS · " + strings.Join(parts, "; ")
	}
	return "**FAIL** · " + strings.Join(parts, "; ")
}

// withFastRetry returns ctx for NewClient: the client's call path retries
// with fastRetry's short backoff.
func withFastRetry(ctx context.Context) context.Context {
	return clientopt.WithOverride(ctx, func(s *clientopt.Settings) { s.Policy = fastRetry })
}
