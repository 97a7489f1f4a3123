package peertest

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/backupcopy/backupcopy/auth"
)

// FuzzHuaweiSignerMatchesSDK signs the same fuzzed request (method, host,
// path, query, one extra header, content type, body, project id, security
// token, signed Host or not, date) with auth.NewHuaweiSigner and with
// huaweicloud-sdk-go-v3's SDK-HMAC-SHA256 signer (through
// BasicCredentials.ProcessAuthRequest, as the SDK's clients do), and
// requires the same Authorization and X-Sdk-Content-Sha256, and that our
// verifier accepts the request the SDK would send.
//
// The SDK takes the query as decoded values, ours as a raw query string:
// ours gets the fuzzed raw query itself (or url.Values' spelling of it), the
// SDK what url.ParseQuery reads from it. Inputs are restricted to requests
// both sides accept as valid HTTP requests: a raw query url.ParseQuery reads
// without error and that a request URL carries unchanged (no raw '#'), a path of valid UTF-8 without control characters, an
// RFC 9110 token header name that neither signer manages (Host,
// Authorization, X-Sdk-*, X-Project-Id, X-Security-Token, Content-Type,
// Content-Length, hop-by-hop headers) and a header value without control
// characters but tab, and a body only for methods that carry one (the
// SDK's request sends none for GET and HEAD).
//
// Known difference, of the SDK with itself: for a query pair with an empty
// name ("=v"), the SDK signs "=v" but its ConvertRequest sends "v" (a name
// "v" with no value), so a server refuses what it sends. The signatures are
// still compared for such queries; only the check of the SDK's sent request
// is skipped.
func FuzzHuaweiSignerMatchesSDK(f *testing.F) {
	f.Add(uint8(1), uint8(0), "v3/0605767a3300d5762fb7c0186d9e1779/backups/b1/replicate", "", uint8(0), "X-Custom-1", "v", uint8(1), []byte(`{"replicate":{"destination_region":"cn-south-1"}}`), true, false, false, int64(0))
	f.Add(uint8(0), uint8(1), "v3/p/a b/%2F/é/中/+/?#/", "b=2&a=1&a=0&c=%20+&d&é=中", uint8(2), "X-Language", "  en-us ", uint8(0), []byte(nil), false, true, true, int64(86400*30))
	f.Add(uint8(2), uint8(2), "v3//x/", "k=&=v&&a=%7e&A=~&a-b=%2F", uint8(1), "If-Match", "\"etag\"", uint8(4), []byte("\x00\xff"), true, true, false, int64(-7200))
	f.Add(uint8(4), uint8(0), "", "z", uint8(0), "Accept", "", uint8(3), []byte("b"), false, false, true, int64(5))
	f.Fuzz(func(t *testing.T, m, h uint8, path, rawQuery string, qform uint8, hk, hv string, ct uint8, body []byte, project, token, signHost bool, dt int64) {
		c := hwPeerCase{
			method: []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"}[int(m)%6],
			host:   "cbr." + []string{"cn-north-4", "ap-southeast-1", "eu-west-101"}[int(h)%3] + ".myhuaweicloud.com",
			path:   "/" + path,
			header: http.Header{},
			creds:  auth.HuaweiCredentials{AccessKey: hwPeerAK, SecretKey: hwPeerSK},
			at:     time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC).Add(time.Duration(dt%(10*365*86400)) * time.Second),
		}
		if !utf8.ValidString(path) || strings.IndexFunc(path, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return
		}
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		c.query = q
		switch qform % 3 {
		case 0:
			c.rawQuery = rawQuery
		case 1:
			c.rawQuery = q.Encode()
		default:
			c.rawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
		}
		if !fuzzHeaderName(hk) || !fuzzHeaderValue(hv) || hwManaged(hk) {
			return
		}
		c.header.Set("User-Agent", "backupcopy-go/0.1.0")
		c.header.Set(hk, hv)
		if v := []string{"", "application/json", "application/json;charset=UTF-8", "text/plain", "application/octet-stream", "application/bson"}[int(ct)%6]; v != "" {
			c.header.Set("Content-Type", v)
		}
		if project {
			c.creds.ProjectID = "0605767a3300d5762fb7c0186d9e1779"
		}
		if token {
			c.creds.SecurityToken = "gQpjbi1ub3J0aC00-temporary"
		}
		if c.method != "GET" && c.method != "HEAD" {
			c.body = body
		}
		c.signHost = signHost

		u := &url.URL{Scheme: "https", Host: c.host, Path: c.path, RawQuery: c.rawQuery}
		ours, err := http.NewRequest(c.method, u.String(), bytes.NewReader(c.body))
		if err != nil || ours.URL.RawQuery != c.rawQuery || ours.URL.Path != c.path {
			return // not a query or path a request can carry as is (a raw '#', for one)
		}
		ours.Header = c.header.Clone()
		var opts []auth.HuaweiSignerOption
		if c.signHost {
			opts = append(opts, auth.HuaweiSignHost())
		}
		if err := auth.NewHuaweiSigner(c.creds, opts...).Authenticate(auth.WithSigningTime(context.Background(), c.at), ours, c.body); err != nil {
			t.Fatalf("our signer refused %s %s: %v", c.method, u, err)
		}
		sdk := sdkRequest(t, c)
		want := sdk.GetHeaderParams()["Authorization"]
		if got := ours.Header.Get("Authorization"); got != want {
			t.Fatalf("%s %s?%s (SDK query %q)\n headers: %v\n ours: %s\n sdk:  %s", c.method, c.path, c.rawQuery, c.query, c.header, got, want)
		}
		if a, b := ours.Header.Get("X-Sdk-Content-Sha256"), sdk.GetHeaderParams()["X-Sdk-Content-Sha256"]; a != b {
			t.Fatalf("X-Sdk-Content-Sha256: ours %q, sdk %q", a, b)
		}
		if _, emptyKey := c.query[""]; emptyKey {
			return // the SDK signs an empty key's "=v" but sends "v" (see below)
		}
		sent, err := sdk.ConvertRequest()
		if err != nil {
			return // the SDK cannot send it; nothing to compare on the wire
		}
		if err := auth.VerifyHuaweiSignature(sent, c.body, hwPeerLookup, c.at, 0); err != nil {
			t.Fatalf("our verifier refused the SDK's request %s %s: %v", sent.Method, sent.URL, err)
		}
	})
}

// hwManaged reports whether a header is set by a signer, by net/http, or by
// this target itself.
func hwManaged(name string) bool {
	switch strings.ToLower(name) {
	case "host", "authorization", "x-sdk-date", "x-sdk-content-sha256", "x-project-id", "x-security-token",
		"content-type", "content-length", "user-agent", "transfer-encoding", "trailer", "connection", "te",
		"upgrade", "keep-alive", "proxy-connection":
		return true
	}
	return false
}
