package faultsuite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/auth/google"
	"github.com/backupcopy/backupcopy/auth/sigv4"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/internal/faultproxy"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/spanner"
)

// The secrets the security tests hand to the clients. None may ever show up
// in an error, a log line or a printed value.
const (
	secretAWSKey      = "wJalrXUtnFEMI-K7MDENG-bPxRfiCY-AWSSECRET"
	secretAWSSession  = "FwoGZXIvYXdzEJr-SESSIONSECRET-token"
	secretHuaweiSK    = "HuaweiSKsecretVALUE0123456789abcdef"
	secretHuaweiSTS   = "HuaweiSECURITYTOKENsecret-value"
	secretIAMPassword = "IAM-Passw0rd-SECRET!"
	secretBearer      = "ya29.BEARER-SECRET-token-value"
	secretXAuthToken  = "MIIXAUTHTOKEN-SECRET-value"
	secretIAMToken    = "MIIIAMISSUED-SECRET-token"
)

var secrets = []string{secretAWSKey, secretAWSSession, secretHuaweiSK, secretHuaweiSTS, secretIAMPassword, secretBearer, secretXAuthToken, secretIAMToken}

func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s shows the secret %q:\n%s", what, sec, s)
		}
	}
}

func printAll(vs ...any) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "%v\n%+v\n%#v\n%s\n", v, v, v, v)
	}
	return b.String()
}

// secClient is one configured client with the secrets, and a call to make.
type secClient struct {
	name string
	// hdr are the credential headers the client sends.
	hdr  []string
	make func(ctx context.Context, endpoint string, hc *http.Client, logs *logSink) (client any, call func(context.Context) error, err error)
}

