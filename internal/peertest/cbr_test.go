package peertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	cbrsdk "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1"
	cbrmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
)

func cbrSDKClient(t *testing.T, endpoint, ak, sk, project string) *cbrsdk.CbrClient {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(project).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := cbrsdk.CbrClientBuilder().WithEndpoints([]string{endpoint}).WithCredential(cred).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return cbrsdk.NewCbrClient(hc)
}

func strp(s string) *string { return &s }

// TestCBRSDKAgainstFake: huaweicloud-sdk-go-v3's CBR client, signing with
// cbrtest.AccessKey/SecretKey, replicates a backup on the fake, reads the
// capabilities and follows the record with ShowBackup; the fake's errors
// decode into the SDK's ServiceResponseError.
func TestCBRSDKAgainstFake(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	s.SetOperationDuration(300 * time.Millisecond)
	vault := s.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion})
	src := s.AddBackup(cbr.Backup{Name: "sdk-src", ResourceSize: 40})
	sdk := cbrSDKClient(t, s.URL(), cbrtest.AccessKey, cbrtest.SecretKey, cbrtest.ProjectID)

	caps, err := sdk.ShowReplicationCapabilities(&cbrmodel.ShowReplicationCapabilitiesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if caps.Regions == nil || len(*caps.Regions) != 1 || (*caps.Regions)[0].Name != cbrtest.Region {
		t.Fatalf("capabilities %v", caps)
	}

	acc := true
	resp, err := sdk.CopyBackup(&cbrmodel.CopyBackupRequest{BackupId: src.ID, Body: &cbrmodel.BackupReplicateReq{
		Replicate: &cbrmodel.BackupReplicateReqBody{
			DestinationProjectId: "dest-proj", DestinationRegion: cbrtest.DestinationRegion, DestinationVaultId: vault.ID,
			Name: strp("sdk_copy"), Description: strp("from the SDK"), EnableAcceleration: &acc,
		}}})
	if err != nil {
		t.Fatal(err)
	}
	rep := resp.Replication
	if rep == nil || rep.ReplicationRecordId == nil || *rep.BackupId != src.ID || *rep.SourceRegion != cbrtest.Region ||
		*rep.ProjectId != cbrtest.ProjectID || *rep.ProviderId != cbrtest.ProviderServer || *rep.DestinationVaultId != vault.ID {
		t.Fatalf("replication %v", resp)
	}

	deadline := time.Now().Add(10 * time.Second)
	var rec cbrmodel.ReplicationRecordGet
	for {
		show, err := sdk.ShowBackup(&cbrmodel.ShowBackupRequest{BackupId: src.ID})
		if err != nil {
			t.Fatal(err)
		}
		if show.Backup == nil || show.Backup.Id != src.ID || show.Backup.ImageType != "backup" || show.Backup.ReplicationRecords == nil {
			t.Fatalf("backup %v", show)
		}
		rec = (*show.Backup.ReplicationRecords)[0]
		if rec.Id != *rep.ReplicationRecordId {
			t.Fatalf("record %v", rec)
		}
		if rec.Status != nil && rec.Status.Value() == "success" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replication not done: %v", rec)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rec.DestinationBackupId == nil || rec.ExtraInfo == nil || *rec.ExtraInfo.Progress != 100 || rec.CreatedAt == nil {
		t.Fatalf("finished record %v", rec)
	}
	replica, err := sdk.ShowBackup(&cbrmodel.ShowBackupRequest{BackupId: *rec.DestinationBackupId})
	if err != nil {
		t.Fatal(err)
	}
	if replica.Backup.ImageType != "replication" || replica.Backup.Name != "sdk_copy" || replica.Backup.VaultId != vault.ID ||
		replica.Backup.CreatedAt == nil || time.Time(*replica.Backup.CreatedAt).IsZero() {
		t.Fatalf("replica %v", replica)
	}

	// Our client reads what the SDK started.
	ours, err := cbr.NewClient(context.Background(), cbr.WithEndpoint(s.URL()), cbr.WithRegion(cbrtest.Region),
		cbr.WithProjectID(cbrtest.ProjectID), cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ours.GetBackup(context.Background(), src.ID)
	if err != nil || len(b.ReplicationRecords) != 1 || b.ReplicationRecords[0].DestinationBackupID != *rec.DestinationBackupId {
		t.Fatalf("ours: %+v %v", b, err)
	}

	// A second replica to that region: the SDK sees the fake's error shape.
	_, err = sdk.CopyBackup(&cbrmodel.CopyBackupRequest{BackupId: src.ID, Body: &cbrmodel.BackupReplicateReq{
		Replicate: &cbrmodel.BackupReplicateReqBody{DestinationProjectId: "dest-proj", DestinationRegion: cbrtest.DestinationRegion, DestinationVaultId: vault.ID}}})
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) || se.StatusCode != 400 || se.ErrorCode != cbr.CodeAlreadyReplicated || se.RequestId == "" {
		t.Fatalf("duplicate: %v", err)
	}

	// Wrong secret: the gateway's 401.
	bad := cbrSDKClient(t, s.URL(), cbrtest.AccessKey, "not-the-secret", cbrtest.ProjectID)
	_, err = bad.ShowBackup(&cbrmodel.ShowBackupRequest{BackupId: src.ID})
	if !errors.As(err, &se) || se.StatusCode != 401 || se.ErrorCode != cbr.CodeAuthFailed {
		t.Fatalf("bad secret: %v", err)
	}
}

