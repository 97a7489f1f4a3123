package cbrtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
)

func newClient(t *testing.T, s *cbrtest.Server, opts ...cbr.Option) *cbr.Client {
	t.Helper()
	base := []cbr.Option{cbr.WithEndpoint(s.URL()), cbr.WithRegion(cbrtest.Region), cbr.WithProjectID(cbrtest.ProjectID),
		cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey)}
	c, err := cbr.NewClient(context.Background(), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// manualClock drives the fake's replications.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *manualClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// raw sends an unsigned or custom request and decodes the JSON answer.
func raw(t *testing.T, method, url string, body string, hdr map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("answer %s is not JSON: %v", data, err)
	}
	return resp.StatusCode, resp.Header, m
}

func TestGatewayAuthentication(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	b := s.AddBackup(cbr.Backup{})
	url := s.URL() + "/v3/" + cbrtest.ProjectID + "/backups/" + b.ID

	tests := []struct {
		name     string
		hdr      map[string]string
		wantCode int
		wantMsg  string
	}{
		{"none", nil, 401, "Incorrect IAM authentication information"},
		{"token", map[string]string{"X-Auth-Token": cbrtest.Token}, 200, ""},
		{"wrong token", map[string]string{"X-Auth-Token": "nope"}, 401, "verify token fail"},
		{"bad signature", map[string]string{"Authorization": "SDK-HMAC-SHA256 Access=" + cbrtest.AccessKey + ", SignedHeaders=x-sdk-date, Signature=" + strings.Repeat("0", 64), "X-Sdk-Date": time.Now().UTC().Format("20060102T150405Z")}, 401, "verify aksk signature fail"},
		{"unknown ak", map[string]string{"Authorization": "SDK-HMAC-SHA256 Access=OTHER, SignedHeaders=x-sdk-date, Signature=" + strings.Repeat("0", 64), "X-Sdk-Date": time.Now().UTC().Format("20060102T150405Z")}, 401, "AK not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, hdr, m := raw(t, "GET", url, "", tt.hdr)
			if code != tt.wantCode {
				t.Fatalf("status %d, want %d (%v)", code, tt.wantCode, m)
			}
			if hdr.Get("X-Request-Id") == "" {
				t.Fatal("no X-Request-Id")
			}
			if tt.wantCode == 200 {
				return
			}
			if m["error_code"] != "APIGW.0301" || !strings.Contains(m["error_msg"].(string), tt.wantMsg) || m["request_id"] != hdr.Get("X-Request-Id") {
				t.Fatalf("gateway error %v", m)
			}
		})
	}

	s.ExpireToken(cbrtest.Token)
	if code, _, m := raw(t, "GET", url, "", map[string]string{"X-Auth-Token": cbrtest.Token}); code != 401 || m["error_msg"] != "The token must be updated." {
		t.Fatalf("expired token: %d %v", code, m)
	}

	// A signed request with a date outside the window.
	req, _ := http.NewRequest("GET", url, nil)
	signer := auth.NewHuaweiSigner(auth.HuaweiCredentials{AccessKey: cbrtest.AccessKey, SecretKey: cbrtest.SecretKey})
	if err := signer.Authenticate(auth.WithSigningTime(context.Background(), time.Now().Add(-time.Hour)), req, nil); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !bytes.Contains(data, []byte("signature expired")) {
		t.Fatalf("old signature: %d %s", resp.StatusCode, data)
	}

	code, _, m := raw(t, "GET", s.URL()+"/v3/"+cbrtest.ProjectID+"/nothing", "", map[string]string{"X-Auth-Token": "x"})
	if code != 401 {
		t.Fatalf("auth is checked before routing: %d %v", code, m)
	}
	s.AcceptToken("x")
	code, _, m = raw(t, "GET", s.URL()+"/v3/"+cbrtest.ProjectID+"/nothing", "", map[string]string{"X-Auth-Token": "x"})
	if code != 404 || m["error_code"] != "APIGW.0101" {
		t.Fatalf("unknown API: %d %v", code, m)
	}
}

