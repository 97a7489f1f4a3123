package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// oldHuaweiAuthenticate is HuaweiSigner.Authenticate as it was before the
// signer built its canonical request on the stack: the reference for the
// equivalence tests.
func oldHuaweiAuthenticate(s *HuaweiSigner, ctx context.Context, req *http.Request, body []byte) error {
	if s.creds.AccessKey == "" || s.creds.SecretKey == "" {
		return errors.New("auth: Huawei AK/SK signing needs an access key and a secret key")
	}
	if req.URL == nil {
		return errors.New("auth: Huawei AK/SK signing: the request has no URL")
	}
	query, strict, err := huaweiParseQuery(req.URL.RawQuery)
	if err != nil {
		return fmt.Errorf("auth: Huawei AK/SK signing: %w", err)
	}
	req.URL.RawQuery = strict
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Del("Authorization")
	date := SigningTime(ctx).UTC().Format(huaweiDateFormat)
	req.Header.Set(HuaweiDateHeader, date)
	if s.creds.ProjectID != "" {
		req.Header.Set(HuaweiProjectHeader, s.creds.ProjectID)
	}
	if s.creds.SecurityToken != "" {
		req.Header.Set(HuaweiSecurityTokenHeader, s.creds.SecurityToken)
	}
	payload := huaweiPayloadHash(req.Header, body)
	signed := huaweiHeadersToSign(req.Header, s.signHost)
	canonical := huaweiCanonicalRequest(req.Method, req.URL.EscapedPath(), query, huaweiRequestHost(req), req.Header, signed, payload)
	sig := huaweiSign(s.creds.SecretKey, date, canonical)
	req.Header.Set("Authorization", huaweiAlgorithm+" Access="+s.creds.AccessKey+", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
	return nil
}

func cloneForSigning(r *http.Request) *http.Request {
	c := r.Clone(context.Background())
	if r.Header == nil {
		c.Header = nil
	}
	return c
}

func checkHuaweiEquiv(t *testing.T, s *HuaweiSigner, req *http.Request, body []byte) {
	t.Helper()
	ctx := WithSigningTime(context.Background(), hwAt)
	a, b := cloneForSigning(req), cloneForSigning(req)
	errNew := s.Authenticate(ctx, a, body)
	errOld := oldHuaweiAuthenticate(s, ctx, b, body)
	if fmt.Sprint(errNew) != fmt.Sprint(errOld) {
		t.Fatalf("error %v, old %v", errNew, errOld)
	}
	if !reflect.DeepEqual(a.Header, b.Header) || a.URL.String() != b.URL.String() {
		t.Fatalf("%s %s:\nheader %v\nold    %v\nURL %s, old %s", req.Method, req.URL, a.Header, b.Header, a.URL, b.URL)
	}
}

func TestHuaweiFastSignerMatchesOld(t *testing.T) {
	creds := []HuaweiCredentials{
		{AccessKey: hwAK, SecretKey: hwSK},
		{AccessKey: hwAK, SecretKey: hwSK, ProjectID: "p0", SecurityToken: "tok"},
		{AccessKey: hwAK, SecretKey: strings.Repeat("k", 100)}, // longer than an HMAC block
		{AccessKey: hwAK, SecretKey: strings.Repeat("k", 64)},
	}
	headers := []http.Header{
		nil,
		{},
		{"Content-Type": {"application/json"}, "User-Agent": {"backupcopy-go/0.1.0"}},
		{"Content-Type": {"text/plain"}, "X-A": {" b ", "a"}, "x-a": {"c"}, "X_B": {"1"}, "Host": {"evil"}, "Authorization": {"old"}},
		{"X-Sdk-Content-Sha256": {"UNSIGNED-PAYLOAD"}, "X-Empty": {}, "x-empty": {"v"}, "Content-Type-Extra": {"x"}},
		{"X-Ünicode": {"v"}, "X-A": {"1"}},
		{"HOST": {"h"}, "X-Z": {"\u00a0nbsp\u0085"}, "X-Y": {""}},
	}
	urls := []string{
		"https://cbr.example.com/v3/p/backups/b/replicate",
		"https://cbr.example.com:443/v3/a%2Fb/:@!$'()*,;=/?b=2&a=1&a=0&c=%20+&d",
		"https://cbr.example.com",
		"https://cbr.example.com/%25zz/x/?%C3%A9=%E4%B8%AD&k=&=v&&",
		"https://cbr.example.com/a?bad=%zz",
	}
	for _, c := range creds {
		for _, host := range []bool{false, true} {
			var opts []HuaweiSignerOption
			if host {
				opts = append(opts, HuaweiSignHost())
			}
			s := NewHuaweiSigner(c, opts...)
			for _, h := range headers {
				for _, u := range urls {
					for _, m := range []string{"", "POST", "GET"} {
						pu, _ := url.Parse(u)
						req := &http.Request{Method: m, URL: pu, Header: h.Clone(), Host: ""}
						if h == nil {
							req.Header = nil
						}
						checkHuaweiEquiv(t, s, req, []byte(`{"a":1}`))
						req.Host = "other.example.com:8443"
						checkHuaweiEquiv(t, s, req, nil)
					}
				}
			}
		}
	}
}

func FuzzHuaweiFastSignerMatchesOld(f *testing.F) {
	f.Add("POST", "/v3/p/backups/b/replicate", "", "X-Custom", "v", "x-custom", "w", "application/json", []byte(`{"a":1}`), false, "sk")
	f.Add("GET", "/a b/%2F/é/中/+/", "b=2&a=1&a=0&c=%20+&d", "X-Multi", " spaced ", "X_Under", "u", "", []byte{}, true, strings.Repeat("s", 70))
	f.Fuzz(func(t *testing.T, method, path, rawQuery, k1, v1, k2, v2, contentType string, body []byte, signHost bool, sk string) {
		if sk == "" {
			sk = hwSK
		}
		u := &url.URL{Scheme: "https", Host: "cbr.example.com", Path: path, RawQuery: rawQuery}
		h := http.Header{}
		h[k1] = append(h[k1], v1)
		h[k2] = append(h[k2], v2)
		if contentType != "" {
			h["Content-Type"] = []string{contentType}
		}
		var opts []HuaweiSignerOption
		if signHost {
			opts = append(opts, HuaweiSignHost())
		}
		s := NewHuaweiSigner(HuaweiCredentials{AccessKey: hwAK, SecretKey: sk, ProjectID: "p"}, opts...)
		checkHuaweiEquiv(t, s, &http.Request{Method: method, URL: u, Header: h}, body)
	})
}