// iamFor returns a Huawei IAM that hands out secretIAMToken, for t.
func iamFor(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now().UTC()
		w.Header().Set("X-Subject-Token", secretIAMToken)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"token":{"issued_at":%q,"expires_at":%q}}`, now.Format(time.RFC3339), now.Add(24*time.Hour).Format(time.RFC3339))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func secClients(t *testing.T) []secClient {
	iam := iamFor(t)
	return []secClient{
		{name: "bigtable", hdr: []string{"Authorization"}, make: func(ctx context.Context, ep string, hc *http.Client, logs *logSink) (any, func(context.Context) error, error) {
			c, err := bigtable.NewClient(withFastRetry(ctx), bigtable.WithEndpoint(ep), bigtable.WithHTTPClient(hc), bigtable.WithLogger(logs.Logger()),
				bigtable.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: secretBearer})))
			if err != nil {
				return nil, nil, err
			}
			return c, func(ctx context.Context) error { _, err := c.GetBackup(ctx, btSrc); return err }, nil
		}},
		{name: "spanner", hdr: []string{"Authorization"}, make: func(ctx context.Context, ep string, hc *http.Client, logs *logSink) (any, func(context.Context) error, error) {
			c, err := spanner.NewClient(withFastRetry(ctx), spanner.WithEndpoint(ep), spanner.WithHTTPClient(hc), spanner.WithLogger(logs.Logger()),
				spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: secretBearer})))
			if err != nil {
				return nil, nil, err
			}
			return c, func(ctx context.Context) error { _, err := c.GetBackup(ctx, spSrc); return err }, nil
		}},
		{name: "cbr AK/SK+security token", hdr: []string{"Authorization", "X-Security-Token"}, make: func(ctx context.Context, ep string, hc *http.Client, logs *logSink) (any, func(context.Context) error, error) {
			signer := auth.NewHuaweiSigner(auth.HuaweiCredentials{AccessKey: "HWAKEXAMPLE", SecretKey: secretHuaweiSK, SecurityToken: secretHuaweiSTS, ProjectID: cbrtest.ProjectID})
			c, err := cbr.NewClient(withFastRetry(ctx), cbr.WithEndpoint(ep), cbr.WithHTTPClient(hc), cbr.WithLogger(logs.Logger()), cbr.WithRegion(cbrtest.Region),
				cbr.WithProjectID(cbrtest.ProjectID), cbr.WithAuthenticator(signer))
			if err != nil {
				return nil, nil, err
			}
			return c, func(ctx context.Context) error { _, err := c.GetBackup(ctx, cbrSrcMarker); return err }, nil
		}},
		{name: "cbr AK/SK", hdr: []string{"Authorization"}, make: func(ctx context.Context, ep string, hc *http.Client, logs *logSink) (any, func(context.Context) error, error) {
			c, err := cbr.NewClient(withFastRetry(ctx), cbr.WithEndpoint(ep), cbr.WithHTTPClient(hc), cbr.WithLogger(logs.Logger()), cbr.WithRegion(cbrtest.Region),
				cbr.WithProjectID(cbrtest.ProjectID), cbr.WithAKSK("HWAKEXAMPLE", secretHuaweiSK))
			if err != nil {
				return nil, nil, err
			}
			return c, func(ctx context.Context) error { _, err := c.GetBackup(ctx, cbrSrcMarker); return err }, nil
		}},
		{name: "cbr X-Auth-Token", hdr: []string{"X-Auth-Token"}, make: func(ctx context.Context, ep string, hc *http.Client, logs *logSink) (any, func(context.Context) error, error) {
			c, err := cbr.NewClient(withFastRetry(ctx), cbr.WithEndpoint(ep), cbr.WithHTTPClient(hc), cbr.WithLogger(logs.Logger()), cbr.WithRegion(cbrtest.Region),
				cbr.WithProjectID(cbrtest.ProjectID), cbr.WithToken(secretXAuthToken))
			if err != nil {
				return nil, nil, err
			}
			return c, func(ctx context.Context) error { _, err := c.GetBackup(ctx, cbrSrcMarker); return err }, nil
		}},
		{name: "cbr IAM password", hdr: []string{"X-Auth-Token"}, make: func(ctx context.Context, ep string, hc *http.Client, logs *logSink) (any, func(context.Context) error, error) {
			ts, err := auth.NewHuaweiIAMTokenSource(auth.HuaweiIAMConfig{Endpoint: iam.URL, DomainName: "acme", UserName: "ops",
				Password: secretIAMPassword, ProjectID: cbrtest.ProjectID})
			if err != nil {
				return nil, nil, err
			}
			c, err := cbr.NewClient(withFastRetry(ctx), cbr.WithEndpoint(ep), cbr.WithHTTPClient(hc), cbr.WithLogger(logs.Logger()), cbr.WithRegion(cbrtest.Region),
				cbr.WithProjectID(cbrtest.ProjectID), cbr.WithAuthenticator(ts))
			if err != nil {
				return nil, nil, err
			}
			return c, func(ctx context.Context) error { _, err := c.GetBackup(ctx, cbrSrcMarker); return err }, nil
		}},
		{name: "fsx", hdr: []string{"Authorization", "X-Amz-Security-Token"}, make: func(ctx context.Context, ep string, hc *http.Client, logs *logSink) (any, func(context.Context) error, error) {
			c, err := fsx.NewClient(withFastRetry(ctx), fsx.WithEndpoint(ep), fsx.WithHTTPClient(hc), fsx.WithLogger(logs.Logger()), fsx.WithRegion(fsxtest.Region),
				fsx.WithCredentials(auth.StaticAWSCredentials("AKIAEXAMPLE", secretAWSKey, secretAWSSession)))
			if err != nil {
				return nil, nil, err
			}
			return c, func(ctx context.Context) error {
				for _, err := range c.DescribeBackups(ctx, &fsx.DescribeBackupsRequest{BackupIDs: []string{"backup-0123456789abcdef0"}}) {
					if err != nil {
						return err
					}
				}
				return nil
			}, nil
		}},
	}
}

// TestSecuritySecretsNotShown: errors, logs and printed clients, options
// and credentials never show a secret, whatever the server answers.
func TestSecuritySecretsNotShown(t *testing.T) {
	answers := map[string]http.HandlerFunc{
		"401 echoing nothing": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"},"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information"}`)
		},
		"503 then 404": func() http.HandlerFunc {
			var mu sync.Mutex
			n := 0
			return func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				n++
				first := n%2 == 1
				mu.Unlock()
				w.Header().Set("X-Request-Id", "rid-sec")
				if first {
					w.WriteHeader(503)
					return
				}
				w.WriteHeader(404)
				io.WriteString(w, `{"error":{"code":404,"message":"not found","status":"NOT_FOUND"}}`)
			}
		}(),
		"connection reset": func(w http.ResponseWriter, r *http.Request) {
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
		},
	}
	// AWS answers a signature mismatch with the canonical request it
	// expected, whose signed headers include X-Amz-Security-Token.
	awsEcho := func(w http.ResponseWriter, r *http.Request) {
		msg := "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. " +
			"Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'POST\n/\n\ncontent-type:" +
			r.Header.Get("Content-Type") + "\nhost:" + r.Host + "\nx-amz-date:" + r.Header.Get("X-Amz-Date") +
			"\nx-amz-security-token:" + r.Header.Get("X-Amz-Security-Token") + "\nx-amz-target:" + r.Header.Get("X-Amz-Target") + "\n'"
		w.Header().Set("Content-Type", fsx.ContentType)
		w.Header().Set("X-Amzn-Errortype", "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/")
		w.WriteHeader(403)
		io.WriteString(w, faultproxy.AWSJSONError("InvalidSignatureException", msg))
	}
	for _, sc := range secClients(t) {
		answers := maps.Clone(answers)
		if sc.name == "fsx" {
			answers["403 with the canonical request (AWS)"] = awsEcho
		}
		for name, h := range answers {
			t.Run(sc.name+"/"+name, func(t *testing.T) {
				srv := httptest.NewServer(h)
				defer srv.Close()
				logs := newLogSink()
				tr := &http.Transport{}
				defer tr.CloseIdleConnections()
				c, call, err := sc.make(context.Background(), srv.URL, &http.Client{Transport: tr}, logs)
				if err != nil {
					t.Fatal(err)
				}
				err = call(context.Background())
				if err == nil {
					t.Fatal("the call succeeded")
				}
				assertNoSecret(t, "the error", printAll(err, err.Error()))
				assertNoSecret(t, "the client", printAll(c))
				if len(logs.Records()) == 0 {
					t.Error("nothing was logged")
				}
				assertNoSecret(t, "the log", logs.Text())
			})
		}
	}

	t.Run("credential values and options", func(t *testing.T) {
		awsCreds := auth.AWSCredentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: secretAWSKey, SessionToken: secretAWSSession}
		static := auth.StaticAWSCredentials("AKIAEXAMPLE", secretAWSKey, secretAWSSession)
		hw := auth.HuaweiCredentials{AccessKey: "HWAK", SecretKey: secretHuaweiSK, SecurityToken: secretHuaweiSTS}
		iamCfg := auth.HuaweiIAMConfig{Endpoint: iamFor(t).URL, DomainName: "d", UserName: "u", Password: secretIAMPassword, ProjectID: "p"}
		iamTS, err := auth.NewHuaweiIAMTokenSource(iamCfg)
		if err != nil {
			t.Fatal(err)
		}
		if tok, err := iamTS.Token(context.Background()); err != nil || tok != secretIAMToken {
			t.Fatalf("IAM token %q, %v", tok, err) // it now holds the token
		}
		bearer := google.NewAuthenticator(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: secretBearer}))
		req := httptest.NewRequest("GET", "https://x.example.com/v2/a", nil)
		if err := bearer.Authenticate(context.Background(), req, nil); err != nil {
			t.Fatal(err) // it now holds the token
		}
		cached := &auth.CachedAWSCredentials{Provider: static}
		if _, err := cached.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		values := []any{
			awsCreds, &awsCreds, static, cached, sigv4.New(static, "fsx", "us-east-1"),
			hw, &hw, auth.NewHuaweiSigner(hw), auth.HuaweiToken(secretXAuthToken, "p"),
			iamCfg, &iamCfg, iamTS, bearer,
			bigtable.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: secretBearer})),
			cbr.WithAKSK("HWAK", secretHuaweiSK), cbr.WithToken(secretXAuthToken), cbr.WithAuthenticator(iamTS),
			fsx.WithCredentials(static),
		}
		for i, v := range values {
			assertNoSecret(t, fmt.Sprintf("value %d (%T)", i, v), printAll(v))
		}
	})
}

