package cbr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

const (
	testAK      = "TESTAKEXAMPLE0000001"
	testSK      = "testSecretKeyExample0123456789abcdefghij"
	testProject = "p0123456789abcdef0123456789abcdef"
)

// route answers one method+path; calls counts how often it was hit.
type route struct {
	mu    sync.Mutex
	calls int
	bods  [][]byte
	// answers are used in order; the last one repeats.
	answers []func(w http.ResponseWriter, r *http.Request, n int)
}

type stub struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	routes map[string]*route
	reqs   []*http.Request
}

func newStub(t *testing.T) *stub {
	t.Helper()
	s := &stub{t: t, routes: map[string]*route{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stub) on(method, path string, answers ...func(w http.ResponseWriter, r *http.Request, n int)) *route {
	r := &route{answers: answers}
	s.mu.Lock()
	s.routes[method+" "+path] = r
	s.mu.Unlock()
	return r
}

func (s *stub) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	rt := s.routes[r.Method+" "+r.URL.EscapedPath()]
	s.reqs = append(s.reqs, r)
	s.mu.Unlock()
	if rt == nil {
		s.t.Errorf("unexpected request %s %s", r.Method, r.URL.EscapedPath())
		w.WriteHeader(http.StatusNotFound)
		return
	}
	rt.mu.Lock()
	rt.calls++
	n := rt.calls
	rt.bods = append(rt.bods, body)
	a := rt.answers[min(n, len(rt.answers))-1]
	rt.mu.Unlock()
	a(w, r, n)
}

func (r *route) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

func jsonAnswer(code int, v any, hdr ...string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		if s, ok := v.(string); ok {
			io.WriteString(w, s)
			return
		}
		json.NewEncoder(w).Encode(v)
	}
}

func newTestClient(t *testing.T, endpoint string, opts ...Option) (*Client, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC))
	base := []Option{WithEndpoint(endpoint), WithProjectID(testProject), WithRegion("cn-north-4"), WithAKSK(testAK, testSK), WithClock(clk)}
	c, err := NewClient(context.Background(), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

func validRequest() *CopyBackupRequest {
	return &CopyBackupRequest{
		BackupID:             "a5200268-74a5-4806-acc6-95793ab0228b",
		DestinationProjectID: "68589cac08274b82b4e254268a3862d8",
		DestinationRegion:    "cn-east-3",
		DestinationVaultID:   "0ca3eb86-8800-46da-9c37-9d657a825274",
		Name:                 "backup_name",
		Description:          "backup_description",
	}
}

func TestValidation(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL)

	tests := []struct {
		name   string
		mutate func(r *CopyBackupRequest)
		field  string // "" means valid
	}{
		{"valid", func(r *CopyBackupRequest) {}, ""},
		{"no name or description", func(r *CopyBackupRequest) { r.Name, r.Description = "", "" }, ""},
		{"chinese name", func(r *CopyBackupRequest) { r.Name = "备份_副本-1" }, ""},
		{"compat ideograph", func(r *CopyBackupRequest) { r.Name = "a\uf900\ufa2d" }, ""},
		{"name 64", func(r *CopyBackupRequest) { r.Name = strings.Repeat("名", 64) }, ""},
		{"name 65", func(r *CopyBackupRequest) { r.Name = strings.Repeat("a", 65) }, "CopyBackupRequest.Name"},
		{"name space", func(r *CopyBackupRequest) { r.Name = "a b" }, "CopyBackupRequest.Name"},
		{"name dot", func(r *CopyBackupRequest) { r.Name = "a.b" }, "CopyBackupRequest.Name"},
		{"name outside CJK range", func(r *CopyBackupRequest) { r.Name = "\u9FA6" }, "CopyBackupRequest.Name"},
		{"name emoji", func(r *CopyBackupRequest) { r.Name = "x🙂" }, "CopyBackupRequest.Name"},
		{"description 255", func(r *CopyBackupRequest) { r.Description = strings.Repeat("描", 255) }, ""},
		{"description 256", func(r *CopyBackupRequest) { r.Description = strings.Repeat("d", 256) }, "CopyBackupRequest.Description"},
		{"description <", func(r *CopyBackupRequest) { r.Description = "a<b" }, "CopyBackupRequest.Description"},
		{"description >", func(r *CopyBackupRequest) { r.Description = "a>b" }, "CopyBackupRequest.Description"},
		{"description & and quotes ok", func(r *CopyBackupRequest) { r.Description = `a & "b" 'c'` }, ""},
		{"no backup", func(r *CopyBackupRequest) { r.BackupID = "" }, "CopyBackupRequest.BackupID"},
		{"backup slash", func(r *CopyBackupRequest) { r.BackupID = "a/b" }, "CopyBackupRequest.BackupID"},
		{"backup dotdot", func(r *CopyBackupRequest) { r.BackupID = ".." }, "CopyBackupRequest.BackupID"},
		{"backup query", func(r *CopyBackupRequest) { r.BackupID = "a?x=1" }, "CopyBackupRequest.BackupID"},
		{"no destination project", func(r *CopyBackupRequest) { r.DestinationProjectID = "" }, "CopyBackupRequest.DestinationProjectID"},
		{"project newline", func(r *CopyBackupRequest) { r.DestinationProjectID = "a\nb" }, "CopyBackupRequest.DestinationProjectID"},
		{"no region", func(r *CopyBackupRequest) { r.DestinationRegion = "" }, "CopyBackupRequest.DestinationRegion"},
		{"region chars", func(r *CopyBackupRequest) { r.DestinationRegion = "cn east" }, "CopyBackupRequest.DestinationRegion"},
		{"region dots ok", func(r *CopyBackupRequest) { r.DestinationRegion = "eu-west_1.x" }, ""},
		{"region 256", func(r *CopyBackupRequest) { r.DestinationRegion = strings.Repeat("r", 256) }, "CopyBackupRequest.DestinationRegion"},
		{"same region", func(r *CopyBackupRequest) { r.DestinationRegion = "cn-north-4" }, "CopyBackupRequest.DestinationRegion"},
		{"no vault", func(r *CopyBackupRequest) { r.DestinationVaultID = "" }, "CopyBackupRequest.DestinationVaultID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRequest()
			tt.mutate(r)
			err := r.validate(c.region)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("validate: %v", err)
				}
				return
			}
			var ve *backupcopy.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field || ve.Rule == "" {
				t.Fatalf("validate = %v, want a *backupcopy.ValidationError on %s", err, tt.field)
			}
			before := hits.Load()
			if _, err := c.CopyBackup(context.Background(), r); !errors.As(err, &ve) {
				t.Fatalf("CopyBackup = %v, want *backupcopy.ValidationError", err)
			}
			if hits.Load() != before {
				t.Fatal("CopyBackup made a request for an invalid input")
			}
		})
	}
	if _, err := c.CopyBackup(context.Background(), nil); err == nil {
		t.Fatal("CopyBackup(nil) succeeded")
	}
	if _, err := c.GetBackup(context.Background(), "a/../b"); err == nil {
		t.Fatal("GetBackup accepted a path-changing id")
	}
	if hits.Load() != 0 {
		t.Fatalf("%d requests were made for invalid inputs", hits.Load())
	}
}

