package gapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// pollServer serves GET /ops (the running operations, in pages of two,
// through list) and GET /op/{id} (one operation, through get); it records
// every request as "list?query" or "get id".
type pollServer struct {
	mu   sync.Mutex
	log  []string
	list func(n int, q url.Values) (int, string) // n counts list requests
	get  func(id string) (int, string)
}

func newPolls(t *testing.T, ps *pollServer) *OperationPolls {
	t.Helper()
	lists := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ps.mu.Lock()
		defer ps.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		var code int
		var body string
		if id, ok := strings.CutPrefix(r.URL.Path, "/op/"); ok {
			ps.log = append(ps.log, "get "+id)
			code, body = ps.get(id)
		} else {
			lists++
			ps.log = append(ps.log, "list?"+r.URL.RawQuery)
			code, body = ps.list(lists, r.URL.Query())
		}
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	rc, err := rest.New(rest.Config{Endpoint: u, Service: "test", DecodeAPIError: DecodeAPIError("test"), Hint: Hint, Clock: clock.NewFake(clock.Real.Now())})
	require.NoError(t, err)
	return NewOperationPolls(PollsConfig{
		Client: rc,
		Parent: func(string) string { return "inst" },
		List:   func(string) rest.Path { return rest.NewPath("ops") },
		ListOp: "ListOperations",
		Get:    func(name string) rest.Path { return rest.NewPath("op").Seg("name", name) },
	})
}

func (ps *pollServer) requests() []string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]string(nil), ps.log...)
}

func running(names ...string) string {
	var ops []string
	for _, n := range names {
		ops = append(ops, tOp(n, "b-"+n, "src", false, ""))
	}
	return "[" + strings.Join(ops, ",") + "]"
}

func doneOp(id string) (int, string) {
	return 200, tOp(id, "b-"+id, "src", true, `{"@type":"type.googleapis.com/test.Result","name":"b-`+id+`","source":"src","ready":true}`)
}

func fetchStates(t *testing.T, p *OperationPolls, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for n, r := range p.fetch(context.Background(), "inst", names) {
		switch {
		case r.Err != nil:
			out[n] = "error " + backupcopy.KindOf(r.Err).String()
		default:
			st, err := tKind.StateOf(r.Value)
			require.NoError(t, err)
			if st.Done {
				out[n] = "done"
			} else {
				out[n] = "running"
			}
		}
	}
	return out
}

// One list answers the running operations; those it does not name (here
// the finished "c") are read one by one, so an end is always learnt from
// the operation itself.
func TestSharedPollListThenGetMissing(t *testing.T) {
	ps := &pollServer{
		list: func(n int, q url.Values) (int, string) {
			if q.Get("pageToken") == "" {
				return 200, `{"operations":` + running("x", "a") + `,"nextPageToken":"p2"}`
			}
			return 200, `{"operations":` + running("b") + `}`
		},
		get: doneOp,
	}
	p := newPolls(t, ps)
	got := fetchStates(t, p, "a", "b", "c")
	assert.Equal(t, map[string]string{"a": "running", "b": "running", "c": "done"}, got)
	assert.Equal(t, []string{"list?filter=done%3Dfalse&pageSize=1000", "list?filter=done%3Dfalse&pageSize=1000&pageToken=p2", "get c"}, ps.requests())
}

// Paging stops once every polled operation has been seen.
func TestSharedPollStopsPagingWhenAllSeen(t *testing.T) {
	ps := &pollServer{
		list: func(n int, q url.Values) (int, string) {
			return 200, `{"operations":` + running("a", "b") + `,"nextPageToken":"more"}`
		},
		get: doneOp,
	}
	p := newPolls(t, ps)
	assert.Equal(t, map[string]string{"a": "running", "b": "running"}, fetchStates(t, p, "a", "b"))
	assert.Equal(t, []string{"list?filter=done%3Dfalse&pageSize=1000"}, ps.requests())
}

// A single poll reads its operation as before, without a list.
func TestSharedPollSingleIsGet(t *testing.T) {
	ps := &pollServer{list: func(int, url.Values) (int, string) { return 500, `{}` }, get: doneOp}
	p := newPolls(t, ps)
	assert.Equal(t, map[string]string{"a": "done"}, fetchStates(t, p, "a"))
	assert.Equal(t, []string{"get a"}, ps.requests())
}

// A list the parent refuses (a filter it does not take, a credential that
// may get but not list) is not asked again: its polls use gets.
func TestSharedPollRefusedListFallsBackToGet(t *testing.T) {
	for _, code := range []int{400, 403, 501} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			ps := &pollServer{
				list: func(int, url.Values) (int, string) {
					return code, fmt.Sprintf(`{"error":{"code":%d,"message":"no","status":%q}}`, code, map[int]string{400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 501: "UNIMPLEMENTED"}[code])
				},
				get: doneOp,
			}
			p := newPolls(t, ps)
			assert.Equal(t, map[string]string{"a": "done", "b": "done"}, fetchStates(t, p, "a", "b"))
			assert.Equal(t, map[string]string{"a": "done", "b": "done"}, fetchStates(t, p, "a", "b"))
			assert.Equal(t, []string{"list?filter=done%3Dfalse&pageSize=1000", "get a", "get b", "get a", "get b"}, ps.requests())
		})
	}
}