// captured is one request as a server received it.
type captured struct {
	method, path, contentType string
	rawPath                   string // decoded
	header                    http.Header
	host                      string
	body                      []byte
}

type recorder struct {
	mu   sync.Mutex
	reqs []captured
}

func (rc *recorder) handler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, captured{method: r.Method, path: r.URL.EscapedPath(), rawPath: r.URL.Path, contentType: r.Header.Get("Content-Type"),
		header: r.Header.Clone(), host: r.Host, body: body})
	rc.mu.Unlock()
	segs := strings.Split(r.URL.Path, "/")
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"replication": map[string]any{
		"backup_id": segs[len(segs)-2], "project_id": segs[2], "replication_record_id": "rec-1",
		"destination_project_id": "d", "destination_region": "r", "destination_vault_id": "v", "provider_id": "p", "source_region": "s"}})
}

func (rc *recorder) take() captured {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	c := rc.reqs[len(rc.reqs)-1]
	rc.reqs = nil
	return c
}

var (
	cbrNameChars = []rune("abcXYZ019_-备份副本豈鶴")
	cbrDescChars = []rune("abc XYZ 019_-.,;:!?'\"&%$#@()[]{}|\\/=+*~`^备份 é\t")
	cbrIDChars   = []rune("abcdef0123456789-")
	// Backup IDs also try characters that path escaping treats specially.
	// (';' is left out: we send %3B where the SDK sends ';', the same path
	// once decoded and under the signature's canonical form.)
	cbrPathChars = []rune("abcdef0123456789-_.~ %é:@+='")
)

