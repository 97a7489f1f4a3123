package rest

// Equivalence of the allocation-light call path with the code it replaced:
// the old implementations are kept here, verbatim, as the reference.

import (
	"github.com/backupcopy/backupcopy"

	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// oldPath is the Path builder as it was (one escaped string per segment).
type oldPath struct {
	segs []string
	err  error
}

func oldNewPath(lit ...string) oldPath { return oldPath{}.Lit(lit...) }

func (p oldPath) Lit(lit ...string) oldPath {
	if p.err != nil {
		return p
	}
	segs := append(p.segs[:len(p.segs):len(p.segs)], make([]string, 0, len(lit))...)
	for _, s := range lit {
		segs = append(segs, url.PathEscape(s))
	}
	p.segs = segs
	return p
}

func (p oldPath) Seg(field, value string) oldPath {
	if p.err != nil {
		return p
	}
	if err := CheckSegment(field, value); err != nil {
		p.err = err
		return p
	}
	return p.Lit(value)
}

func (p oldPath) Name(field, value, pattern string) oldPath {
	if p.err != nil {
		return p
	}
	if err := oldCheckName(field, value, pattern); err != nil {
		p.err = err
		return p
	}
	return p.Lit(strings.Split(value, "/")...)
}

func (p oldPath) Verb(verb string) oldPath {
	if p.err != nil || len(p.segs) == 0 {
		return p
	}
	segs := append([]string(nil), p.segs...)
	segs[len(segs)-1] += ":" + url.PathEscape(verb)
	p.segs = segs
	return p
}

func (p oldPath) String() string { return "/" + strings.Join(p.segs, "/") }

func oldCheckName(field, value, pattern string) error {
	if value == "" {
		return &ValidationError{Field: field, Rule: "is required (" + pattern + ")"}
	}
	want := strings.Split(pattern, "/")
	got := strings.Split(value, "/")
	if len(got) != len(want) {
		return &ValidationError{Field: field, Rule: "must have the form " + pattern, Value: value}
	}
	for i, w := range want {
		if w == "*" {
			if err := CheckSegment(field, got[i]); err != nil {
				return &ValidationError{Field: field, Rule: "must have the form " + pattern + " with each '*' a single non-empty segment", Value: value}
			}
			continue
		}
		if got[i] != w {
			return &ValidationError{Field: field, Rule: "must have the form " + pattern, Value: value}
		}
	}
	return nil
}

func oldNameSegments(value, pattern string) []string {
	if oldCheckName("name", value, pattern) != nil {
		return nil
	}
	want := strings.Split(pattern, "/")
	got := strings.Split(value, "/")
	var out []string
	for i, w := range want {
		if w == "*" {
			out = append(out, got[i])
		}
	}
	return out
}

// oldURL is how the call path built a request URL: a string, parsed again
// by http.NewRequest.
func oldURL(t testing.TB, endpoint *url.URL, path string, q url.Values) *url.URL {
	u := *endpoint
	u.RawPath = u.EscapedPath() + path
	u.Path, _ = url.PathUnescape(u.RawPath)
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	r, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		t.Fatalf("old path: %v", err)
	}
	return r.URL
}

// buildBoth builds one path with a sequence of operations coded in ops, with
// the old and the new builder.
func buildBoth(ops []byte, vals []string) (Path, oldPath) {
	p, o := NewPath(), oldNewPath()
	for i, op := range ops {
		v := vals[i%len(vals)]
		switch op % 6 {
		case 0:
			p, o = p.Lit(v), o.Lit(v)
		case 1:
			p, o = p.Lit(v, v+"x"), o.Lit(v, v+"x")
		case 2:
			p, o = p.Seg("f", v), o.Seg("f", v)
		case 3:
			p, o = p.Name("f", v, "projects/*/instances/*"), o.Name("f", v, "projects/*/instances/*")
		case 4:
			p, o = p.Name("f", v, "a/*/b"), o.Name("f", v, "a/*/b")
		case 5:
			p, o = p.Verb(v), o.Verb(v)
		}
	}
	return p, o
}