func TestNewClientErrors(t *testing.T) {
	t.Setenv(EnvAccessKey, "")
	t.Setenv(EnvSecretKey, "")
	t.Setenv(EnvProjectID, "")
	t.Setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "")
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"no project", []Option{WithRegion("cn-north-4"), WithAKSK("a", "b")}, "WithProjectID or set HUAWEICLOUD_SDK_PROJECT_ID"},
		{"no region", []Option{WithProjectID("p"), WithAKSK("a", "b")}, "WithRegion"},
		{"no credentials", []Option{WithProjectID("p"), WithRegion("cn-north-4")}, "set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"},
		{"empty sk", []Option{WithProjectID("p"), WithRegion("cn-north-4"), WithAKSK("a", "")}, "secret key is empty"},
		{"empty token", []Option{WithProjectID("p"), WithRegion("cn-north-4"), WithToken("")}, "token is empty"},
		{"nil authenticator", []Option{WithProjectID("p"), WithRegion("cn-north-4"), WithAuthenticator(nil)}, "nil authenticator"},
		{"bad region", []Option{WithProjectID("p"), WithRegion("cn/north"), WithToken("t")}, "Region"},
		{"bad project", []Option{WithProjectID("p/q"), WithRegion("cn-north-4"), WithToken("t")}, "ProjectID"},
		{"http remote", []Option{WithProjectID("p"), WithEndpoint("http://cbr.example.com"), WithToken("t")}, "loopback"},
		{"bad user agent", []Option{WithProjectID("p"), WithRegion("r"), WithToken("t"), WithUserAgent("a\r\nX: y")}, "UserAgent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClient(context.Background(), tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewClient = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestDefaultsFromEnvironment(t *testing.T) {
	t.Setenv(EnvAccessKey, testAK)
	t.Setenv(EnvSecretKey, testSK)
	t.Setenv(EnvProjectID, testProject)
	t.Setenv("HUAWEICLOUD_SDK_SECURITY_TOKEN", "")
	c, err := NewClient(context.Background(), WithRegion("ap-southeast-1"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ProjectID() != testProject || c.Region() != "ap-southeast-1" {
		t.Fatalf("project %q region %q", c.ProjectID(), c.Region())
	}
	if got := c.rest.Endpoint().String(); got != "https://cbr.ap-southeast-1.myhuaweicloud.com" {
		t.Fatalf("endpoint %q", got)
	}

	// The env credentials sign requests.
	s := newStub(t)
	s.on("GET", "/v3/"+testProject+"/backups/b1", func(w http.ResponseWriter, r *http.Request, _ int) {
		body, _ := io.ReadAll(r.Body)
		lookup := func(ak string) (string, bool) { return testSK, ak == testAK }
		if err := auth.VerifyHuaweiSignature(r, body, lookup, time.Now(), 0); err != nil {
			t.Errorf("signature: %v", err)
		}
		jsonAnswer(200, map[string]any{"backup": map[string]any{"id": "b1"}})(w, r, 1)
	})
	c2, err := NewClient(context.Background(), WithEndpoint(s.srv.URL), WithRegion("ap-southeast-1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.GetBackup(context.Background(), "b1"); err != nil {
		t.Fatal(err)
	}
}

func TestCopyBackupWire(t *testing.T) {
	s := newStub(t)
	const resp = `{"replication":{"destination_vault_id":"0ca3eb86-8800-46da-9c37-9d657a825274","provider_id":"0daac4c5-6707-4851-97ba-169e36266b66","backup_id":"a5200268-74a5-4806-acc6-95793ab0228b","destination_project_id":"68589cac08274b82b4e254268a3862d8","destination_region":"cn-east-3","source_region":"cn-north-4","project_id":"` + testProject + `","replication_record_id":"1579a71e-8d8d-41e6-85dc-d77f5ce8d91a"}}`
	post := s.on("POST", "/v3/"+testProject+"/backups/a5200268-74a5-4806-acc6-95793ab0228b/replicate", func(w http.ResponseWriter, r *http.Request, _ int) {
		body, _ := io.ReadAll(r.Body)
		lookup := func(ak string) (string, bool) { return testSK, ak == testAK }
		if err := auth.VerifyHuaweiSignature(r, body, lookup, time.Now(), 0); err != nil {
			t.Errorf("signature: %v", err)
		}
		if got := r.Header.Get("X-Project-Id"); got != testProject {
			t.Errorf("X-Project-Id %q", got)
		}
		if got := r.Header.Get("Content-Type"); got != "application/json;charset=UTF-8" {
			t.Errorf("Content-Type %q", got)
		}
		if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "backupcopy-go/") || !strings.HasSuffix(ua, " tool/1.0") {
			t.Errorf("User-Agent %q", ua)
		}
		jsonAnswer(200, resp, "X-Request-Id", "req-1")(w, r, 1)
	})
	c, _ := newTestClient(t, s.srv.URL, WithUserAgent("tool/1.0"))
	req := validRequest()
	req.EnableAcceleration = true
	req.Description = `a & b "c"`
	op, err := c.CopyBackup(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"replicate":{"description":"a & b \"c\"","destination_project_id":"68589cac08274b82b4e254268a3862d8","destination_region":"cn-east-3","destination_vault_id":"0ca3eb86-8800-46da-9c37-9d657a825274","enable_acceleration":true,"name":"backup_name"}}` + "\n"
	if got := string(post.bods[0]); got != want {
		t.Fatalf("body\n got %s\nwant %s", got, want)
	}
	rep := op.Replication()
	wantRep := Replication{
		BackupID: "a5200268-74a5-4806-acc6-95793ab0228b", DestinationProjectID: "68589cac08274b82b4e254268a3862d8",
		DestinationRegion: "cn-east-3", DestinationVaultID: "0ca3eb86-8800-46da-9c37-9d657a825274",
		ProjectID: testProject, ProviderID: "0daac4c5-6707-4851-97ba-169e36266b66",
		ReplicationRecordID: "1579a71e-8d8d-41e6-85dc-d77f5ce8d91a", SourceRegion: "cn-north-4",
	}
	if *rep != wantRep {
		t.Fatalf("Replication() = %+v\nwant %+v", *rep, wantRep)
	}
	if op.Done() {
		t.Fatal("a new operation is done")
	}
	ref, err := parseName(op.Name())
	if err != nil || ref != (opRef{testProject, wantRep.BackupID, wantRep.ReplicationRecordID}) {
		t.Fatalf("name %q -> %+v, %v", op.Name(), ref, err)
	}

	// Optional fields are left out when empty.
	req2 := validRequest()
	req2.Name, req2.Description = "", ""
	if got := string(req2.body()); got != `{"replicate":{"destination_project_id":"68589cac08274b82b4e254268a3862d8","destination_region":"cn-east-3","destination_vault_id":"0ca3eb86-8800-46da-9c37-9d657a825274"}}`+"\n" {
		t.Fatalf("minimal body %s", got)
	}
}

func TestErrorDecoding(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		hdr    []string
		want   Error
		is     error
	}{
		{"cbr", 400, `{"error_code":"BackupService.1009","error_msg":"already replicated"}`, []string{"X-Request-Id", "r1"},
			Error{400, "BackupService.1009", "already replicated", "r1"}, ErrAlreadyReplicated},
		{"code/message", 400, `{"code":"BackupService.1012","message":"limit"}`, nil,
			Error{400, "BackupService.1012", "limit", ""}, ErrReplicaLimit},
		{"nested", 400, `{"error":{"code":"BackupService.6105","message":"vault not found"}}`, []string{"X-Request-Id", "r3"},
			Error{400, "BackupService.6105", "vault not found", "r3"}, ErrVaultNotFound},
		{"gateway auth", 401, `{"error_msg":"Incorrect IAM authentication information: verify aksk signature fail","error_code":"APIGW.0301","request_id":"gw1"}`, nil,
			Error{401, "APIGW.0301", "Incorrect IAM authentication information: verify aksk signature fail", "gw1"}, ErrAuthFailed},
		{"region", 400, `{"error_code":"BackupService.1005","error_msg":"no"}`, nil, Error{400, "BackupService.1005", "no", ""}, ErrRegionNotSupported},
		{"replica", 400, `{"error_code":"BackupService.1002","error_msg":"no"}`, nil, Error{400, "BackupService.1002", "no", ""}, ErrNotReplicable},
		{"not json", 404, `<html>nope</html>`, nil, Error{404, "", "<html>nope</html>", ""}, ErrNotFound},
		{"empty", 403, ``, nil, Error{403, "", "Forbidden", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t)
			s.on("GET", "/v3/"+testProject+"/backups/b1", jsonAnswer(tt.status, tt.body, tt.hdr...))
			c, _ := newTestClient(t, s.srv.URL)
			_, err := c.GetBackup(context.Background(), "b1")
			var e *Error
			if !errors.As(fmt.Errorf("wrapped: %w", err), &e) {
				t.Fatalf("err %v is not an *Error", err)
			}
			if *e != tt.want {
				t.Fatalf("got %+v\nwant %+v", *e, tt.want)
			}
			if tt.is != nil && !errors.Is(fmt.Errorf("x: %w", err), tt.is) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tt.is)
			}
			for _, other := range []error{ErrAlreadyReplicated, ErrReplicaLimit, ErrVaultNotFound, ErrThrottled} {
				if other != tt.is && errors.Is(err, other) {
					t.Fatalf("%v also matches %v", err, other)
				}
			}
			if msg := err.Error(); !strings.Contains(msg, fmt.Sprint(tt.status)) || (tt.want.RequestID != "" && !strings.Contains(msg, tt.want.RequestID)) {
				t.Fatalf("message %q lacks status or request id", msg)
			}
		})
	}
}

func TestGetRetries(t *testing.T) {
	s := newStub(t)
	backup := map[string]any{"backup": map[string]any{"id": "b1", "status": "available", "image_type": "backup",
		"created_at": "2020-02-05T10:38:34.209782", "replication_records": []any{
			map[string]any{"id": "r1", "status": "replicating", "created_at": "2026-11-03T10:00:00.5Z", "destination_region": "cn-east-3",
				"extra_info": map[string]any{"progress": 42, "fail_code": "", "auto_trigger": true}},
		}}}
	rt := s.on("GET", "/v3/"+testProject+"/backups/b1",
		jsonAnswer(503, `{"error_code":"BackupService.0500","error_msg":"busy"}`),
		jsonAnswer(429, `{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached"}`, "Retry-After", "3"),
		jsonAnswer(200, backup))
	c, clk := newTestClient(t, s.srv.URL)
	b, err := c.GetBackup(context.Background(), "b1")
	if err != nil {
		t.Fatal(err)
	}
	if rt.count() != 3 {
		t.Fatalf("%d attempts, want 3", rt.count())
	}
	if sl := clk.Sleeps(); len(sl) != 2 || sl[1] < 3*time.Second {
		t.Fatalf("sleeps %v: want 2, the second honouring Retry-After: 3", sl)
	}
	if b.CreatedAt != time.Date(2020, 2, 5, 10, 38, 34, 209782000, time.UTC) {
		t.Fatalf("created_at %v", b.CreatedAt)
	}
	r := b.ReplicationRecords[0]
	if r.Progress != 42 || !r.AutoTrigger || r.CreatedAt != time.Date(2026, 11, 3, 10, 0, 0, 5e8, time.UTC) {
		t.Fatalf("record %+v", r)
	}

	// A permanent error is not retried.
	s.on("GET", "/v3/"+testProject+"/backups/b2", jsonAnswer(404, `{"error_code":"BackupService.6101","error_msg":"not found"}`))
	if _, err := c.GetBackup(context.Background(), "b2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err %v", err)
	}
}

func TestThrottleCodeOnAnyStatus(t *testing.T) {
	s := newStub(t)
	rt := s.on("GET", "/v3/"+testProject+"/replication-capabilities",
		jsonAnswer(400, `{"error_code":"APIGW.0308","error_msg":"throttled"}`),
		jsonAnswer(200, `{"regions":[{"name":"cn-north-4","replication_destinations":["cn-east-3","cn-south-1"]}]}`))
	c, _ := newTestClient(t, s.srv.URL)
	caps, err := c.ListReplicationCapabilities(context.Background())
	if err != nil || rt.count() != 2 {
		t.Fatalf("caps %v err %v after %d attempts", caps, err, rt.count())
	}
	if len(caps) != 1 || caps[0].Name != "cn-north-4" || len(caps[0].ReplicationDestinations) != 2 {
		t.Fatalf("caps %+v", caps)
	}
	if err := c.CheckReplicationDestination(context.Background(), "cn-south-1"); err != nil {
		t.Fatal(err)
	}
	err = c.CheckReplicationDestination(context.Background(), "eu-west-0")
	var de *DestinationError
	if !errors.As(err, &de) || !errors.Is(err, ErrRegionNotSupported) || len(de.Allowed) != 2 {
		t.Fatalf("err %v", err)
	}
}

func TestRegionCheckOption(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v3/"+testProject+"/replication-capabilities",
		jsonAnswer(200, `{"regions":[{"name":"cn-north-4","replication_destinations":["cn-south-1"]}]}`))
	post := s.on("POST", "/v3/"+testProject+"/backups/"+validRequest().BackupID+"/replicate", jsonAnswer(500, `{}`))
	c, _ := newTestClient(t, s.srv.URL, WithRegionCheck())
	_, err := c.CopyBackup(context.Background(), validRequest())
	if !errors.Is(err, ErrRegionNotSupported) || post.count() != 0 {
		t.Fatalf("err %v, %d replicate calls", err, post.count())
	}
}