// A list that fails (after the call path's retries) answers every poll with
// its error, which Wait retries as transient: no poll is told its operation
// ended. A lost second page, whatever its error, leaves the first page's
// answers standing and the other polls to ask again.
func TestSharedPollFailedListOrLostPage(t *testing.T) {
	ps := &pollServer{
		list: func(n int, q url.Values) (int, string) {
			if q.Get("pageToken") == "" {
				return 200, `{"operations":` + running("a") + `,"nextPageToken":"p2"}`
			}
			return 503, `{"error":{"code":503,"message":"try later","status":"UNAVAILABLE"}}`
		},
		get: doneOp,
	}
	p := newPolls(t, ps)
	got := fetchStates(t, p, "a", "b")
	assert.Equal(t, map[string]string{"a": "running", "b": "error transient"}, got)
	for _, r := range ps.requests() {
		assert.NotEqual(t, "get b", r, "a failed list is not taken as the operation's end")
	}

	ps.list = func(int, url.Values) (int, string) {
		return 503, `{"error":{"code":503,"message":"try later","status":"UNAVAILABLE"}}`
	}
	assert.Equal(t, map[string]string{"a": "error transient", "b": "error transient"}, fetchStates(t, p, "a", "b"))

	// A later page refused (its token expired as the list shrank) is a
	// lost page too: its polls are asked again, and the parent's list is
	// not taken as refused.
	ps.list = func(n int, q url.Values) (int, string) {
		if q.Get("pageToken") == "" {
			return 200, `{"operations":` + running("a") + `,"nextPageToken":"p2"}`
		}
		return 400, `{"error":{"code":400,"message":"Invalid page_token.","status":"INVALID_ARGUMENT"}}`
	}
	assert.Equal(t, map[string]string{"a": "running", "b": "error transient"}, fetchStates(t, p, "a", "b"))
	assert.Equal(t, map[string]string{"a": "running", "b": "error transient"}, fetchStates(t, p, "a", "b"))
	for _, r := range ps.requests() {
		assert.NotEqual(t, "get b", r, "a lost page is not taken as a refused list or the operation's end")
	}
}

// A sleeping wait whose operation a complete list no longer shows is read
// once by that round and woken with the result, which answers its next
// poll without another request; one whose get fails is woken to read it on
// its own poll; one still listed, or missing from the list but still
// running when read, sleeps on.
func TestSharedPollWakesFinishedWithResult(t *testing.T) {
	ps := &pollServer{
		list: func(int, url.Values) (int, string) { return 200, `{"operations":` + running("a", "s") + `}` },
		get: func(id string) (int, string) {
			switch id {
			case "lost":
				return 404, `{"error":{"code":404,"status":"NOT_FOUND","message":"gone"}}`
			case "skipped":
				return 200, tOp(id, "b-"+id, "src", false, "")
			}
			return doneOp(id)
		},
	}
	p := newPolls(t, ps)
	woken := map[string]int{}
	var mu sync.Mutex
	for _, n := range []string{"f", "lost", "s", "skipped"} {
		p.Watch(n, func() { mu.Lock(); woken[n]++; mu.Unlock() })
	}
	assert.Equal(t, map[string]string{"a": "running"}, fetchStates(t, p, "a"))
	assert.Equal(t, map[string]int{"f": 1, "lost": 1}, woken)
	assert.ElementsMatch(t, []string{"list?filter=done%3Dfalse&pageSize=1000", "get f", "get lost", "get skipped"}, ps.requests())
	op, err := p.Get(context.Background(), "f")
	require.NoError(t, err)
	assert.True(t, op.Done)
	assert.Len(t, ps.requests(), 4, "the woken wait's poll made no request")
}

func TestNamePrefix(t *testing.T) {
	for _, tt := range []struct {
		name    string
		pattern []string
		want    string
	}{
		{name: "operations/projects/p/instances/i/clusters/c/backups/b/operations/1", pattern: []string{"operations", "projects", "", "instances", ""}, want: "operations/projects/p/instances/i"},
		{name: "operations/projects/p/instances/i/x", pattern: []string{"operations", "projects", "", "instances", ""}, want: "operations/projects/p/instances/i"},
		{name: "operations/projects/p/instances/i", pattern: []string{"operations", "projects", "", "instances", ""}, want: ""}, // nothing after the prefix
		{name: "operations/projects/p/tables/i/x", pattern: []string{"operations", "projects", "", "instances", ""}, want: ""},
		{name: "projects/p/instances/i/backups/b/operations/o", pattern: []string{"", "", "", ""}, want: "projects/p/instances/i"},
		{name: "projects/p", pattern: []string{"", "", "", ""}, want: ""},
		{name: "", pattern: []string{""}, want: ""},
		{name: "a/b", pattern: nil, want: ""},
	} {
		assert.Equal(t, tt.want, NamePrefix(tt.name, tt.pattern...), "%s %q", tt.name, tt.pattern)
	}
}

// A list that shows none of many sleeping waits' operations (a server that
// does not list them all) costs at most MaxEndedReads gets a round; the
// other waits sleep on (no storm of wakes) and read theirs on their own
// schedule.
func TestSharedPollBoundsEndedReads(t *testing.T) {
	ps := &pollServer{
		list: func(int, url.Values) (int, string) { return 200, `{}` },
		get:  func(id string) (int, string) { return 200, tOp(id, "b-"+id, "src", false, "") },
	}
	p := newPolls(t, ps)
	var mu sync.Mutex
	woken := 0
	for i := range MaxEndedReads + 10 {
		p.Watch(fmt.Sprint("w", i), func() { mu.Lock(); woken++; mu.Unlock() })
	}
	fetchStates(t, p, "a")
	gets := 0
	for _, r := range ps.requests() {
		if strings.HasPrefix(r, "get w") {
			gets++
		}
	}
	assert.Equal(t, MaxEndedReads, gets)
	assert.Equal(t, 0, woken, "none woken: all still run")
}
