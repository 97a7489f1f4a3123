package rest

import (
	"net/url"
	"strings"
	"unicode"
)

// Path builds a request path one segment at a time. Literal segments come from
// the client's code; value segments come from the caller and are checked and
// escaped one by one, so no value can change the shape of the request. The
// first problem found is kept and returned by Err, and Do refuses to send a
// request whose Path has one.
type Path struct {
	segs []string // escaped
	err  error
}

// NewPath starts a path with literal segments, such as "v2".
func NewPath(lit ...string) Path { return Path{}.Lit(lit...) }

// Lit appends literal segments written by the client itself (never caller
// input). They are escaped but not checked.
func (p Path) Lit(lit ...string) Path {
	if p.err != nil {
		return p
	}
	segs := append(p.segs[:len(p.segs):len(p.segs)], make([]string, 0, len(lit))...)
	for _, s := range lit {
		segs = append(segs, escapeSegment(s))
	}
	p.segs = segs
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
	return p.Lit(value)
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
	return p.Lit(strings.Split(value, "/")...)
}

// Verb appends ":verb" to the last segment (Google custom methods such as
// "backups:copy" or "{name}:cancel").
func (p Path) Verb(verb string) Path {
	if p.err != nil || len(p.segs) == 0 {
		return p
	}
	segs := append([]string(nil), p.segs...)
	segs[len(segs)-1] += ":" + escapeSegment(verb)
	p.segs = segs
	return p
}

// Err returns the first validation error met while building the path.
func (p Path) Err() error { return p.err }

// String returns the escaped path with a leading '/'.
func (p Path) String() string { return "/" + strings.Join(p.segs, "/") }

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
	case strings.IndexFunc(value, unicode.IsControl) >= 0:
		return &ValidationError{Field: field, Rule: "must not contain control characters", Value: value}
	}
	return nil
}

// CheckName checks a '/'-separated resource name against a pattern whose
// wildcard words are '*'.
func CheckName(field, value, pattern string) error {
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

// NameSegments returns the values of the '*' words of a name that matches
// pattern, in order, or nil if it does not match.
func NameSegments(value, pattern string) []string {
	if CheckName("name", value, pattern) != nil {
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

func escapeSegment(s string) string { return url.PathEscape(s) }

// CheckHeaderValue refuses a value that would break out of one HTTP header
// line (CR, LF, NUL or other control characters except tab).
func CheckHeaderValue(field, value string) error {
	for _, r := range value {
		if r != '\t' && unicode.IsControl(r) {
			return &ValidationError{Field: field, Rule: "must not contain control characters (header injection)", Value: value}
		}
	}
	return nil
}