func checkPathEquiv(t *testing.T, ops []byte, vals []string) {
	t.Helper()
	p, o := buildBoth(ops, vals)
	if !reflect.DeepEqual(p.Err(), o.err) {
		t.Fatalf("ops %v vals %q: err %v, old %v", ops, vals, p.Err(), o.err)
	}
	if p.Err() != nil {
		return
	}
	if got, want := p.String(), o.String(); got != want {
		t.Fatalf("ops %v vals %q: path %q, old %q", ops, vals, got, want)
	}
	for _, ep := range []string{"https://h.example", "https://h.example:8443/pre%20fix/a;b", "http://127.0.0.1:/x:y"} {
		e, err := ParseEndpoint(ep)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(Config{Endpoint: e})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []url.Values{nil, {"backupId": {vals[0]}}, {"b": {"1", vals[0]}, "a b": {"é&="}, "c": nil}} {
			req := &Request{Method: http.MethodGet, Path: p, Query: q}
			hreq, err := c.newHTTPRequest(context.Background(), req, c.url(req), nil)
			if err != nil {
				t.Fatal(err)
			}
			want := oldURL(t, e, o.String(), q)
			if !reflect.DeepEqual(hreq.URL, want) {
				t.Fatalf("ops %v vals %q endpoint %s query %v:\nURL  %#v\nold  %#v", ops, vals, ep, q, hreq.URL, want)
			}
			if hreq.URL.RequestURI() != want.RequestURI() || hreq.Host != removeEmptyPortOld(want.Host) {
				t.Fatalf("request URI %q host %q, old %q %q", hreq.URL.RequestURI(), hreq.Host, want.RequestURI(), want.Host)
			}
		}
	}
}

func removeEmptyPortOld(h string) string {
	r, _ := http.NewRequest(http.MethodGet, "https://"+h+"/", nil)
	return r.Host
}

func TestPathBuilderMatchesOld(t *testing.T) {
	vals := [][]string{
		{"v1"}, {"projects/p/instances/i"}, {"a/x/b"}, {"a b;c,d?e#f%g"}, {"é", "copy"},
		{"projects/a:b@c/instances/$&+=~"}, {""}, {".."}, {"projects//instances/i"},
		{"a/\x00/b"}, {"projects/p/instances/i/extra"}, {"cancel", "a/%2F/b"},
	}
	for _, v := range vals {
		for n := 0; n < 4096; n += 7 {
			ops := []byte{byte(n), byte(n >> 3), byte(n >> 6), byte(n >> 9)}
			checkPathEquiv(t, ops, v)
		}
	}
	// Long paths, and derived paths do not share.
	base := NewPath("v2").Lit(strings.Split("operations/projects/p/instances/i/clusters/c/backups/b/operations/1", "/")...)
	a, b := base.Lit("a"), base.Lit("b").Verb("x")
	if a.String() != "/v2/operations/projects/p/instances/i/clusters/c/backups/b/operations/1/a" ||
		b.String() != "/v2/operations/projects/p/instances/i/clusters/c/backups/b/operations/1/b:x" ||
		base.String() != "/v2/operations/projects/p/instances/i/clusters/c/backups/b/operations/1" {
		t.Fatalf("shared pieces: %s %s %s", a, b, base)
	}
	if got := NewPath().Verb("x").String(); got != "/" {
		t.Fatalf("empty path with verb: %q", got)
	}
}

func FuzzPathBuilderMatchesOld(f *testing.F) {
	f.Add([]byte{0, 3, 0, 5}, "projects/p/instances/i", "copy")
	f.Add([]byte{2, 4, 1}, "a/é b/b", ";")
	f.Fuzz(func(t *testing.T, ops []byte, v1, v2 string) {
		if len(ops) > 12 {
			ops = ops[:12]
		}
		checkPathEquiv(t, ops, []string{v1, v2})
	})
}

