package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// This file builds the SigV4 canonical request, string to sign and signature
// from the specification ("Create a signed AWS API request", AWS IAM User
// Guide), without reference to any signer implementation.

// canonicalRequest returns the canonical request of req for the signed header
// names (lower case, in the order they are listed in the Authorization
// header) and the hex payload hash:
//
//	METHOD \n URI \n QUERY \n name:value\n... \n name;name... \n PAYLOADHASH
func canonicalRequest(req *http.Request, signed []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(req.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(req.URL))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(req.URL.RawQuery))
	b.WriteByte('\n')
	for _, h := range signed {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(req, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalURI is the request path as sent (percent-encoded), URI-encoded once
// more, with '/' kept; an empty path is "/". Paths are not normalized: like
// the Go SDKs, this is the rule for every service but S3 without dot-segment
// removal.
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	return uriEncode(p, false)
}

// canonicalQuery decodes the query the way net/url does ('+' is a space;
// pairs with a bad escape or a ';' are dropped), URI-encodes every name and
// value, and sorts the pairs by encoded name, then encoded value.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	vals, _ := url.ParseQuery(raw) // keeps the pairs it can decode
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range vals {
		ek := uriEncode(k, true)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, uriEncode(v, true)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// smithyQueryOrder is the canonical query string as aws-http-auth v1.1.3
// computes it: pairs sorted by their decoded names and values, then encoded.
// It equals canonicalQuery unless encoding changes the order.
func smithyQueryOrder(raw string) string {
	if raw == "" {
		return ""
	}
	vals, _ := url.ParseQuery(raw)
	for _, vs := range vals {
		sort.Strings(vs)
	}
	return strings.ReplaceAll(vals.Encode(), "+", "%20")
}

// canonicalHeaderValue is the canonical value of the header with lower-case
// name h: every value of every key that names it (in sorted key order),
// trimmed, with inner runs of spaces made one, joined by ','. The host is
// req.Host (else the URL's host) and content-length is req.ContentLength, as
// net/http sends them.
func canonicalHeaderValue(req *http.Request, h string) string {
	switch h {
	case "host":
		host := req.Host
		if host == "" && req.URL != nil {
			host = req.URL.Host
		}
		return strings.TrimSpace(collapseSpaces(host))
	case "content-length":
		// On both sides of a connection req.ContentLength is the length on
		// the wire (a client's header map entry is not sent); the header
		// counts only when the length is unknown.
		if req.ContentLength >= 0 {
			return strconv.FormatInt(req.ContentLength, 10)
		}
	}
	var keys []string
	for k := range req.Header {
		if strings.EqualFold(k, h) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		for _, v := range req.Header[k] {
			out = append(out, strings.TrimSpace(collapseSpaces(v)))
		}
	}
	return strings.Join(out, ",")
}

// collapseSpaces removes leading and trailing spaces and turns every inner run
// of spaces into one space. Other whitespace is left alone.
func collapseSpaces(s string) string {
	s = strings.Trim(s, " ")
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prevSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && prevSpace {
			continue
		}
		prevSpace = c == ' '
		b.WriteByte(c)
	}
	return b.String()
}

// uriEncode percent-encodes (upper-case hex) every byte but the unreserved
// characters A-Z a-z 0-9 - _ . ~, and '/' unless encodeSlash.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// stringToSign is "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" +
// hex(SHA-256(canonical request)).
func stringToSign(amzDate, scope, canonical string) string {
	return Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hexSHA256([]byte(canonical))
}

// signature returns the hex HMAC of toSign under the signing key derived from
// secret for day (YYYYMMDD), region and service.
func signature(secret, day, region, service, toSign string) string {
	key := hmacSHA256([]byte("AWS4"+secret), day)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "aws4_request")
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
