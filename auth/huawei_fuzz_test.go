package auth

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// FuzzHuaweiCanonicalRequest: whatever the path, query, header and body, the
// signer does not panic and its signature verifies.
func FuzzHuaweiCanonicalRequest(f *testing.F) {
	f.Add("POST", "v3/p/backups/b/replicate", "", "X-Custom", "v", []byte(`{"a":1}`))
	f.Add("GET", "a b/%2F/é", "b=2&a=1&a=0&c=%20+", "X-Multi", " spaced ", []byte{})
	f.Add("DELETE", "~x/y.z/", "k", "X-A", "", []byte("\x00"))
	f.Fuzz(func(t *testing.T, method, path, rawQuery, hk, hv string, body []byte) {
		if method != "GET" && method != "POST" && method != "PUT" && method != "DELETE" {
			return
		}
		if hk == "" || !tokenChars(hk) || !printable(hv) {
			return
		}
		u := &url.URL{Scheme: "https", Host: "cbr.cn-north-4.myhuaweicloud.com", Path: "/" + path, RawQuery: rawQuery}
		req, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set(hk, hv)
		at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		s := NewHuaweiSigner(HuaweiCredentials{AccessKey: hwAK, SecretKey: hwSK, ProjectID: "p"})
		if err := s.Authenticate(WithSigningTime(context.Background(), at), req, body); err != nil {
			t.Fatal(err)
		}
		if err := VerifyHuaweiSignature(req, body, hwLookup, at, time.Minute); err != nil {
			t.Fatalf("%s %s?%s [%s: %q]: %v", method, u.EscapedPath(), rawQuery, hk, hv, err)
		}
	})
}

func tokenChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return false
		}
	}
	return true
}
