package peertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/auth/sigv4"
)

// FuzzSigV4MatchesAWSSDK signs the same fuzzed request (method, host, path,
// raw query, two headers, body, time, service, region, with or without a
// session token) with auth/sigv4 and with aws-sdk-go-v2's v4 signer and
// requires the same Authorization, X-Amz-Date, X-Amz-Security-Token, Host
// and (canonicalized) query, and that sigv4.Verify accepts both requests.
//
// Inputs are restricted to requests both sides treat as valid HTTP
// requests: a URL http.NewRequest parses, header names that are RFC 9110
// tokens and values without control characters but tab (what net/http
// sends), valid UTF-8 in header values. Known, intentional differences that
// are excluded rather than compared:
//   - the query order: aws-http-auth v1.1.3 (which auth/sigv4 uses on the
//     common path) sorts by decoded names; auth/sigv4 detects when that
//     differs from the specification and signs those requests itself (see
//     sigv4.go), so the result must equal aws-sdk-go-v2's in every case:
//     nothing is excluded here, the target checks exactly that.
//   - a query that does not parse (bad %-escape, ';'): aws-sdk-go-v2 drops
//     such pairs through url.Values, auth/sigv4 signs them as sent; skipped.
//   - header values that are not valid UTF-8: skipped (net/http sends them,
//     but the SDK and the specification say nothing about their trimming).
func FuzzSigV4MatchesAWSSDK(f *testing.F) {
	f.Add(uint8(1), uint8(0), "/", "", "X-Amz-Target", "AWSSimbaAPIService_v20180301.CopyBackup", "Content-Type", "application/x-amz-json-1.1", []byte(`{"SourceBackupId":"backup-0123456789abcdef0"}`), false, int64(0), uint8(0))
	f.Add(uint8(0), uint8(4), "/a b/%2F/é/it's/", "b=2&a=1&a=0&c=%20+&d&%E1%88%B4=x", "My-Header1", "  a   b   c  ", "x-custom", "\tv\t", []byte{}, true, int64(86400*400), uint8(3))
	f.Add(uint8(2), uint8(1), "/~x/y.z//../", "k=a/b&k=a-b&é=1&a-b=&a%2Fb=", "X-Amz-Meta-Owner", "v,w", "Expect", "100-continue", []byte("\x00\xff"), false, int64(-3600), uint8(7))
	f.Add(uint8(3), uint8(6), "", "z=%7e&Z=~&a=%41", "User-Agent", "ua/1", "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD", []byte(nil), true, int64(1), uint8(12))
	f.Fuzz(func(t *testing.T, m, h uint8, path, rawQuery, k1, v1, k2, v2 string, body []byte, withToken bool, dt int64, sr uint8) {
		methods := []string{"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"}
		host := sigv4Hosts[int(h)%len(sigv4Hosts)]
		services := []string{"fsx", "s3", "sts", "dynamodb"}
		regions := []string{"us-east-1", "eu-west-3", "cn-north-1", "ap-southeast-2", "us-gov-west-1"}
		c := sigv4Case{
			method:  methods[int(m)%len(methods)],
			rawURL:  host.scheme + "://" + host.host + path,
			body:    body,
			at:      time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC).Add(time.Duration(dt%(20*365*86400)) * time.Second),
			service: services[int(sr)%len(services)],
			region:  regions[int(sr/4)%len(regions)],
		}
		if path != "" && path[0] != '/' {
			return
		}
		if rawQuery != "" {
			c.rawURL += "?" + rawQuery
		}
		if withToken {
			c.token = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJH+1="
		}
		for _, kv := range [][2]string{{k1, v1}, {k2, v2}} {
			if !fuzzHeaderName(kv[0]) || !fuzzHeaderValue(kv[1]) {
				return
			}
			if strings.EqualFold(kv[0], "Expect") && kv[1] != "100-continue" {
				return
			}
			c.header = append(c.header, kv)
		}
		req, err := http.NewRequest(c.method, c.rawURL, bytes.NewReader(c.body))
		if err != nil || req.URL.Host != host.host || req.URL.Opaque != "" || req.URL.Fragment != "" || strings.Contains(c.rawURL, "#") {
			return
		}
		if !fuzzQueryParses(req.URL.RawQuery) {
			return
		}

		ours := fuzzOurSign(t, c)
		theirs := fuzzSDKSign(t, c)
		if a, b := ours.Header.Get("Authorization"), theirs.Header.Get("Authorization"); a != b {
			t.Fatalf("%v:\n ours:   %s\n theirs: %s", c, a, b)
		}
		for _, h := range []string{"X-Amz-Date", "X-Amz-Security-Token"} {
			if a, b := ours.Header.Values(h), theirs.Header.Values(h); strings.Join(a, "\n") != strings.Join(b, "\n") {
				t.Fatalf("%v: %s ours %q, theirs %q", c, h, a, b)
			}
		}
		if ours.Host != theirs.Host || ours.URL.RawQuery != theirs.URL.RawQuery || ours.URL.EscapedPath() != theirs.URL.EscapedPath() {
			t.Fatalf("%v: host/path/query ours %q %q %q, theirs %q %q %q", c, ours.Host, ours.URL.EscapedPath(), ours.URL.RawQuery, theirs.Host, theirs.URL.EscapedPath(), theirs.URL.RawQuery)
		}
		for name, r := range map[string]*http.Request{"ours": ours, "theirs": theirs} {
			if err := sigv4.Verify(r, c.body, sigv4PeerAKID, sigv4PeerSecret, c.service, c.at, 0); err != nil {
				t.Fatalf("%v: Verify refused %s: %v", c, name, err)
			}
		}
	})
}

// fuzzOurSign and fuzzSDKSign are sigv4OurSign and sigv4SDKSign without
// t.Fatalf on the build (the fuzz input was checked to build).
func fuzzOurSign(t *testing.T, c sigv4Case) *http.Request {
	t.Helper()
	req := c.build(t)
	s := sigv4.New(auth.StaticAWSCredentials(sigv4PeerAKID, sigv4PeerSecret, c.token), c.service, c.region)
	if err := s.Authenticate(auth.WithSigningTime(context.Background(), c.at), req, c.body); err != nil {
		t.Fatalf("our signer: %v", err)
	}
	return req
}

func fuzzSDKSign(t *testing.T, c sigv4Case) *http.Request {
	t.Helper()
	req := c.build(t)
	sum := sha256.Sum256(c.body)
	creds := aws.Credentials{AccessKeyID: sigv4PeerAKID, SecretAccessKey: sigv4PeerSecret, SessionToken: c.token}
	if err := awsv4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), c.service, c.region, c.at); err != nil {
		t.Fatalf("aws-sdk-go-v2 signer: %v", err)
	}
	return req
}

// fuzzHeaderName accepts RFC 9110 token names, as net/http does.
func fuzzHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// fuzzHeaderValue accepts valid UTF-8 without control characters but tab.
func fuzzHeaderValue(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// fuzzQueryParses reports whether every pair of a raw query decodes (no bad
// %-escape, no ';'), so that url.Values keeps all of it.
func fuzzQueryParses(raw string) bool {
	if strings.Contains(raw, ";") {
		return false
	}
	for _, pair := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if _, err := url.QueryUnescape(k); err != nil {
			return false
		}
		if _, err := url.QueryUnescape(v); err != nil {
			return false
		}
	}
	return true
}
