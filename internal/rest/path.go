package rest

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/backupcopy/backupcopy/internal/endpoint"
)

// Path builds a request path one segment at a time. Literal segments come from
// the client's code; value segments come from the caller and are checked and
// escaped one by one, so no value can change the shape of the request. The
// first problem found is kept and returned by Err, and Do refuses to send a
// request whose Path has one.
//
// A Path is a value: every method returns a new Path and leaves its receiver
// unchanged.
type Path struct {
	escaped string // the path so far, each segment escaped; "" for "/"
	err     error
}

// NewPath starts a path with literal segments, such as "v2".
func NewPath(lit ...string) Path { return Path{}.Lit(lit...) }

// Lit appends literal segments written by the client itself (never caller
// input). They are escaped but not checked.
func (p Path) Lit(lit ...string) Path {
	if p.err != nil {
		return p
	}
	for _, s := range lit {
		p.escaped += "/" + url.PathEscape(s)
	}
	return p
}

// Seg appends one segment holding a caller's value for field. The value must be
// non-empty, must not be "." or "..", and must not contain '/', '\', '?', '#'
// or control characters.
func (p Path) Seg(field, value string) Path {
	if p.err != nil {
		return p
	}
	if err := CheckSegment(field, value); err != nil {
		p.err = err
		return p
	}
	p.escaped += "/" + url.PathEscape(value)
	return p
}

// Name appends a resource name such as "projects/p/instances/i/clusters/c"
// after checking it against pattern ("projects/*/instances/*/clusters/*"):
// literal words must match exactly and each '*' must be one valid segment.
func (p Path) Name(field, value, pattern string) Path {
	if p.err != nil {
		return p
	}
	if err := CheckName(field, value, pattern); err != nil {
		p.err = err
		return p
	}
	segs := strings.Split(value, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	p.escaped += "/" + strings.Join(segs, "/")
	return p
}

// Verb appends ":verb" to the last segment (Google custom methods such as
// "backups:copy" or "{name}:cancel").
func (p Path) Verb(verb string) Path {
	if p.err != nil || p.escaped == "" {
		return p
	}
	p.escaped += ":" + url.PathEscape(verb)
	return p
}

// Err returns the first validation error met while building the path.
func (p Path) Err() error { return p.err }

// String returns the escaped path with a leading '/'.
func (p Path) String() string {
	if p.escaped == "" {
		return "/"
	}
	return p.escaped
}

// CheckSegment checks a value that must fill exactly one path segment.
func CheckSegment(field, value string) error {
	switch {
	case value == "":
		return &ValidationError{Field: field, Rule: "is required"}
	case value == "." || value == "..":
		// Only a whole "." or ".." segment can move the request to another
		// path (clients and proxies resolve dot segments even when escaped
		// as %2E). "a..b" is an ordinary segment and valid in several IDs.
		return &ValidationError{Field: field, Rule: `must not be "." or ".."`, Value: value}
	case strings.ContainsAny(value, `/\?#`):
		return &ValidationError{Field: field, Rule: `must be a single path segment (no '/', '\', '?' or '#')`, Value: value}
	case !utf8.ValidString(value):
		// IDs and names also travel in JSON bodies, where invalid UTF-8
		// would arrive as U+FFFD: the service would see another value.
		return &ValidationError{Field: field, Rule: "must be valid UTF-8"}
	case strings.IndexFunc(value, unicode.IsControl) >= 0:
		return &ValidationError{Field: field, Rule: "must not contain control characters", Value: value}
	}
	return nil
}

// nextWord returns the text of s up to the first '/' and what follows that
// '/' (more is false when s has no '/').
func nextWord(s string) (word, rest string, more bool) {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// CheckName checks a '/'-separated resource name against a pattern whose
// wildcard words are '*'.
func CheckName(field, value, pattern string) error {
	if value == "" {
		return &ValidationError{Field: field, Rule: "is required (" + pattern + ")"}
	}
	if strings.Count(value, "/") != strings.Count(pattern, "/") {
		return &ValidationError{Field: field, Rule: "must have the form " + pattern, Value: value}
	}
	for v, w, more := value, pattern, true; more; {
		var got, want string
		got, v, _ = nextWord(v)
		want, w, more = nextWord(w)
		if want == "*" {
			if err := CheckSegment(field, got); err != nil {
				return &ValidationError{Field: field, Rule: "must have the form " + pattern + " with each '*' a single non-empty segment", Value: value}
			}
			continue
		}
		if got != want {
			return &ValidationError{Field: field, Rule: "must have the form " + pattern, Value: value}
		}
	}
	return nil
}

// NameSegments returns the values of the '*' words of a name that matches
// pattern, in order, or nil if it does not match.
func NameSegments(value, pattern string) []string {
	if CheckName("name", value, pattern) != nil {
		return nil
	}
	var out []string
	for v, w, more := value, pattern, true; more; {
		var got, want string
		got, v, _ = nextWord(v)
		want, w, more = nextWord(w)
		if want == "*" {
			out = append(out, got)
		}
	}
	return out
}

// CheckHeaderValue refuses a value that would break out of one HTTP header
// line (the rule: endpoint.CheckHeaderValue).
func CheckHeaderValue(field, value string) error { return endpoint.CheckHeaderValue(field, value) }