// replicateOK answers a replicate call with record id rec.
func replicateOK(rec string) func(http.ResponseWriter, *http.Request, int) {
	r := validRequest()
	return jsonAnswer(200, map[string]any{"replication": map[string]any{
		"backup_id": r.BackupID, "destination_project_id": r.DestinationProjectID, "destination_region": r.DestinationRegion,
		"destination_vault_id": r.DestinationVaultID, "project_id": testProject, "provider_id": "prov",
		"replication_record_id": rec, "source_region": "cn-north-4"}})
}

func backupWith(records ...map[string]any) func(http.ResponseWriter, *http.Request, int) {
	recs := make([]any, len(records))
	for i, r := range records {
		recs[i] = r
	}
	return jsonAnswer(200, map[string]any{"backup": map[string]any{"id": validRequest().BackupID, "provider_id": "prov", "replication_records": recs}})
}

func record(id string, status ReplicationStatus, progress int, created time.Time) map[string]any {
	r := validRequest()
	return map[string]any{"id": id, "status": status, "created_at": created.UTC().Format("2006-01-02T15:04:05.000000"),
		"destination_project_id": r.DestinationProjectID, "destination_region": r.DestinationRegion,
		"destination_vault_id": r.DestinationVaultID, "source_region": "cn-north-4",
		"extra_info": map[string]any{"progress": progress}}
}

