package rest

import (
	"net/url"
	"slices"
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
// unchanged. The pieces are kept unescaped (in the value itself for the first
// few, so building a path allocates nothing) and String escapes them into one
// string.
type Path struct {
	inline [pathInline]piece
	n      int     // pieces in use, inline first, then in more
	more   []piece // pieces past the inline ones (never shared: copied on growth)
	err    error
}

// pathInline is how many pieces a Path holds without allocating. The service
// paths have at most five ("v2", a name, "backups", a verb ...).
const pathInline = 6

type pieceKind uint8

const (
	pieceSeg  pieceKind = iota // one segment: escaped whole
	pieceName                  // a checked '/'-separated name: each segment escaped, '/' kept
	pieceVerb                  // ":verb" appended to the previous segment
)

type piece struct {
	s    string
	kind pieceKind
}

func (p *Path) push(s string, k pieceKind) {
	if p.n < pathInline {
		p.inline[p.n] = piece{s, k}
	} else {
		// Copy, so that two Paths built from one never share an array.
		more := make([]piece, len(p.more), len(p.more)+4)
		copy(more, p.more)
		p.more = append(more, piece{s, k})
	}
	p.n++
}

func (p *Path) at(i int) piece {
	if i < pathInline {
		return p.inline[i]
	}
	return p.more[i-pathInline]
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
		p.push(s, pieceSeg)
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
	p.push(value, pieceSeg)
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
	p.push(value, pieceName)
	return p
}

// Verb appends ":verb" to the last segment (Google custom methods such as
// "backups:copy" or "{name}:cancel").
func (p Path) Verb(verb string) Path {
	if p.err != nil || p.n == 0 {
		return p
	}
	p.push(verb, pieceVerb)
	return p
}

// Err returns the first validation error met while building the path.
func (p Path) Err() error { return p.err }

// String returns the escaped path with a leading '/'.
func (p Path) String() string {
	var b strings.Builder
	b.Grow(p.escapedLen())
	p.writeTo(&b)
	return b.String()
}

// escapedLen is the length of String's result.
func (p *Path) escapedLen() int {
	n := 1
	for i := 0; i < p.n; i++ {
		pc := p.at(i)
		switch {
		case i == 0:
		case pc.kind == pieceVerb:
			n++ // ':'
		default:
			n++ // '/'
		}
		n += escapedSegmentLen(pc.s, pc.kind == pieceName)
	}
	return n
}

func (p *Path) writeTo(b *strings.Builder) {
	if p.n == 0 {
		b.WriteByte('/')
		return
	}
	for i := 0; i < p.n; i++ {
		pc := p.at(i)
		if pc.kind == pieceVerb {
			b.WriteByte(':')
		} else {
			b.WriteByte('/')
		}
		writeEscapedSegment(b, pc.s, pc.kind == pieceName)
	}
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

// segmentSafe[c] is true for the bytes url.PathEscape leaves as they are. It
// is built from url.PathEscape itself (which escapes byte by byte), so the
// two cannot disagree.
var segmentSafe = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		s := string([]byte{byte(c)})
		t[c] = url.PathEscape(s) == s
	}
	return t
}()

const upperHex = "0123456789ABCDEF"

// escapedSegmentLen is len(url.PathEscape(s)); with keepSlash, '/' counts as
// itself (a name whose segments are escaped one by one).
func escapedSegmentLen(s string, keepSlash bool) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; !segmentSafe[c] && !(keepSlash && c == '/') {
			n += 2
		}
	}
	return n
}

// writeEscapedSegment writes url.PathEscape(s) (with keepSlash, the
// '/'-separated parts of s escaped one by one and joined by '/').
func writeEscapedSegment(b *strings.Builder, s string, keepSlash bool) {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if segmentSafe[c] || (keepSlash && c == '/') {
			continue
		}
		b.WriteString(s[start:i])
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
		start = i + 1
	}
	b.WriteString(s[start:])
}

// CheckHeaderValue refuses a value that would break out of one HTTP header
// line (the rule: endpoint.CheckHeaderValue).
func CheckHeaderValue(field, value string) error { return endpoint.CheckHeaderValue(field, value) }

// queryByte[c] is how url.QueryEscape writes byte c: itself, "+" for a
// space, or "%XX" (built from url.QueryEscape itself).
var queryByte = func() (t [256]string) {
	for c := 0; c < 256; c++ {
		t[c] = url.QueryEscape(string([]byte{byte(c)}))
	}
	return t
}()

// encodeQuery returns v.Encode() (keys sorted, each value escaped with
// url.QueryEscape), built in one string.
func encodeQuery(v url.Values) string {
	var one [1]string
	keys := one[:0]
	if len(v) > 1 {
		keys = make([]string, 0, len(v))
	}
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	n := 0
	for _, k := range keys {
		kl := queryEscapedLen(k)
		for _, s := range v[k] {
			n += kl + 2 + queryEscapedLen(s) // '&' or the end, '='
		}
	}
	var b strings.Builder
	b.Grow(n)
	for _, k := range keys {
		for _, s := range v[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			writeQueryEscaped(&b, k)
			b.WriteByte('=')
			writeQueryEscaped(&b, s)
		}
	}
	return b.String()
}

func queryEscapedLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n += len(queryByte[s[i]])
	}
	return n
}

func writeQueryEscaped(b *strings.Builder, s string) {
	start := 0
	for i := 0; i < len(s); i++ {
		e := queryByte[s[i]]
		if len(e) == 1 && e[0] == s[i] {
			continue
		}
		b.WriteString(s[start:i])
		b.WriteString(e)
		start = i + 1
	}
	b.WriteString(s[start:])
}
