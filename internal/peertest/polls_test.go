package peertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	fsxsdk "github.com/aws/aws-sdk-go-v2/service/fsx"
	cbrmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
)

// listCapture answers an operations list with the two running operations
// it is told of, and any other GET with a running operation; it records the
// lists' method, path and query (less the generated client's alt and
// prettyPrint).
type listCapture struct {
	srv   *httptest.Server
	mu    sync.Mutex
	lists []string
}

func newListCapture(t *testing.T, listSuffix, metaType string, ops ...string) *listCapture {
	c := &listCapture{}
	op := func(name string) string {
		return fmt.Sprintf(`{"name":%q,"metadata":{"@type":%q,"name":"n"}}`, name, metaType)
	}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, listSuffix) {
			q := r.URL.Query()
			q.Del("alt")
			q.Del("prettyPrint")
			c.mu.Lock()
			c.lists = append(c.lists, r.Method+" "+r.URL.EscapedPath()+"?"+q.Encode())
			c.mu.Unlock()
			var all []string
			for _, n := range ops {
				all = append(all, op(n))
			}
			fmt.Fprintf(w, `{"operations":[%s]}`, strings.Join(all, ","))
			return
		}
		fmt.Fprint(w, op(strings.TrimPrefix(r.URL.Path, "/v2/")))
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *listCapture) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.lists
	c.lists = nil
	return out
}