func TestReplicateRetryRules(t *testing.T) {
	r := validRequest()
	postPath := "/v3/" + testProject + "/backups/" + r.BackupID + "/replicate"
	getPath := "/v3/" + testProject + "/backups/" + r.BackupID
	start := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC) // the fake clock's start

	tests := []struct {
		name      string
		post      []func(http.ResponseWriter, *http.Request, int)
		get       []func(http.ResponseWriter, *http.Request, int)
		wantPosts int
		wantGets  int
		wantRec   string // record id of the operation; "" means an error
		wantErr   error
	}{
		{"ok", []func(http.ResponseWriter, *http.Request, int){replicateOK("r1")}, nil, 1, 0, "r1", nil},
		{"throttled then ok", []func(http.ResponseWriter, *http.Request, int){
			jsonAnswer(429, `{"error_code":"APIGW.0308","error_msg":"throttled"}`), replicateOK("r1")}, nil, 2, 0, "r1", nil},
		{"conflict is not retried", []func(http.ResponseWriter, *http.Request, int){
			jsonAnswer(400, `{"error_code":"BackupService.1009","error_msg":"dup"}`)}, nil, 1, 0, "", ErrAlreadyReplicated},
		{"5xx, record found", []func(http.ResponseWriter, *http.Request, int){jsonAnswer(502, `bad gateway`)},
			[]func(http.ResponseWriter, *http.Request, int){backupWith(
				record("old", ReplicationFail, 0, start.Add(-time.Hour)),
				record("mine", ReplicationWaiting, 0, start.Add(time.Second)))}, 1, 1, "mine", nil},
		{"5xx, no record, resent", []func(http.ResponseWriter, *http.Request, int){jsonAnswer(500, `{}`), replicateOK("r2")},
			[]func(http.ResponseWriter, *http.Request, int){backupWith(record("old", ReplicationFail, 0, start.Add(-time.Hour)))}, 2, 1, "r2", nil},
		{"other vault ignored", []func(http.ResponseWriter, *http.Request, int){jsonAnswer(500, `{}`), replicateOK("r3")},
			[]func(http.ResponseWriter, *http.Request, int){func(w http.ResponseWriter, req *http.Request, n int) {
				rec := record("x", ReplicationWaiting, 0, start)
				rec["destination_vault_id"] = "other"
				backupWith(rec)(w, req, n)
			}}, 2, 1, "r3", nil},
		{"undecodable 200, record found", []func(http.ResponseWriter, *http.Request, int){jsonAnswer(200, `{"replication":`)},
			[]func(http.ResponseWriter, *http.Request, int){backupWith(record("mine", ReplicationReplicating, 10, start))}, 1, 1, "mine", nil},
		{"5xx twice, record appears on second look", []func(http.ResponseWriter, *http.Request, int){jsonAnswer(500, `{}`), jsonAnswer(400, `{"error_code":"BackupService.1009","error_msg":"dup"}`)},
			[]func(http.ResponseWriter, *http.Request, int){backupWith(), backupWith(record("late", ReplicationWaiting, 0, start))}, 2, 2, "late", nil},
		{"5xx twice", []func(http.ResponseWriter, *http.Request, int){jsonAnswer(500, `{}`)},
			[]func(http.ResponseWriter, *http.Request, int){backupWith()}, 2, 2, "", &OutcomeUnknownError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t)
			post := s.on("POST", postPath, tt.post...)
			get := s.on("GET", getPath, tt.get...)
			if tt.get == nil {
				get = s.on("GET", getPath, func(w http.ResponseWriter, _ *http.Request, _ int) {
					t.Error("unexpected record lookup")
					w.WriteHeader(500)
				})
			}
			c, _ := newTestClient(t, s.srv.URL)
			op, err := c.CopyBackup(context.Background(), validRequest())
			if post.count() != tt.wantPosts || get.count() != tt.wantGets {
				t.Fatalf("%d replicate calls, %d lookups; want %d, %d", post.count(), get.count(), tt.wantPosts, tt.wantGets)
			}
			if tt.wantRec == "" {
				if op != nil || err == nil {
					t.Fatalf("op %v err %v, want an error", op, err)
				}
				var ou *OutcomeUnknownError
				if _, want := tt.wantErr.(*OutcomeUnknownError); want && !errors.As(err, &ou) {
					t.Fatalf("err %v, want *OutcomeUnknownError", err)
				} else if !want && !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := op.Replication().ReplicationRecordID; got != tt.wantRec {
				t.Fatalf("record %q, want %q", got, tt.wantRec)
			}
		})
	}
}