// TestSecurityRedirectKeepsCredentials: a redirect to another host never
// carries a credential header, with the library's HTTP client or with a
// caller's that follows every redirect.
func TestSecurityRedirectKeepsCredentials(t *testing.T) {
	credHeaders := []string{"Authorization", "X-Auth-Token", "X-Security-Token", "X-Amz-Security-Token"}
	for _, code := range []int{301, 302, 307, 308} {
		for _, callers := range []bool{false, true} {
			for _, sc := range secClients(t) {
				t.Run(fmt.Sprintf("%d/caller-client=%v/%s", code, callers, sc.name), func(t *testing.T) {
					var mu sync.Mutex
					var leaked []string
					var reached int
					second := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						mu.Lock()
						defer mu.Unlock()
						reached++
						for _, h := range credHeaders {
							if v := r.Header.Get(h); v != "" {
								leaked = append(leaked, h+": "+v)
							}
						}
						w.WriteHeader(404)
					}))
					defer second.Close()
					// the same machine under another name: another host
					other := strings.Replace(second.URL, "127.0.0.1", "localhost", 1)
					var firstHits int
					var sawCreds bool
					first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						mu.Lock()
						firstHits++
						for _, h := range sc.hdr {
							if r.Header.Get(h) != "" {
								sawCreds = true
							}
						}
						mu.Unlock()
						http.Redirect(w, r, other+r.URL.RequestURI(), code)
					}))
					defer first.Close()
					tr := &http.Transport{}
					defer tr.CloseIdleConnections()
					hc := &http.Client{Transport: tr}
					if callers {
						hc.CheckRedirect = func(*http.Request, []*http.Request) error { return nil } // follow everything
					}
					_, call, err := sc.make(context.Background(), first.URL, hc, newLogSink())
					if err != nil {
						t.Fatal(err)
					}
					if err := call(context.Background()); err == nil {
						t.Error("the call succeeded through a cross-host redirect")
					}
					mu.Lock()
					defer mu.Unlock()
					if firstHits == 0 || !sawCreds {
						t.Fatalf("the first server saw %d requests (credentials: %v): the test proves nothing", firstHits, sawCreds)
					}
					if len(leaked) > 0 {
						t.Errorf("credentials reached the other host: %v", leaked)
					}
					if reached > 0 {
						t.Logf("the other host was reached %d times (without credentials)", reached)
					}
				})
			}
		}
	}
}

