package rest

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzPathSegment checks that any value Seg accepts stays exactly one segment
// of the final URL and reads back unchanged, and that rejected values fail
// with a ValidationError.
func FuzzPathSegment(f *testing.F) {
	for _, s := range []string{"backup-0123456789abcdef", "a b", "%2F", "..", "a/b", "?", "#", "é", "a:b@c", "\x00", ";x=1", "%", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		p := NewPath("v1", "projects").Seg("ID", v).Lit("tail")
		if err := p.Err(); err != nil {
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("error %T is not a *ValidationError", err)
			}
			return
		}
		u, err := url.Parse("https://h.example" + p.String())
		if err != nil {
			t.Fatalf("built path %q does not parse: %v", p.String(), err)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("value %q leaked into query or fragment: %q", v, p.String())
		}
		segs := strings.Split(u.EscapedPath(), "/")
		if len(segs) != 5 {
			t.Fatalf("value %q changed the segment count: %q", v, u.EscapedPath())
		}
		got, err := url.PathUnescape(segs[3])
		if err != nil || got != v {
			t.Fatalf("segment round trip: got %q, %v; want %q", got, err, v)
		}
	})
}

// FuzzParseRetryAfter checks the parser never panics and never returns a
// negative or unbounded delay.
func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"0", "120", "Sun, 22 Nov 2026 12:01:00 GMT", "-1", "1e9", "", " 7", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseRetryAfter(v, now)
		if !ok && d != 0 {
			t.Fatalf("not ok but delay %v", d)
		}
		if d < 0 {
			t.Fatalf("negative delay %v for %q", d, v)
		}
	})
}

// FuzzCheckName checks that names accepted against a pattern yield exactly the
// pattern's segment count and that their '*' values are valid segments.
func FuzzCheckName(f *testing.F) {
	const pat = "projects/*/instances/*/clusters/*"
	f.Add("projects/p/instances/i/clusters/c")
	f.Add("projects/example.com:p/instances/i/clusters/-")
	f.Add("projects/p/instances/../clusters/c")
	f.Fuzz(func(t *testing.T, v string) {
		if CheckName("Parent", v, pat) != nil {
			return
		}
		vals := NameSegments(v, pat)
		if len(vals) != 3 {
			t.Fatalf("accepted %q with %d wildcard values", v, len(vals))
		}
		for _, s := range vals {
			if CheckSegment("x", s) != nil {
				t.Fatalf("accepted %q with bad segment %q", v, s)
			}
		}
	})
}