// dialFailOnce fails the first request as a refused connection would, before
// anything is sent.
type dialFailOnce struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (d *dialFailOnce) RoundTrip(r *http.Request) (*http.Response, error) {
	if d.n.Add(1) == 1 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	return d.next.RoundTrip(r)
}

func TestReplicateResentWhenNotSent(t *testing.T) {
	s := newStub(t)
	post := s.on("POST", "/v3/"+testProject+"/backups/"+validRequest().BackupID+"/replicate", replicateOK("r1"))
	c, _ := newTestClient(t, s.srv.URL, WithHTTPClient(&http.Client{Transport: &dialFailOnce{next: http.DefaultTransport}}))
	op, err := c.CopyBackup(context.Background(), validRequest())
	if err != nil || post.count() != 1 || op.Replication().ReplicationRecordID != "r1" {
		t.Fatalf("op %v err %v posts %d", op, err, post.count())
	}
}

type rotatingAuth struct {
	mu          sync.Mutex
	token       string
	invalidated int
}

func (a *rotatingAuth) Authenticate(_ context.Context, r *http.Request, _ []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	r.Header.Set("X-Auth-Token", a.token)
	return nil
}

func (a *rotatingAuth) Invalidate() {
	a.mu.Lock()
	a.invalidated++
	a.token = "fresh"
	a.mu.Unlock()
}