// pollTogether polls a once (a round of its own), then b and c at once:
// they share the next round, which lists their parent's operations.
func pollTogether(t *testing.T, polls ...func(context.Context) error) {
	t.Helper()
	ctx := context.Background()
	if err := polls[0](ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(polls)-1)
	for i, p := range polls[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// The list that answers concurrent Bigtable polls equals the official
// client's operations.projects.operations.list with the same filter.
func TestBigtableSharedPollListMatchesOfficialClient(t *testing.T) {
	const parent = "operations/projects/my-proj/instances/prod"
	a := parent + "/clusters/c1/backups/a/operations/1"
	b := parent + "/clusters/c1/backups/b/operations/2"
	rec := newListCapture(t, "/operations", "type.googleapis.com/google.bigtable.admin.v2.CopyBackupMetadata", a, b)
	ours := btOurs(t, rec.srv.URL)
	poll := func(name string) func(context.Context) error {
		return func(ctx context.Context) error { _, err := ours.CopyBackupOperation(name).Poll(ctx); return err }
	}
	pollTogether(t, poll(a), poll(a), poll(b))
	got := rec.take()
	if len(got) != 1 {
		t.Fatalf("lists %q, want one", got)
	}
	svc := btOfficial(t, rec.srv.URL)
	if _, err := svc.Operations.Projects.Operations.List(parent).Filter("done=false").PageSize(1000).Context(context.Background()).Do(); err != nil {
		t.Fatal(err)
	}
	if want := rec.take(); len(want) != 1 || want[0] != got[0] {
		t.Errorf("ours   %q\ntheirs %q", got, want)
	}
}

// The list that answers concurrent Spanner polls equals the official
// client's projects.instances.backupOperations.list with the same filter.
func TestSpannerSharedPollListMatchesOfficialClient(t *testing.T) {
	const parent = "projects/my-proj/instances/prod"
	a := parent + "/backups/a/operations/1"
	b := parent + "/backups/b/operations/2"
	rec := newListCapture(t, "/backupOperations", "type.googleapis.com/google.spanner.admin.database.v1.CopyBackupMetadata", a, b)
	ours := ourSpanner(t, rec.srv.URL)
	t.Cleanup(func() { ours.Close() })
	poll := func(name string) func(context.Context) error {
		return func(ctx context.Context) error { _, err := ours.CopyBackupOperation(name).Poll(ctx); return err }
	}
	pollTogether(t, poll(a), poll(a), poll(b))
	got := rec.take()
	if len(got) != 1 {
		t.Fatalf("lists %q, want one", got)
	}
	svc := officialSpanner(t, rec.srv.URL)
	if _, err := svc.Projects.Instances.BackupOperations.List(parent).Filter("done=false").PageSize(1000).Context(context.Background()).Do(); err != nil {
		t.Fatal(err)
	}
	if want := rec.take(); len(want) != 1 || want[0] != got[0] {
		t.Errorf("ours   %q\ntheirs %q", got, want)
	}
}

// The DescribeBackups that answers concurrent FSx polls equals the
// official client's DescribeBackups of the same ids (body, target and
// SigV4 signature at the same time).
func TestFSxSharedPollMatchesSDK(t *testing.T) {
	at := time.Date(2026, 11, 3, 10, 11, 12, 0, time.UTC)
	ids := []string{"backup-0123456789abcdef0", "backup-00000001", "backup-00000002"}
	var backups []string
	for _, id := range ids {
		backups = append(backups, fmt.Sprintf(`{"BackupId":%q,"Lifecycle":"COPYING","ProgressPercent":40}`, id))
	}
	body := `{"Backups":[` + strings.Join(backups, ",") + `]}`
	ours := &fsxCapture{body: body}
	our := fsxOurs(t, ours)
	poll := func(id string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := our.CopyBackupOperation(id).Poll(auth.WithSigningTime(ctx, at))
			return err
		}
	}
	pollTogether(t, poll(ids[0]), poll(ids[1]), poll(ids[2]))
	got := ours.last(t)
	var in struct{ BackupIds []string }
	if err := json.Unmarshal(got.body, &in); err != nil || len(in.BackupIds) != 2 {
		t.Fatalf("the shared poll's body %s: want two ids (%v)", got.body, err)
	}
	theirs := &fsxCapture{body: body}
	if _, err := fsxSDK(theirs, at, "").DescribeBackups(context.Background(), &fsxsdk.DescribeBackupsInput{BackupIds: in.BackupIds}); err != nil {
		t.Fatal(err)
	}
	fsxCompareRequests(t, "shared poll", got, theirs.last(t), at)
}

// The backups list that answers concurrent CBR polls equals the official
// client's ListBackups of the same vault with show_replication (method,
// path, query and project header), and the fake, which checks signatures
// as the service does, accepts both.
func TestCBRSharedPollListMatchesSDK(t *testing.T) {
	fake := cbrtest.NewServer(cbrtest.WithoutListener())
	var mu sync.Mutex
	var lists []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/backups") {
			mu.Lock()
			lists = append(lists, r.Clone(context.Background()))
			mu.Unlock()
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	dst := fake.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion})
	vault := fake.AddBackup(cbr.Backup{}).VaultID
	ours, err := cbr.NewClient(context.Background(), cbr.WithEndpoint(srv.URL), cbr.WithRegion(cbrtest.Region),
		cbr.WithProjectID(cbrtest.ProjectID), cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey))
	if err != nil {
		t.Fatal(err)
	}
	var polls []func(context.Context) error
	for range 3 {
		src := fake.AddBackup(cbr.Backup{VaultID: vault})
		op, err := ours.CopyBackup(context.Background(), &cbr.CopyBackupRequest{BackupID: src.ID, DestinationProjectID: "dest",
			DestinationRegion: cbrtest.DestinationRegion, DestinationVaultID: dst.ID})
		if err != nil {
			t.Fatal(err)
		}
		polls = append(polls, func(ctx context.Context) error { _, err := op.Poll(ctx); return err })
	}
	// The first poll reads its backup (its vault is not known yet); the
	// next makes the vault's first round; the two after it share a round.
	if err := polls[0](context.Background()); err != nil {
		t.Fatal(err)
	}
	pollTogether(t, polls...)
	mu.Lock()
	got := lists
	lists = nil
	mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d lists, want one", len(got))
	}
	sdk := cbrSDKClient(t, srv.URL, cbrtest.AccessKey, cbrtest.SecretKey, cbrtest.ProjectID)
	show := true
	if _, err := sdk.ListBackups(&cbrmodel.ListBackupsRequest{VaultId: &vault, ShowReplication: &show}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lists) != 1 {
		t.Fatalf("%d SDK lists, want one", len(lists))
	}
	a, b := got[0], lists[0]
	if a.Method != b.Method || a.URL.EscapedPath() != b.URL.EscapedPath() || a.URL.Query().Encode() != b.URL.Query().Encode() ||
		a.Header.Get("X-Project-Id") != b.Header.Get("X-Project-Id") {
		t.Errorf("ours   %s %s?%s (project %q)\ntheirs %s %s?%s (project %q)", a.Method, a.URL.EscapedPath(), a.URL.Query().Encode(), a.Header.Get("X-Project-Id"),
			b.Method, b.URL.EscapedPath(), b.URL.Query().Encode(), b.Header.Get("X-Project-Id"))
	}
}
