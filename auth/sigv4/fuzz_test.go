package sigv4

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/auth"
)

// FuzzSignVerify signs random requests (method, path, query, two headers,
// body, with or without a session token) and checks that the signer never
// panics, that Verify accepts what it signed, that both signing paths agree,
// and that Verify refuses the request once its body or a signed header
// changes.
func FuzzSignVerify(f *testing.F) {
	f.Add("POST", "/", "", "X-Amz-Target", "AWSSimbaAPIService_v20180301.CopyBackup", "Content-Type", "application/x-amz-json-1.1", []byte(copyBody), false)
	f.Add("GET", "/a b/%2F/ü/it's", "b=2&a=1&a=0&c=%20+&d", "My-Header", "  spaced   value ", "x-lower", "v", []byte{}, true)
	f.Add("PUT", "/~x/y.z//..", "Param-3=3&Param=2&%E1%88%B4=1", "X-Amz-Meta-A", "v,w", "Expect", "100-continue", []byte("\x00\xff"), false)
	f.Add("DELETE", "", "k=a/b&k=a-b&;=x&%zz=1", "User-Agent", "ua", "X-Multi", "\ta\t", []byte("x"), true)
	f.Fuzz(func(t *testing.T, method, path, rawQuery, k1, v1, k2, v2 string, body []byte, withToken bool) {
		if !validMethod(method) || !validHeaderName(k1) || !validHeaderName(k2) || !validHeaderValue(v1) || !validHeaderValue(v2) {
			t.Skip()
		}
		u := &url.URL{Scheme: "https", Host: "fsx.us-east-1.amazonaws.com", Path: path, RawQuery: rawQuery}
		newReq := func() *http.Request {
			req, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
			if err != nil {
				return nil
			}
			req.Header.Add(k1, v1)
			req.Header[k2] = append(req.Header[k2], v2) // k2 possibly not canonical
			return req
		}
		req := newReq()
		if req == nil {
			t.Skip()
		}
		token := ""
		if withToken {
			token = testToken
		}
		ctx := auth.WithSigningTime(context.Background(), testTime)
		s := New(auth.StaticAWSCredentials(testAKID, testSecret, token), "fsx", "us-east-1")
		if err := s.Authenticate(ctx, req, body); err != nil {
			t.Fatalf("sign: %v", err)
		}
		if err := Verify(req, body, testAKID, testSecret, "fsx", testTime, 0); err != nil {
			t.Fatalf("verify %s %s: %v", method, u, err)
		}

		direct := New(auth.StaticAWSCredentials(testAKID, testSecret, token), "fsx", "us-east-1")
		direct.direct = true
		req2 := newReq()
		if err := direct.Authenticate(ctx, req2, body); err != nil {
			t.Fatalf("direct sign: %v", err)
		}
		if a, b := req.Header.Get("Authorization"), req2.Header.Get("Authorization"); a != b {
			t.Fatalf("signing paths disagree for %s %s:\n%s\n%s", method, u, a, b)
		}

		if len(body) > 0 {
			changed := append([]byte(nil), body...)
			changed[len(changed)-1] ^= 1
			if err := Verify(req, changed, testAKID, testSecret, "fsx", testTime, 0); err == nil {
				t.Fatal("verify accepted a changed body")
			}
		}
		a, err := ParseAuthorization(req.Header.Get("Authorization"))
		if err != nil {
			t.Fatalf("parse own header: %v", err)
		}
		if lk := strings.ToLower(k1); lk != "host" && slices.Contains(a.SignedHeaders, lk) {
			req.Header.Set(k1, req.Header.Get(k1)+"!")
			if err := Verify(req, body, testAKID, testSecret, "fsx", testTime, 0); err == nil {
				t.Fatalf("verify accepted a changed %s header", k1)
			}
		}
	})
}

// FuzzCanonicalRequest feeds arbitrary requests and Authorization headers to
// the canonicalization and the verifier: no panic, the canonical query is a
// fixed point, and canonical URIs and queries contain only the characters
// the specification allows.
func FuzzCanonicalRequest(f *testing.F) {
	f.Add("POST", "/a%20b/%zz", "b=2&a=1+1&a=%7e;x", "X-Amz-Date", "20150830T123600Z", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", []byte("body"))
	f.Add("GET", "//x/../", "%E1%88%B4=bar&&=&k", "My-Header1", "  a  b  ", "AWS4-HMAC-SHA256 Credential=a/b/c/d/e", []byte{})
	f.Add("", "", "", "", "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, method, path, rawQuery, hk, hv, authz string, body []byte) {
		req := &http.Request{
			Method: method,
			URL:    &url.URL{Path: path, RawQuery: rawQuery},
			Host:   "example.amazonaws.com",
			Header: http.Header{hk: {hv}, "Authorization": {authz}},
		}
		signed := []string{"host", strings.ToLower(hk), "x-amz-date"}
		_ = canonicalRequest(req, signed, hexSHA256(body))

		q := canonicalQuery(rawQuery)
		if again := canonicalQuery(q); again != q {
			t.Fatalf("canonical query is not a fixed point: %q -> %q -> %q", rawQuery, q, again)
		}
		checkEncoded(t, q, "&=")
		checkEncoded(t, canonicalURI(req.URL), "/")

		_, _ = ParseAuthorization(authz)
		err := Verify(req, body, "AKIDEXAMPLE", "secret", "service", time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC), 0)
		if err == nil {
			t.Fatalf("verify accepted a fuzzed request: %q", authz)
		}
		if _, ok := err.(*VerifyError); !ok {
			t.Fatalf("verify returned %T, not *VerifyError", err)
		}
	})
}

// checkEncoded fails unless s holds only unreserved characters, %XX escapes
// with upper-case hex, and the extra characters.
func checkEncoded(t *testing.T, s, extra string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreserved(c) || strings.IndexByte(extra, c) >= 0:
		case c == '%' && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2]):
			i += 2
		default:
			t.Fatalf("%q: byte %q at %d is not encoded", s, c, i)
		}
	}
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

func validMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD":
		return true
	}
	return false
}

// validHeaderName accepts the RFC 9110 token characters, as net/http does.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isUnreserved(c) && !strings.ContainsRune("!#$%&'*+^`|", rune(c)) {
			return false
		}
	}
	return true
}

// validHeaderValue accepts what net/http sends: no control characters but
// tab.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
