package auth

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzHuaweiCanonicalRequest signs arbitrary requests (method, path, query, one
// extra header, content type, body) and checks that nothing panics, that the
// signer refuses only a query with a malformed escape, and that the verifier,
// which canonicalizes with code of its own, accepts the signature both on the
// client's request and on the request a server parses from the bytes
// net/http writes. Flipping the body or a signed header must then fail.
func FuzzHuaweiCanonicalRequest(f *testing.F) {
	f.Add("POST", "v3/p/backups/b/replicate", "", "X-Custom", "v", "application/json", []byte(`{"a":1}`), false)
	f.Add("GET", "a b/%2F/é/中/+/", "b=2&a=1&a=0&c=%20+&d", "X-Multi", " spaced ", "", []byte{}, true)
	f.Add("DELETE", "~x/y.z/..//", "k=&=v&&;x=1", "X-A", "", "text/plain", []byte("\x00\xff"), false)
	f.Add("PUT", "%25zz/%/?#", "a=%zz", "User-Agent", "ua/1.0 (x)", "application/bson", []byte("b"), true)
	f.Add("PATCH", "", "%C3%A9=%E4%B8%AD&é=中", "X-Unicode", "\u00a0nbsp\u0085", "application/json;charset=UTF-8", []byte(nil), false)
	f.Fuzz(func(t *testing.T, method, path, rawQuery, hk, hv, contentType string, body []byte, signHost bool) {
		switch method {
		case "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD":
		default:
			return
		}
		if !hwFuzzHeaderName(hk) || !hwFuzzHeaderValue(hv) || !hwFuzzHeaderValue(contentType) {
			return
		}
		u := &url.URL{Scheme: "https", Host: "cbr.cn-north-4.myhuaweicloud.com", Path: "/" + path, RawQuery: rawQuery}
		req, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set(hk, hv)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		var opts []HuaweiSignerOption
		if signHost {
			opts = append(opts, HuaweiSignHost())
		}
		creds := HuaweiCredentials{AccessKey: hwAK, SecretKey: hwSK, ProjectID: "p", SecurityToken: "st"}
		ctx := WithSigningTime(context.Background(), hwAt)
		if err := NewHuaweiSigner(creds, opts...).Authenticate(ctx, req, body); err != nil {
			if !hwFuzzBadEscape(req.URL.RawQuery) {
				t.Fatalf("signer refused a well-formed query %q: %v", req.URL.RawQuery, err)
			}
			return
		}
		if err := VerifyHuaweiSignature(req, body, hwLookup, hwAt, 0); err != nil {
			t.Fatalf("client side: %s %s [%s: %q]: %v\nAuthorization: %s", method, req.URL.RequestURI(), hk, hv, err, req.Header.Get("Authorization"))
		}

		// The same request as a server reads it off the wire.
		var wire bytes.Buffer
		if err := req.Write(&wire); err != nil {
			t.Fatalf("writing the signed request: %v", err)
		}
		sreq, err := http.ReadRequest(bufio.NewReader(&wire))
		if err != nil {
			t.Fatalf("server cannot parse the signed request (%s): %v", req.URL.RequestURI(), err)
		}
		sbody, err := io.ReadAll(sreq.Body)
		if err != nil {
			t.Fatalf("reading the body back: %v", err)
		}
		if err := VerifyHuaweiSignature(sreq, sbody, hwLookup, hwAt, 0); err != nil {
			t.Fatalf("server side: %s %s [%s: %q]: %v", method, sreq.RequestURI, hk, hv, err)
		}

		// Tampering is caught: a changed body (when it is signed) and a changed
		// signed header.
		if req.Header.Get(HuaweiContentSHA256Header) == "" {
			if err := VerifyHuaweiSignature(sreq, append(sbody, 'x'), hwLookup, hwAt, 0); err == nil {
				t.Fatal("a changed body verified")
			}
		}
		sreq.Header.Set(HuaweiProjectHeader, "other")
		if err := VerifyHuaweiSignature(sreq, sbody, hwLookup, hwAt, 0); err == nil {
			t.Fatal("a changed X-Project-Id verified")
		}
	})
}

// hwFuzzHeaderName accepts header names a caller may set: tokens, minus the
// ones net/http manages itself (and X-Sdk-Content-Sha256, whose value stands
// for the body's hash).
func hwFuzzHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	switch strings.ToLower(s) {
	case "host", "content-length", "transfer-encoding", "trailer", "connection", "te", "upgrade",
		"keep-alive", "proxy-connection", "x-sdk-content-sha256", "content-type", "x-project-id":
		return false
	}
	return true
}

// hwFuzzHeaderValue accepts what net/http's client lets through: no control
// characters but tab.
func hwFuzzHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 && s[i] != '\t' || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// hwFuzzBadEscape reports whether a raw query has a '%' not followed by two
// hex digits.
func hwFuzzBadEscape(raw string) bool {
	isHex := func(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
	for i := 0; i < len(raw); i++ {
		if raw[i] == '%' && (i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2])) {
			return true
		}
	}
	return false
}