// TestCBRCopyBackupMatchesSDK: for generated requests, our CopyBackup and the
// SDK's send the same method, path and body bytes, and the SDK's signer
// computes the same Authorization over our request's signed headers.
func TestCBRCopyBackupMatchesSDK(t *testing.T) {
	rc := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(rc.handler))
	defer srv.Close()
	const project = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	sdk := cbrSDKClient(t, srv.URL, hwPeerAK, hwPeerSK, project)
	ours, err := cbr.NewClient(context.Background(), cbr.WithEndpoint(srv.URL), cbr.WithRegion("cn-north-4"),
		cbr.WithProjectID(project), cbr.WithAKSK(hwPeerAK, hwPeerSK))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 9))
	for i := 0; i < 200; i++ {
		in := cbr.CopyBackupRequest{
			BackupID:             randString(r, cbrPathChars, 1+r.IntN(36)),
			DestinationProjectID: randString(r, cbrIDChars, 32),
			DestinationRegion:    []string{"cn-east-3", "cn-south-1", "ap-southeast-1", "eu-west-101", "la_north.2"}[r.IntN(5)],
			DestinationVaultID:   randString(r, cbrIDChars, 36),
			EnableAcceleration:   r.IntN(2) == 0,
		}
		for strings.Contains(in.BackupID, "..") || in.BackupID == "." { // refused before I/O by design
			in.BackupID = randString(r, cbrPathChars, 1+r.IntN(36))
		}
		if r.IntN(3) > 0 {
			in.Name = randString(r, cbrNameChars, 1+r.IntN(64))
		}
		if r.IntN(3) > 0 {
			in.Description = randString(r, cbrDescChars, r.IntN(120))
		}
		if _, err := ours.CopyBackup(context.Background(), &in); err != nil {
			t.Fatalf("case %d: ours: %v", i, err)
		}
		got := rc.take()

		body := &cbrmodel.BackupReplicateReqBody{DestinationProjectId: in.DestinationProjectID, DestinationRegion: in.DestinationRegion, DestinationVaultId: in.DestinationVaultID}
		if in.Name != "" {
			body.Name = strp(in.Name)
		}
		if in.Description != "" {
			body.Description = strp(in.Description)
		}
		if in.EnableAcceleration {
			acc := true
			body.EnableAcceleration = &acc
		}
		if _, err := sdk.CopyBackup(&cbrmodel.CopyBackupRequest{BackupId: in.BackupID, Body: &cbrmodel.BackupReplicateReq{Replicate: body}}); err != nil {
			t.Fatalf("case %d: sdk: %v", i, err)
		}
		want := rc.take()

		if got.method != want.method || got.path != want.path || got.contentType != want.contentType {
			t.Fatalf("case %d:\n ours %s %s (%s)\n sdk  %s %s (%s)", i, got.method, got.path, got.contentType, want.method, want.path, want.contentType)
		}
		if !bytes.Equal(got.body, want.body) {
			t.Fatalf("case %d: body\n ours %s\n sdk  %s", i, got.body, want.body)
		}
		var a, b any
		json.Unmarshal(got.body, &a)
		json.Unmarshal(want.body, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("case %d: JSON differs", i)
		}
		if got.header.Get("X-Project-Id") != want.header.Get("X-Project-Id") {
			t.Fatalf("case %d: X-Project-Id %q vs %q", i, got.header.Get("X-Project-Id"), want.header.Get("X-Project-Id"))
		}
		checkSDKSignerAgrees(t, i, srv.URL, got)
	}
}

// checkSDKSignerAgrees rebuilds our request for the SDK's signer with the
// headers we signed and compares its Authorization with ours.
func checkSDKSignerAgrees(t *testing.T, i int, endpoint string, c captured) {
	t.Helper()
	authz := c.header.Get("Authorization")
	_, params, _ := strings.Cut(authz, "SignedHeaders=")
	signedList, _, _ := strings.Cut(params, ",")
	b := request.NewHttpRequestBuilder().WithEndpoint(endpoint).WithPath(c.rawPath).WithMethod(c.method)
	for _, h := range strings.Split(signedList, ";") {
		if h == "host" {
			b.AddHeaderParam("Host", c.host)
			continue
		}
		b.AddHeaderParam(http.CanonicalHeaderKey(h), c.header.Get(h))
	}
	b.WithBody("application/json", string(c.body))
	headers, err := signer.Signer{}.Sign(b.Build(), hwPeerAK, hwPeerSK)
	if err != nil {
		t.Fatalf("case %d: sdk signer: %v", i, err)
	}
	if headers["Authorization"] != authz {
		t.Fatalf("case %d: Authorization\n ours %s\n sdk  %s", i, authz, headers["Authorization"])
	}
	// And our verifier, as the fake uses it, accepts it.
	req, _ := http.NewRequest(c.method, endpoint+c.path, bytes.NewReader(c.body))
	req.Header = c.header.Clone()
	req.Host = c.host
	lookup := func(ak string) (string, bool) { return hwPeerSK, ak == hwPeerAK }
	if err := auth.VerifyHuaweiSignature(req, c.body, lookup, time.Now(), 15*time.Minute); err != nil {
		t.Fatalf("case %d: verify: %v", i, err)
	}
}

// TestCBRFakeAcceptsSDKSignatureOnly: the fake refuses the SDK when its
// secret key is wrong and accepts it with cbrtest's keys, on every endpoint.
func TestCBRFakeAcceptsSDKSignatureOnly(t *testing.T) {
	s := cbrtest.NewServer()
	defer s.Close()
	src := s.AddBackup(cbr.Backup{})
	for _, sk := range []string{cbrtest.SecretKey, cbrtest.SecretKey + "x"} {
		sdk := cbrSDKClient(t, s.URL(), cbrtest.AccessKey, sk, cbrtest.ProjectID)
		_, err := sdk.ShowBackup(&cbrmodel.ShowBackupRequest{BackupId: src.ID})
		if ok := err == nil; ok != (sk == cbrtest.SecretKey) {
			t.Fatalf("sk %q: %v", sk, fmt.Sprint(err))
		}
	}
}