func TestReplicateRules(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	c := newClient(t, s)
	dest := s.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion})
	south := s.AddVault(cbrtest.Vault{Region: "cn-south-1", ProjectID: "dest-project"})
	plainVault := s.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion, ProtectType: cbrtest.ProtectBackup})
	unsupported := s.AddVault(cbrtest.Vault{Region: "eu-west-0"})
	src := s.AddBackup(cbr.Backup{Name: "src"})
	busy := s.AddBackup(cbr.Backup{Status: cbr.BackupProtecting})
	replica := s.AddBackup(cbr.Backup{ImageType: cbr.ImageTypeReplication})

	req := func(backup, region, vault string) *cbr.CopyBackupRequest {
		return &cbr.CopyBackupRequest{BackupID: backup, DestinationProjectID: "dest-project", DestinationRegion: region, DestinationVaultID: vault}
	}
	tests := []struct {
		name string
		req  *cbr.CopyBackupRequest
		code string
		is   error
	}{
		{"unknown backup", req("missing", cbrtest.DestinationRegion, dest.ID), cbrtest.CodeBackupNotFound, cbr.ErrNotFound},
		{"replica", req(replica.ID, cbrtest.DestinationRegion, dest.ID), cbrtest.CodeNotReplicable, cbr.ErrNotReplicable},
		{"not available", req(busy.ID, cbrtest.DestinationRegion, dest.ID), cbrtest.CodeInvalidParameter, nil},
		{"unsupported region", req(src.ID, "eu-west-0", unsupported.ID), cbrtest.CodeRegionNotSupported, cbr.ErrRegionNotSupported},
		{"unknown vault", req(src.ID, cbrtest.DestinationRegion, "nope"), cbrtest.CodeVaultNotFound, cbr.ErrVaultNotFound},
		{"vault in another region", req(src.ID, cbrtest.DestinationRegion, south.ID), cbrtest.CodeVaultNotFound, cbr.ErrVaultNotFound},
		{"not a replication vault", req(src.ID, cbrtest.DestinationRegion, plainVault.ID), cbrtest.CodeInvalidParameter, nil},
		{"ok", req(src.ID, cbrtest.DestinationRegion, dest.ID), "", nil},
		{"second to the same region", req(src.ID, cbrtest.DestinationRegion, dest.ID), cbrtest.CodeAlreadyReplicated, cbr.ErrAlreadyReplicated},
		{"another region is fine", req(src.ID, "cn-south-1", south.ID), "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op, err := c.CopyBackup(context.Background(), tt.req)
			if tt.code == "" {
				if err != nil || op == nil {
					t.Fatalf("CopyBackup: %v", err)
				}
				return
			}
			var e *cbr.Error
			if !errors.As(err, &e) || e.Code != tt.code || e.RequestID == "" || e.Message == "" {
				t.Fatalf("err %v, want code %s with a request id", err, tt.code)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tt.is)
			}
		})
	}
	if n := len(s.Replications()); n != 2 {
		t.Fatalf("%d replications, want 2", n)
	}

	// The fake checks what the client would refuse too.
	for _, body := range []string{
		`{}`, `not json`,
		`{"replicate":{"destination_region":"cn-east-3","destination_vault_id":"v"}}`,
		`{"replicate":{"destination_project_id":"p","destination_region":"cn east","destination_vault_id":"v"}}`,
		`{"replicate":{"destination_project_id":"p","destination_region":"cn-east-3","destination_vault_id":"v","name":"a b"}}`,
		`{"replicate":{"destination_project_id":"p","destination_region":"cn-east-3","destination_vault_id":"v","name":""}}`,
		`{"replicate":{"destination_project_id":"p","destination_region":"cn-east-3","destination_vault_id":"v","description":"<b>"}}`,
	} {
		code, _, m := raw(t, "POST", s.URL()+"/v3/"+cbrtest.ProjectID+"/backups/"+src.ID+"/replicate", body, map[string]string{"X-Auth-Token": cbrtest.Token})
		if code != 400 || m["error_code"] != cbrtest.CodeInvalidParameter {
			t.Errorf("%s: %d %v", body, code, m)
		}
	}
}

func TestLifecycle(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	clk := &manualClock{now: time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)}
	s.SetClock(clk.Now)
	s.SetOperationDuration(10 * time.Second)
	c := newClient(t, s)
	dest := s.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion})
	src := s.AddBackup(cbr.Backup{Name: "nightly"})
	op, err := c.CopyBackup(context.Background(), &cbr.CopyBackupRequest{
		BackupID: src.ID, DestinationProjectID: "dp", DestinationRegion: cbrtest.DestinationRegion, DestinationVaultID: dest.ID, Name: "copy_1"})
	if err != nil {
		t.Fatal(err)
	}
	rep := op.Replication()
	if rep.SourceRegion != cbrtest.Region || rep.ProviderID != cbrtest.ProviderServer || rep.ProjectID != cbrtest.ProjectID || rep.BackupID != src.ID {
		t.Fatalf("replication %+v", rep)
	}

	steps := []struct {
		at       time.Duration
		status   cbr.ReplicationStatus
		progress int
	}{
		{0, cbr.ReplicationWaiting, 0},
		{500 * time.Millisecond, cbr.ReplicationWaiting, 0},
		{2 * time.Second, cbr.ReplicationReplicating, 10}, // smoothstep: 3(0.2)²-2(0.2)³
		{7 * time.Second, cbr.ReplicationReplicating, 78},
		{10 * time.Second, cbr.ReplicationSuccess, 100},
	}
	start := clk.Now()
	for _, st := range steps {
		clk.Add(start.Add(st.at).Sub(clk.Now()))
		if _, err := op.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		m := op.Metadata()
		if m.Status != st.status || m.Progress != st.progress {
			t.Fatalf("at %v: %s %d%%, want %s %d%%", st.at, m.Status, m.Progress, st.status, st.progress)
		}
	}
	rec, err := op.Poll(context.Background())
	if err != nil || rec == nil || rec.DestinationBackupID == "" {
		t.Fatalf("rec %+v err %v", rec, err)
	}
	replica, ok := s.Backup(rec.DestinationBackupID)
	if !ok || replica.ImageType != cbr.ImageTypeReplication || replica.VaultID != dest.ID || replica.Name != "copy_1" || replica.ProjectID != "dp" || replica.Status != cbr.BackupAvailable {
		t.Fatalf("replica %+v", replica)
	}
	if got, _ := c.GetBackup(context.Background(), rec.DestinationBackupID); got.ImageType != cbr.ImageTypeReplication {
		t.Fatalf("GetBackup(replica) %+v", got)
	}
	// A replica cannot be replicated again.
	other := s.AddVault(cbrtest.Vault{Region: "cn-south-1"})
	_, err = c.CopyBackup(context.Background(), &cbr.CopyBackupRequest{BackupID: replica.ID, DestinationProjectID: "dp", DestinationRegion: "cn-south-1", DestinationVaultID: other.ID})
	if !errors.Is(err, cbr.ErrNotReplicable) {
		t.Fatalf("replicating a replica: %v", err)
	}

	// A failed replication reports its code and reason, and frees the region.
	src2 := s.AddBackup(cbr.Backup{})
	s.FailNextReplication("BackupService.5001", "network unreachable")
	r2 := &cbr.CopyBackupRequest{BackupID: src2.ID, DestinationProjectID: "dp", DestinationRegion: cbrtest.DestinationRegion, DestinationVaultID: dest.ID}
	op2, err := c.CopyBackup(context.Background(), r2)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(11 * time.Second)
	_, err = op2.Poll(context.Background())
	var re *cbr.ReplicationError
	if !errors.As(err, &re) || re.FailCode != "BackupService.5001" || re.FailReason != "network unreachable" {
		t.Fatalf("err %v", err)
	}
	if _, err := c.CopyBackup(context.Background(), r2); err != nil {
		t.Fatalf("replicating again after a failure: %v", err)
	}
}