// TestSecurityPlainHTTPRefused: http:// is accepted for loopback hosts only.
func TestSecurityPlainHTTPRefused(t *testing.T) {
	ctx := context.Background()
	newClients := map[string]func(endpoint string) error{
		"bigtable": func(ep string) error {
			_, err := bigtable.NewClient(ctx, bigtable.WithEndpoint(ep), bigtable.WithoutAuthentication())
			return err
		},
		"spanner": func(ep string) error {
			_, err := spanner.NewClient(ctx, spanner.WithEndpoint(ep), spanner.WithoutAuthentication())
			return err
		},
		"cbr": func(ep string) error {
			_, err := cbr.NewClient(ctx, cbr.WithEndpoint(ep), cbr.WithRegion(cbrtest.Region), cbr.WithProjectID(cbrtest.ProjectID), cbr.WithAKSK("a", "s"))
			return err
		},
		"fsx": func(ep string) error {
			_, err := fsx.NewClient(ctx, fsx.WithEndpoint(ep), fsx.WithRegion("us-east-1"), fsx.WithCredentials(auth.StaticAWSCredentials("a", "s", "")))
			return err
		},
		"huawei IAM": func(ep string) error {
			_, err := auth.NewHuaweiIAMTokenSource(auth.HuaweiIAMConfig{Endpoint: ep, DomainName: "d", UserName: "u", Password: "p", ProjectID: "p"})
			return err
		},
	}
	refused := []string{
		"http://backup.example.com", "http://10.1.2.3:8080", "http://192.168.0.1", "http://localhost.example.com",
		"http://127.0.0.1.nip.io", "http://[::ffff:10.0.0.1]:80", "http://[fe80::1]", "http://0.0.0.0:80", "http://localhost@evil.example.com",
		"ftp://127.0.0.1", "//example.com", "example.com", "http://",
	}
	accepted := []string{"http://127.0.0.1:1", "http://127.5.6.7", "http://localhost:1", "http://[::1]:1", "https://backup.example.com", "https://10.1.2.3:8443/"}
	for name, nc := range newClients {
		for _, ep := range refused {
			err := nc(ep)
			var ve *backupcopy.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%s: endpoint %q: want a *backupcopy.ValidationError, got %v", name, ep, err)
			}
		}
		for _, ep := range accepted {
			if err := nc(ep); err != nil {
				t.Errorf("%s: endpoint %q refused: %v", name, ep, err)
			}
		}
	}
}

