package cbr_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/internal/faultproxy"
	"github.com/backupcopy/backupcopy/lro"
)

func fakeClient(t *testing.T, endpoint string, opts ...cbr.Option) *cbr.Client {
	t.Helper()
	base := []cbr.Option{cbr.WithEndpoint(endpoint), cbr.WithRegion(cbrtest.Region), cbr.WithProjectID(cbrtest.ProjectID),
		cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey)}
	c, err := cbr.NewClient(context.Background(), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func seed(s *cbrtest.Server) *cbr.CopyBackupRequest {
	v := s.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion})
	b := s.AddBackup(cbr.Backup{Name: "db-nightly"})
	return &cbr.CopyBackupRequest{BackupID: b.ID, DestinationProjectID: "dest-proj", DestinationRegion: cbrtest.DestinationRegion,
		DestinationVaultID: v.ID, Name: "db-nightly-copy", Description: "weekly DR copy"}
}

var fast = lro.WithPollInterval(20*time.Millisecond, 60*time.Millisecond)

func TestFakeEndToEnd(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	s.SetOperationDuration(400 * time.Millisecond)
	req := seed(s)
	c := fakeClient(t, s.URL())
	op, err := c.CopyBackup(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []int
	rec, err := op.Wait(context.Background(), fast, lro.WithProgress(func(p lro.Progress) {
		mu.Lock()
		seen = append(seen, p.Percent)
		mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != cbr.ReplicationSuccess || rec.DestinationBackupID == "" || rec.ID != op.Replication().ReplicationRecordID {
		t.Fatalf("record %+v", rec)
	}
	if len(seen) < 3 || seen[len(seen)-1] != 100 {
		t.Fatalf("progress %v", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Fatalf("progress went back: %v", seen)
		}
	}
	replica, err := c.GetBackup(context.Background(), rec.DestinationBackupID)
	if err != nil || replica.ImageType != cbr.ImageTypeReplication || replica.Name != req.Name {
		t.Fatalf("replica %+v err %v", replica, err)
	}
}

// The replicate response is lost: the fake acted, the client never heard.
// The client finds the record the lost call created and returns it, so there
// is exactly one replication, and the operation works.
func TestLostReplicateResponse(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	s.SetOperationDuration(300 * time.Millisecond)
	p, err := faultproxy.New(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Add(faultproxy.Rule{Match: faultproxy.Method(http.MethodPost), Faults: []faultproxy.Fault{{Kind: faultproxy.LoseResponse}}})
	req := seed(s)
	c := fakeClient(t, p.URL())
	op, err := c.CopyBackup(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if p.Count(faultproxy.LoseResponse) != 1 {
		t.Fatal("the fault was not applied")
	}
	reps := s.Replications()
	if len(reps) != 1 {
		t.Fatalf("%d replications in the fake, want exactly 1", len(reps))
	}
	if got := s.CountRequests("CopyBackup"); got != 1 {
		t.Fatalf("the fake saw %d replicate calls, want 1", got)
	}
	if op.Replication().ReplicationRecordID != reps[0].ID {
		t.Fatalf("operation follows %q, the fake has %q", op.Replication().ReplicationRecordID, reps[0].ID)
	}
	rec, err := op.Wait(context.Background(), fast)
	if err != nil || rec.DestinationBackupID == "" {
		t.Fatalf("rec %+v err %v", rec, err)
	}
	if n := len(s.Replications()); n != 1 {
		t.Fatalf("%d replications after Wait", n)
	}
}

// The connection drops before the fake sees the request: the client finds no
// record and sends the request once more.
func TestResetBeforeReplicateReachesFake(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	p, err := faultproxy.New(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Add(faultproxy.Rule{Match: faultproxy.Method(http.MethodPost), Faults: []faultproxy.Fault{{Kind: faultproxy.Refuse}}})
	c := fakeClient(t, p.URL())
	op, err := c.CopyBackup(context.Background(), seed(s))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Replications()); n != 1 || s.CountRequests("CopyBackup") != 1 || p.Count(faultproxy.Refuse) != 1 {
		t.Fatalf("%d replications, %d calls reached the fake", n, s.CountRequests("CopyBackup"))
	}
	if op.Replication().ReplicationRecordID != s.Replications()[0].ID {
		t.Fatal("wrong record")
	}
}

// A 503 from a proxy in front of CBR (the call did not reach it): the
// records show nothing, the request is sent again, one replication results.
func TestGateway503ThenRetry(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	p, err := faultproxy.New(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Add(faultproxy.Rule{Match: faultproxy.Method(http.MethodPost), Faults: []faultproxy.Fault{{Kind: faultproxy.Status, Status: 503, Body: `{"error_code":"APIGW.0201","error_msg":"backend unavailable"}`}}})
	c := fakeClient(t, p.URL())
	if _, err := c.CopyBackup(context.Background(), seed(s)); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Replications()); n != 1 {
		t.Fatalf("%d replications", n)
	}
}

func TestResumeInAnotherClient(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	s.SetOperationDuration(200 * time.Millisecond)
	c1 := fakeClient(t, s.URL())
	op, err := c1.CopyBackup(context.Background(), seed(s))
	if err != nil {
		t.Fatal(err)
	}
	name := op.Name()
	if !strings.HasPrefix(name, "cbr1.") {
		t.Fatalf("name %q", name)
	}
	c1.Close()

	c2 := fakeClient(t, s.URL(), cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey))
	op2 := c2.CopyBackupOperation(name)
	if op2.Replication() != nil || op2.Done() {
		t.Fatal("a resumed handle knows nothing before it polls")
	}
	rec, err := op2.Wait(context.Background(), fast)
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != op.Replication().ReplicationRecordID || op2.Name() != name {
		t.Fatalf("resumed %q, started %q", rec.ID, op.Replication().ReplicationRecordID)
	}
	r1, r2 := op.Replication(), op2.Replication()
	if r2 == nil || *r1 != *r2 {
		t.Fatalf("rebuilt replication %+v, original %+v", r2, r1)
	}
}

func TestClockSkewCorrected(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	s.SetClockSkew(40 * time.Minute)
	req := seed(s)
	c := fakeClient(t, s.URL())
	if _, err := c.CopyBackup(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := s.CountRequests("CopyBackup"); got != 2 {
		t.Fatalf("%d replicate attempts, want 2 (refused for the date, then re-signed)", got)
	}
	if n := len(s.Replications()); n != 1 {
		t.Fatalf("%d replications", n)
	}
	if _, err := c.GetBackup(context.Background(), req.BackupID); err != nil {
		t.Fatalf("later calls use the corrected clock: %v", err)
	}
}

type swapToken struct {
	mu          sync.Mutex
	tok         string
	next        string
	invalidated int
}

func (a *swapToken) Authenticate(_ context.Context, r *http.Request, _ []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	r.Header.Set("X-Auth-Token", a.tok)
	return nil
}

func (a *swapToken) Invalidate() {
	a.mu.Lock()
	a.invalidated++
	a.tok = a.next
	a.mu.Unlock()
}

func TestTokenAuth(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	req := seed(s)
	c := fakeClient(t, s.URL(), cbr.WithToken(cbrtest.Token))
	if _, err := c.GetBackup(context.Background(), req.BackupID); err != nil {
		t.Fatal(err)
	}

	s.AcceptToken("new-token")
	s.ExpireToken("old-token")
	a := &swapToken{tok: "old-token", next: "new-token"}
	c2 := fakeClient(t, s.URL(), cbr.WithAuthenticator(a))
	if _, err := c2.CopyBackup(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if a.invalidated != 1 || len(s.Replications()) != 1 {
		t.Fatalf("invalidated %d, %d replications", a.invalidated, len(s.Replications()))
	}

	c3 := fakeClient(t, s.URL(), cbr.WithAKSK(cbrtest.AccessKey, "wrong-secret"))
	_, err := c3.GetBackup(context.Background(), req.BackupID)
	var e *cbr.Error
	if !errors.As(err, &e) || e.StatusCode != 401 || e.Code != cbr.CodeAuthFailed || !errors.Is(err, cbr.ErrAuthFailed) {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Fatal("secret in error")
	}
}

// TestIAMTokenSourceRefreshedOnExpiry: an auth.HuaweiIAMTokenSource whose
// token the gateway says must be updated is invalidated once, fetches a new
// token, and the call goes through.
func TestIAMTokenSourceRefreshedOnExpiry(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	req := seed(s)

	var mu sync.Mutex
	issued := 0
	iam := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		issued++
		tok := fmt.Sprintf("iam-token-%d", issued)
		mu.Unlock()
		s.AcceptToken(tok)
		now := time.Now().UTC()
		w.Header().Set("X-Subject-Token", tok)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"token":{"issued_at":%q,"expires_at":%q}}`, now.Format(time.RFC3339Nano), now.Add(24*time.Hour).Format(time.RFC3339Nano))
	}))
	defer iam.Close()
	ts, err := auth.NewHuaweiIAMTokenSource(auth.HuaweiIAMConfig{Endpoint: iam.URL, DomainName: "acct", UserName: "u", Password: "pw-SECRET", ProjectID: cbrtest.ProjectID})
	if err != nil {
		t.Fatal(err)
	}
	c := fakeClient(t, s.URL(), cbr.WithAuthenticator(ts))
	if _, err := c.GetBackup(context.Background(), req.BackupID); err != nil {
		t.Fatal(err)
	}
	s.ExpireToken("iam-token-1")
	op, err := c.CopyBackup(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	n := issued
	mu.Unlock()
	if n != 2 || len(s.Replications()) != 1 || op == nil {
		t.Fatalf("%d tokens issued, %d replications", n, len(s.Replications()))
	}
}