func TestTokenExpiredRefreshedOnce(t *testing.T) {
	s := newStub(t)
	var seen []string
	var mu sync.Mutex
	post := s.on("POST", "/v3/"+testProject+"/backups/"+validRequest().BackupID+"/replicate", func(w http.ResponseWriter, r *http.Request, n int) {
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Auth-Token"))
		mu.Unlock()
		if r.Header.Get("X-Auth-Token") != "fresh" {
			jsonAnswer(401, `{"error_msg":"The token must be updated.","error_code":"APIGW.0301","request_id":"x"}`)(w, r, n)
			return
		}
		replicateOK("r1")(w, r, n)
	})
	a := &rotatingAuth{token: "stale"}
	c, _ := newTestClient(t, s.srv.URL, WithAuthenticator(a))
	if _, err := c.CopyBackup(context.Background(), validRequest()); err != nil {
		t.Fatal(err)
	}
	if a.invalidated != 1 || post.count() != 2 || seen[0] != "stale" || seen[1] != "fresh" {
		t.Fatalf("invalidated %d, tokens %v", a.invalidated, seen)
	}

	// A fixed token cannot be refreshed: one attempt, ErrAuthFailed.
	s2 := newStub(t)
	post2 := s2.on("POST", "/v3/"+testProject+"/backups/"+validRequest().BackupID+"/replicate",
		jsonAnswer(401, `{"error_msg":"The token must be updated.","error_code":"APIGW.0301"}`))
	c2, _ := newTestClient(t, s2.srv.URL, WithToken("fixed-token-SECRET"))
	_, err := c2.CopyBackup(context.Background(), validRequest())
	if !errors.Is(err, ErrAuthFailed) || post2.count() != 1 {
		t.Fatalf("err %v after %d attempts", err, post2.count())
	}
	if strings.Contains(err.Error(), "fixed-token-SECRET") {
		t.Fatal("the token leaked into the error")
	}
}