func TestCapabilities(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	s.SetCapabilities("cn-south-1", "cn-north-4")
	c := newClient(t, s)
	caps, err := c.ListReplicationCapabilities(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) != 2 || caps[0].Name != "cn-north-4" || caps[1].Name != "cn-south-1" || caps[1].ReplicationDestinations[0] != "cn-north-4" {
		t.Fatalf("caps %+v", caps)
	}
	if err := c.CheckReplicationDestination(context.Background(), cbrtest.DestinationRegion); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckReplicationDestination(context.Background(), "eu-west-0"); !errors.Is(err, cbr.ErrRegionNotSupported) {
		t.Fatal(err)
	}
}

// SetOperationDuration applies to replications started afterwards; a running
// one keeps the duration it started with.
func TestOperationDurationPerReplication(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	clk := &manualClock{now: time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)}
	s.SetClock(clk.Now)
	s.SetOperationDuration(10 * time.Second)
	c := newClient(t, s)
	dest := s.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion})
	slow := s.AddBackup(cbr.Backup{Name: "slow"})
	fast := s.AddBackup(cbr.Backup{Name: "fast"})
	start := func(b cbr.Backup) *cbr.CopyBackupOperation {
		op, err := c.CopyBackup(context.Background(), &cbr.CopyBackupRequest{
			BackupID: b.ID, DestinationProjectID: "dp", DestinationRegion: cbrtest.DestinationRegion, DestinationVaultID: dest.ID})
		if err != nil {
			t.Fatal(err)
		}
		return op
	}
	slowOp := start(slow)
	s.SetOperationDuration(time.Second)
	fastOp := start(fast)
	clk.Add(5 * time.Second)
	for _, op := range []*cbr.CopyBackupOperation{slowOp, fastOp} {
		if _, err := op.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if slowOp.Done() || slowOp.Progress().Percent != 50 {
		t.Errorf("slow replication: done %v, %d%%; want running at 50%%", slowOp.Done(), slowOp.Progress().Percent)
	}
	if !fastOp.Done() {
		t.Error("fast replication not done after 5s of 1s")
	}
}

func TestRequestLog(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	c := newClient(t, s)
	b := s.AddBackup(cbr.Backup{Name: "b"})
	if _, err := c.GetBackup(context.Background(), b.ID); err != nil {
		t.Fatal(err)
	}
	_, _ = c.CopyBackup(context.Background(), &cbr.CopyBackupRequest{
		BackupID: b.ID, DestinationProjectID: "dp", DestinationRegion: cbrtest.DestinationRegion, DestinationVaultID: "missing"})
	if n := s.CountRequests("GetBackup"); n != 1 {
		t.Errorf("CountRequests(\"GetBackup\") = %d, want 1", n)
	}
	if n := s.CountRequests(""); n != 2 {
		t.Errorf("CountRequests(\"\") = %d, want 2 (any method)", n)
	}
	reqs := s.Requests()
	if len(reqs) != 2 || reqs[0].Method != http.MethodGet || reqs[1].Method != http.MethodPost ||
		!strings.HasSuffix(reqs[1].Path, "/replicate") || !bytes.Contains(reqs[1].Body, []byte(`"destination_vault_id":"missing"`)) ||
		reqs[1].Header.Get("Authorization") == "" {
		t.Errorf("requests %+v", reqs)
	}
}