func FuzzCheckNameMatchesOld(f *testing.F) {
	f.Add("projects/p/instances/i", "projects/*/instances/*")
	f.Add("projects/p/instances/", "projects/*/instances/*")
	f.Add("a//b", "a/*/b")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, value, pattern string) {
		if got, want := CheckName("f", value, pattern), oldCheckName("f", value, pattern); !reflect.DeepEqual(got, want) {
			t.Fatalf("CheckName(%q, %q) = %v, old %v", value, pattern, got, want)
		}
		if got, want := NameSegments(value, pattern), oldNameSegments(value, pattern); !reflect.DeepEqual(got, want) {
			t.Fatalf("NameSegments(%q, %q) = %q, old %q", value, pattern, got, want)
		}
	})
}

func TestNewHTTPRequestHeaders(t *testing.T) {
	e, _ := ParseEndpoint("https://h.example")
	c, _ := New(Config{Endpoint: e, UserAgent: "x/1"})
	req := &Request{Method: http.MethodPost, Path: NewPath("v1"), Header: http.Header{"X-Amz-Target": {"T"}, "X-Two": {"a", "b"}, "Content-Type": {"ignored"}}, ContentType: "application/x-amz-json-1.1"}
	hreq, err := c.newHTTPRequest(context.Background(), req, c.url(req), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	want := http.Header{"X-Amz-Target": {"T"}, "X-Two": {"a", "b"}, "Content-Type": {"application/x-amz-json-1.1"}, "User-Agent": {"backupcopy-go/" + Version + " x/1"}}
	if !reflect.DeepEqual(hreq.Header, want) {
		t.Fatalf("header %v, want %v", hreq.Header, want)
	}
	// Appending to one value never changes another.
	hreq.Header["X-Amz-Target"] = append(hreq.Header["X-Amz-Target"], "U")
	hreq.Header.Add("X-Two", "c")
	if !reflect.DeepEqual(hreq.Header["X-Two"], []string{"a", "b", "c"}) || hreq.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		t.Fatalf("values share storage: %v", hreq.Header)
	}
	if !reflect.DeepEqual(req.Header["X-Two"], []string{"a", "b"}) {
		t.Fatalf("request's header changed: %v", req.Header)
	}
	if hreq.ContentLength != 2 || hreq.GetBody == nil {
		t.Fatalf("body: length %d, GetBody %v", hreq.ContentLength, hreq.GetBody != nil)
	}
}

// countingHandler counts the records it is asked to handle.
type countingHandler struct {
	level slog.Level
	n     int
}

func (h *countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }
func (h *countingHandler) Handle(context.Context, slog.Record) error    { h.n++; return nil }
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h *countingHandler) WithGroup(string) slog.Handler                { return h }

// A logger whose level drops the per-attempt record costs no record: the
// level is checked before any attribute is built.
func TestDisabledLogLevelBuildsNothing(t *testing.T) {
	e, _ := ParseEndpoint("https://h.example")
	h := &countingHandler{level: slog.LevelInfo}
	c, _ := New(Config{Endpoint: e, Logger: slog.New(h)})
	req := &Request{Op: "Get", Method: http.MethodGet, Path: NewPath("v1")}
	resp := &Response{StatusCode: 200}
	if n := testing.AllocsPerRun(100, func() { c.log(context.Background(), req, resp, 1, nil, false, 0) }); n != 0 {
		t.Errorf("%v allocations for a record below the level", n)
	}
	if h.n != 0 {
		t.Fatalf("%d records handled", h.n)
	}
	c.log(context.Background(), req, resp, 2, &outcome{err: errors.New("x"), kind: backupcopy.Transient}, true, time.Second)
	if h.n != 1 {
		t.Fatalf("retry record: %d records handled", h.n)
	}
	h.level = slog.LevelDebug
	c.log(context.Background(), req, resp, 1, nil, false, 0)
	if h.n != 2 {
		t.Fatalf("debug record: %d records handled", h.n)
	}
}