// TestSecurityBodyBound: an answer that never ends fails with
// *rest.TooLargeError once the bound (8 MiB) is passed, long before the
// context ends, and reading it allocates a bounded amount of memory.
func TestSecurityBodyBound(t *testing.T) {
	// Reading up to the 8 MiB bound allocates about 20 MiB in all (the
	// buffer doubles as it fills); the race detector's runtime about twice
	// as much.
	budget := uint64(32 << 20)
	if raceEnabled {
		budget = 64 << 20
	}
	for _, sc := range secClients(t) {
		t.Run(sc.name, func(t *testing.T) {
			backend := httptest.NewServer(http.NotFoundHandler())
			defer backend.Close()
			proxy, err := faultproxy.New(backend.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer proxy.Close()
			proxy.Add(faultproxy.Rule{Faults: []faultproxy.Fault{{Kind: faultproxy.Endless}}, Repeat: true})
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			_, call, err := sc.make(context.Background(), proxy.URL(), &http.Client{Transport: tr}, newLogSink())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			err = call(ctx)
			runtime.ReadMemStats(&after)
			var tl *rest.TooLargeError
			if !errors.As(err, &tl) {
				t.Fatalf("want a *rest.TooLargeError, got %v", err)
			}
			if ctx.Err() != nil {
				t.Errorf("the call ran until its context ended")
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > budget {
				t.Errorf("the call allocated %d MiB reading an endless body (budget %d MiB)", n>>20, budget>>20)
			} else {
				t.Logf("allocated %.1f MiB", float64(n)/(1<<20))
			}
			if n := proxy.Count(faultproxy.Endless); n != 1 {
				t.Errorf("%d endless answers were read; a body over the bound is not retried", n)
			}
		})
	}
}

// TestSecurityBadInputRefusedBeforeIO: ids and names that would change the
// request path, add a query or fragment, or inject a header are refused with
// a *backupcopy.ValidationError before any request is made (httpmock with no
// responders counts every request). Values that are merely odd ("a b",
// "a%2Fb") may be refused too, or sent, but then only as one escaped path
// segment that reads back as the value.
func TestSecurityBadInputRefusedBeforeIO(t *testing.T) {
	mustRefuse := []string{"", ".", "..", "../x", "./a", "a/../b", "a/./b", "a/b", "a?x=1", "a#f", "a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b", "a\tb"}
	for i, v := range mustRefuse {
		mustRefuse[i], _ = strconv.Unquote(`"` + v + `"`)
	}
	oddButSafe := []string{"a%2Fb", "a%2e%2e", "%2e%2e", "a b", "a;b", "%", "a\\b", "é"}
	for i, v := range oddButSafe {
		oddButSafe[i], _ = strconv.Unquote(`"` + v + `"`)
	}
	ctx := context.Background()
	mt := httpmock.NewMockTransport()
	hc := &http.Client{Transport: mt}
	btc, err := bigtable.NewClient(withFastRetry(ctx), bigtable.WithEndpoint("https://bigtableadmin.example.com"), bigtable.WithHTTPClient(hc),
		bigtable.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"})))
	if err != nil {
		t.Fatal(err)
	}
	spc, err := spanner.NewClient(withFastRetry(ctx), spanner.WithEndpoint("https://spanner.example.com"), spanner.WithHTTPClient(hc),
		spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t"})))
	if err != nil {
		t.Fatal(err)
	}
	cbc, err := cbr.NewClient(withFastRetry(ctx), cbr.WithRegion(cbrtest.Region), cbr.WithProjectID(cbrtest.ProjectID), cbr.WithAKSK("a", "s"), cbr.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	fxc, err := fsx.NewClient(withFastRetry(ctx), fsx.WithRegion("us-east-1"), fsx.WithCredentials(auth.StaticAWSCredentials("a", "s", "")), fsx.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	expire := time.Now().Add(72 * time.Hour)
	type call struct {
		name string
		do   func(v string) error
	}
	calls := []call{
		{"bigtable.GetBackup(id)", func(v string) error { _, err := btc.GetBackup(ctx, btDstCl+"/backups/"+v); return err }},
		{"bigtable.GetBackup(cluster)", func(v string) error {
			_, err := btc.GetBackup(ctx, "projects/p/instances/i/clusters/"+v+"/backups/b")
			return err
		}},
		{"bigtable.DeleteBackup", func(v string) error { return btc.DeleteBackup(ctx, btDstCl+"/backups/"+v) }},
		{"bigtable.ListBackups", func(v string) error {
			for _, err := range btc.ListBackups(ctx, "projects/p/instances/"+v+"/clusters/c") {
				return err
			}
			return nil
		}},
		{"bigtable.CopyBackup(BackupID)", func(v string) error {
			_, err := btc.CopyBackup(ctx, &bigtable.CopyBackupRequest{Parent: btDstCl, BackupID: v, SourceBackup: btSrc, ExpireTime: expire})
			return err
		}},
		{"bigtable.CopyBackup(SourceBackup)", func(v string) error {
			_, err := btc.CopyBackup(ctx, &bigtable.CopyBackupRequest{Parent: btDstCl, BackupID: "ok", SourceBackup: btDstCl + "/backups/" + v, ExpireTime: expire})
			return err
		}},
		{"bigtable.CopyBackupOperation", func(v string) error {
			_, err := btc.CopyBackupOperation("operations/" + v).Poll(ctx)
			return err
		}},
		{"spanner.GetBackup", func(v string) error { _, err := spc.GetBackup(ctx, spInst+"/backups/"+v); return err }},
		{"spanner.DeleteBackup", func(v string) error { return spc.DeleteBackup(ctx, spInst+"/backups/"+v) }},
		{"spanner.CopyBackup(BackupID)", func(v string) error {
			_, err := spc.CopyBackup(ctx, &spanner.CopyBackupRequest{Parent: spDstInst, BackupID: v, SourceBackup: spSrc, ExpireTime: expire})
			return err
		}},
		{"spanner.CopyBackup(Parent)", func(v string) error {
			_, err := spc.CopyBackup(ctx, &spanner.CopyBackupRequest{Parent: "projects/p/instances/" + v, BackupID: "ok-1", SourceBackup: spSrc, ExpireTime: expire})
			return err
		}},
		{"spanner.CopyBackupOperation", func(v string) error {
			_, err := spc.CopyBackupOperation(spInst + "/backups/b/operations/" + v).Poll(ctx)
			return err
		}},
		{"cbr.GetBackup", func(v string) error { _, err := cbc.GetBackup(ctx, v); return err }},
		{"cbr.CopyBackup(BackupID)", func(v string) error {
			_, err := cbc.CopyBackup(ctx, &cbr.CopyBackupRequest{BackupID: v, DestinationProjectID: "dp", DestinationRegion: cbrtest.DestinationRegion, DestinationVaultID: "v"})
			return err
		}},
		{"cbr.CopyBackupOperation", func(v string) error { _, err := cbc.CopyBackupOperation(v).Poll(ctx); return err }},
		{"fsx.DescribeBackups", func(v string) error {
			for _, err := range fxc.DescribeBackups(ctx, &fsx.DescribeBackupsRequest{BackupIDs: []string{"backup-" + v}}) {
				return err
			}
			return nil
		}},
		{"fsx.DeleteBackup", func(v string) error { return fxc.DeleteBackup(ctx, "backup-0123abcd"+v) }},
		{"fsx.CopyBackup(SourceBackupID)", func(v string) error {
			_, err := fxc.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: "backup-0123abcd" + v})
			return err
		}},
		{"fsx.CopyBackupOperation", func(v string) error { _, err := fxc.CopyBackupOperation("backup-0123abcd" + v).Poll(ctx); return err }},
	}
	for _, c := range calls {
		for _, v := range mustRefuse {
			if v == "" && strings.HasPrefix(c.name, "fsx.") {
				continue // "backup-0123abcd" is a valid id
			}
			if v == "a/b" && c.name == "bigtable.CopyBackupOperation" {
				continue // Bigtable operation names have several segments
			}
			before := mt.GetTotalCallCount()
			err := c.do(v)
			var ve *backupcopy.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%s(%q): want a *backupcopy.ValidationError, got %v", c.name, v, err)
			}
			if n := mt.GetTotalCallCount() - before; n != 0 {
				t.Errorf("%s(%q): %d requests were sent", c.name, v, n)
			}
		}
		for _, v := range oddButSafe {
			var paths []string
			mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
				paths = append(paths, r.URL.EscapedPath())
				return httpmock.NewStringResponse(404, `{}`), nil
			})
			err := c.do(v)
			mt.RegisterNoResponder(nil)
			var ve *backupcopy.ValidationError
			if errors.As(err, &ve) {
				if len(paths) > 0 {
					t.Errorf("%s(%q): refused after %d requests", c.name, v, len(paths))
				}
				continue
			}
			for _, p := range paths {
				if !hasSegment(p, v) && !strings.HasPrefix(c.name, "fsx.") {
					t.Errorf("%s(%q): sent as %s, where no segment reads back as the value", c.name, v, p)
				}
				if strings.HasPrefix(c.name, "fsx.") && p != "/" {
					t.Errorf("%s(%q): FSx request to %s", c.name, v, p)
				}
			}
		}
	}
	mt.Reset()
	// header values
	for _, opt := range []struct {
		name string
		err  error
	}{
		{"bigtable.WithUserAgent", func() error {
			_, err := bigtable.NewClient(ctx, bigtable.WithUserAgent("x\r\nX-Evil: 1"), bigtable.WithoutAuthentication())
			return err
		}()},
		{"cbr.WithProjectID", func() error {
			_, err := cbr.NewClient(ctx, cbr.WithRegion(cbrtest.Region), cbr.WithProjectID("p/../q"), cbr.WithAKSK("a", "s"))
			return err
		}()},
		{"cbr.WithProjectID header", func() error {
			_, err := cbr.NewClient(ctx, cbr.WithRegion(cbrtest.Region), cbr.WithProjectID("p\r\nX-Evil: 1"), cbr.WithAKSK("a", "s"))
			return err
		}()},
		{"cbr.WithRegion", func() error {
			_, err := cbr.NewClient(ctx, cbr.WithRegion("cn-north-4.evil.example.com/x"), cbr.WithProjectID("p"), cbr.WithAKSK("a", "s"))
			return err
		}()},
		{"fsx.WithRegion", func() error {
			_, err := fsx.NewClient(ctx, fsx.WithRegion("us-east-1.evil.example.com#"), fsx.WithCredentials(auth.StaticAWSCredentials("a", "s", "")))
			return err
		}()},
		{"fsx.ClientRequestToken", func() error {
			_, err := fxc.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: "backup-0123abcd", ClientRequestToken: "x\r\nX-Evil: 1"})
			return err
		}()},
		{"huawei IAM project", func() error {
			_, err := auth.NewHuaweiIAMTokenSource(auth.HuaweiIAMConfig{Region: "cn-north-4", DomainName: "d", UserName: "u", Password: "p", ProjectID: "p\r\nX-Evil: 1"})
			return err
		}()},
	} {
		if opt.err == nil {
			t.Errorf("%s: a value with CR/LF or a path was accepted", opt.name)
		}
	}
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests were sent: %v", n, mt.GetCallCountInfo())
	}
}

// hasSegment reports whether one segment of the escaped path p unescapes to v.
func hasSegment(p, v string) bool {
	for _, seg := range strings.Split(p, "/") {
		if u, err := url.PathUnescape(seg); err == nil && u == v {
			return true
		}
		// a value ending a name may share its segment with a ":verb"
		if u, err := url.PathUnescape(seg); err == nil && strings.HasPrefix(u, v+":") {
			return true
		}
	}
	return false
}