// Every gateway and CBR answer has one Kind; only the token and signature
// date answers ask for a fresh credential or a corrected clock (a plain
// signature refusal is never retried: the gateway locks the key after five).
func TestErrorKindAndHint(t *testing.T) {
	tests := []struct {
		status int
		body   string
		kind   backupcopy.Kind
		hint   rest.Hint
	}{
		{401, `{"error_code":"APIGW.0301","error_msg":"The token must be updated."}`, backupcopy.PermissionDenied, rest.Hint{Refresh: true}},
		{401, `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: token expired"}`, backupcopy.PermissionDenied, rest.Hint{Refresh: true}},
		{401, `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail, signature expired"}`, backupcopy.PermissionDenied, rest.Hint{Resign: true}},
		{401, `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail"}`, backupcopy.PermissionDenied, rest.Hint{}},
		{429, `{"error_code":"APIGW.0308","error_msg":"throttled"}`, backupcopy.Throttled, rest.Hint{}},
		{400, `{"error_code":"APIGW.0308","error_msg":"throttled"}`, backupcopy.Throttled, rest.Hint{}},
		{400, `{"error_code":"BackupService.1009","error_msg":"dup"}`, backupcopy.Conflict, rest.Hint{}},
		{400, `{"error_code":"BackupService.1012","error_msg":"replica limit"}`, backupcopy.Conflict, rest.Hint{}},
		{400, `{"error_code":"BackupService.1002","error_msg":"cannot"}`, backupcopy.InvalidInput, rest.Hint{}},
		{400, `{"error_code":"BackupService.6105","error_msg":"vault"}`, backupcopy.NotFound, rest.Hint{}},
		{404, `{"error_code":"APIGW.0101","error_msg":"no api"}`, backupcopy.NotFound, rest.Hint{}},
		{503, `{}`, backupcopy.Transient, rest.Hint{}},
	}
	for _, tt := range tests {
		resp := &rest.Response{StatusCode: tt.status, Body: []byte(tt.body)}
		err := decodeError("CopyBackup", resp)
		if got := backupcopy.KindOf(err); got != tt.kind {
			t.Errorf("%d %s: kind %v, want %v", tt.status, tt.body, got, tt.kind)
		}
		if got := hint(resp, err); got != tt.hint {
			t.Errorf("%d %s: hint %+v, want %+v", tt.status, tt.body, got, tt.hint)
		}
	}
}

func TestWaitFollowsRecord(t *testing.T) {
	s := newStub(t)
	t0 := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	done := record("r1", ReplicationSuccess, 100, t0)
	done["destination_backup_id"] = "replica-1"
	s.on("POST", "/v3/"+testProject+"/backups/"+validRequest().BackupID+"/replicate", replicateOK("r1"))
	s.on("GET", "/v3/"+testProject+"/backups/"+validRequest().BackupID,
		jsonAnswer(503, `{}`),
		backupWith(record("r1", ReplicationWaiting, 0, t0)),
		backupWith(record("other", ReplicationReplicating, 5, t0)), // record not listed yet: transient
		backupWith(record("r1", ReplicationReplicating, 30, t0)),
		backupWith(record("r1", ReplicationReplicating, 80, t0)),
		backupWith(done))
	c, _ := newTestClient(t, s.srv.URL)
	op, err := c.CopyBackup(context.Background(), validRequest())
	if err != nil {
		t.Fatal(err)
	}
	var percents []int
	rec, err := op.Wait(context.Background(), lro.WithProgress(func(p lro.Progress) { percents = append(percents, p.Percent) }))
	if err != nil {
		t.Fatal(err)
	}
	if rec.DestinationBackupID != "replica-1" || rec.Status != ReplicationSuccess || rec.Progress != 100 {
		t.Fatalf("record %+v", rec)
	}
	if fmt.Sprint(percents) != "[0 30 80 100]" {
		t.Fatalf("progress %v", percents)
	}
	if m := op.Metadata(); m == nil || m.Status != ReplicationSuccess {
		t.Fatalf("metadata %+v", m)
	}
	if !op.Done() {
		t.Fatal("not done")
	}
}

func TestWaitFailure(t *testing.T) {
	s := newStub(t)
	t0 := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	failed := record("r1", ReplicationFail, 40, t0)
	failed["extra_info"] = map[string]any{"progress": 40, "fail_code": "BackupService.5106", "fail_reason": "destination vault full"}
	s.on("GET", "/v3/"+testProject+"/backups/"+validRequest().BackupID, backupWith(failed))
	c, _ := newTestClient(t, s.srv.URL)
	op := c.CopyBackupOperation(opRef{testProject, validRequest().BackupID, "r1"}.name())
	_, err := op.Wait(context.Background())
	var re *ReplicationError
	if !errors.As(err, &re) || re.FailCode != "BackupService.5106" || re.FailReason != "destination vault full" || re.Status != ReplicationFail || re.RecordID != "r1" {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(err.Error(), "destination vault full") {
		t.Fatalf("message %q", err)
	}
	if rep := op.Replication(); rep == nil || rep.DestinationVaultID != validRequest().DestinationVaultID || rep.ProviderID != "prov" {
		t.Fatalf("rebuilt replication %+v", rep)
	}
}

func TestOperationNames(t *testing.T) {
	s := newStub(t)
	c, _ := newTestClient(t, s.srv.URL)
	good := opRef{testProject, "b-1", "r.1"}.name()
	if ref, err := parseName(good); err != nil || ref.recordID != "r.1" {
		t.Fatalf("%v %v", ref, err)
	}
	bad := []string{
		"", "operations/x", "cbr1.", "cbr1.!!!",
		namePrefix + "YS9i", // "a/b": two parts
		opRef{testProject, "..", "r"}.name(),
		opRef{"other-project", "b", "r"}.name(), // another project
	}
	for _, n := range bad {
		op := c.CopyBackupOperation(n)
		if op.Name() != n {
			t.Fatalf("Name() %q != %q", op.Name(), n)
		}
		_, err := op.Poll(context.Background())
		var ve *backupcopy.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("%q: Poll = %v, want *backupcopy.ValidationError", n, err)
		}
		if _, err := op.Wait(context.Background()); !errors.As(err, &ve) {
			t.Fatalf("%q: Wait = %v", n, err)
		}
	}
}

func TestLoggerHasNoSecrets(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v3/"+testProject+"/backups/b1", jsonAnswer(503, `{}`), jsonAnswer(200, `{"backup":{"id":"b1"}}`))
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, _ := newTestClient(t, s.srv.URL, WithLogger(l))
	if _, err := c.GetBackup(context.Background(), "b1"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "GetBackup") || !strings.Contains(out, "retrying") {
		t.Fatalf("log lacks the attempt: %s", out)
	}
	for _, secret := range []string{testSK, "Signature="} {
		if strings.Contains(out, secret) {
			t.Fatalf("log contains %q", secret)
		}
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", WithAKSK(testAK, testSK), akskAuth{testAK, testSK}, tokenAuth{"tok-SECRET"}), testSK) {
		t.Fatal("options print secrets")
	}
}

func TestClosed(t *testing.T) {
	c, _ := newTestClient(t, "http://127.0.0.1:1")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBackup(context.Background(), "b"); !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
	if _, err := c.CopyBackup(context.Background(), validRequest()); !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
}

func TestWireRoundTrip(t *testing.T) {
	b := Backup{ID: "b", Name: "n", Status: BackupAvailable, ImageType: ImageTypeBackup, ResourceSize: 40,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC), Incremental: true,
		ReplicationRecords: []ReplicationRecord{{ID: "r", Status: ReplicationFail, Progress: 12, FailCode: "c", FailReason: "why",
			CreatedAt: time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC), DestinationRegion: "x", SourceBackupID: "b"}}}
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"created_at":"2026-01-02T03:04:05.123456"`) || !strings.Contains(string(data), `"fail_code":"c"`) {
		t.Fatalf("wire %s", data)
	}
	var back Backup
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", back) != fmt.Sprintf("%+v", b) {
		t.Fatalf("round trip\n got %+v\nwant %+v", back, b)
	}
	// A nine-digit time is written with nine digits and read back whole.
	b.CreatedAt = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	if data, err = json.Marshal(b); err != nil || !strings.Contains(string(data), `"created_at":"2026-01-02T03:04:05.123456789"`) {
		t.Fatalf("wire %s (%v)", data, err)
	}
	if err := json.Unmarshal(data, &back); err != nil || !back.CreatedAt.Equal(b.CreatedAt) {
		t.Fatalf("nine digits read back as %v (%v)", back.CreatedAt, err)
	}
	for in, want := range map[string]time.Time{
		"2020-02-05T10:38:34.209782": time.Date(2020, 2, 5, 10, 38, 34, 209782000, time.UTC),
		"2020-02-05T10:38:34":        time.Date(2020, 2, 5, 10, 38, 34, 0, time.UTC),
		"2020-02-05 10:38:34":        time.Date(2020, 2, 5, 10, 38, 34, 0, time.UTC),
		"2020-02-05T18:38:34+08:00":  time.Date(2020, 2, 5, 10, 38, 34, 0, time.UTC),
		// Every fraction digit is kept, up to nine, in each form.
		"2020-02-05T10:38:34.123456789":       time.Date(2020, 2, 5, 10, 38, 34, 123456789, time.UTC),
		"2020-02-05 10:38:34.000000001":       time.Date(2020, 2, 5, 10, 38, 34, 1, time.UTC),
		"2020-02-05T18:38:34.987654321+08:00": time.Date(2020, 2, 5, 10, 38, 34, 987654321, time.UTC),
		"":                                    {},
		"garbage":                             {},
	} {
		if got := parseWireTime(in); !got.Equal(want) {
			t.Errorf("parseWireTime(%q) = %v, want %v", in, got, want)
		}
	}
}
