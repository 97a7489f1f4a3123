package peertest

// Spanner: the official REST client (google.golang.org/api/spanner/v1)
// against spannertest, and differential tests: for the same inputs our
// requests equal the official client's, and our decoders read what the
// official types read.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	spannerv1 "google.golang.org/api/spanner/v1"

	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

func spannerToken() oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "peer-token"})
}

func officialSpanner(t *testing.T, endpoint string) *spannerv1.Service {
	t.Helper()
	svc, err := spannerv1.NewService(context.Background(), option.WithEndpoint(endpoint+"/"), option.WithTokenSource(spannerToken()))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func ourSpanner(t *testing.T, endpoint string) *spanner.Client {
	t.Helper()
	c, err := spanner.NewClient(context.Background(), spanner.WithEndpoint(endpoint), spanner.WithTokenSource(spannerToken()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitOfficial polls an operation with the official client until it is done.
func waitOfficial(t *testing.T, svc *spannerv1.Service, name string) *spannerv1.Operation {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		op, err := svc.Projects.Instances.Backups.Operations.Get(name).Do()
		if err != nil {
			t.Fatal(err)
		}
		if op.Done {
			return op
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("operation %s did not finish", name)
	return nil
}

const (
	spInst  = "projects/example.com:peer/instances/prod"
	spInst2 = "projects/example.com:peer/instances/dr"
	spDB    = spInst + "/databases/orders"
)

// The official REST client works against the fake: create, poll, copy,
// get, list, list operations with a filter, cancel, delete, and errors.
func TestSpannerOfficialClientAgainstFake(t *testing.T) {
	srv := spannertest.NewServer(spannertest.WithOperationDuration(300 * time.Millisecond))
	defer srv.Close()
	srv.AddDatabase(spDB)
	srv.AddInstance(spInst2)
	svc := officialSpanner(t, srv.URL())
	ctx := context.Background()

	expire := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339Nano)
	op, err := svc.Projects.Instances.Backups.Create(spInst, &spannerv1.Backup{Database: spDB, ExpireTime: expire}).
		BackupId("nightly").EncryptionConfigEncryptionType("GOOGLE_DEFAULT_ENCRYPTION").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	var meta spannerv1.CreateBackupMetadata
	if err := json.Unmarshal(op.Metadata, &meta); err != nil || meta.Name != spInst+"/backups/nightly" || meta.Database != spDB {
		t.Fatalf("metadata %s: %+v %v", op.Metadata, meta, err)
	}
	done := waitOfficial(t, svc, op.Name)
	if done.Error != nil {
		t.Fatalf("create failed: %+v", done.Error)
	}
	var b spannerv1.Backup
	if err := json.Unmarshal(done.Response, &b); err != nil || b.State != "READY" || b.SizeBytes == 0 {
		t.Fatalf("response %s: %v", done.Response, err)
	}
	if b.EncryptionInfo == nil || b.EncryptionInfo.EncryptionType != "GOOGLE_DEFAULT_ENCRYPTION" {
		t.Fatalf("encryption info %+v", b.EncryptionInfo)
	}

	// A second create of the same id: ALREADY_EXISTS as a googleapi.Error.
	_, err = svc.Projects.Instances.Backups.Create(spInst, &spannerv1.Backup{Database: spDB, ExpireTime: expire}).BackupId("nightly").Do()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != 409 {
		t.Fatalf("want 409, got %v", err)
	}

	cop, err := svc.Projects.Instances.Backups.Copy(spInst2, &spannerv1.CopyBackupRequest{
		BackupId: "nightly-dr", SourceBackup: spInst + "/backups/nightly", ExpireTime: expire,
		EncryptionConfig: &spannerv1.CopyBackupEncryptionConfig{EncryptionType: "USE_CONFIG_DEFAULT_OR_BACKUP_ENCRYPTION"},
	}).Do()
	if err != nil {
		t.Fatal(err)
	}
	var cmeta spannerv1.CopyBackupMetadata
	if err := json.Unmarshal(cop.Metadata, &cmeta); err != nil || cmeta.SourceBackup != spInst+"/backups/nightly" {
		t.Fatalf("copy metadata %s", cop.Metadata)
	}
	// Our client sees the same operation through the filter the recovery uses.
	ops, err := svc.Projects.Instances.BackupOperations.List(spInst2).
		Filter(fmt.Sprintf("(metadata.@type=%s) AND (metadata.name:%q)", spanner.CopyBackupMetadataTypeURL, spInst2+"/backups/nightly-dr")).Do()
	if err != nil || len(ops.Operations) != 1 || ops.Operations[0].Name != cop.Name {
		t.Fatalf("backupOperations: %+v %v", ops, err)
	}
	if done := waitOfficial(t, svc, cop.Name); done.Error != nil {
		t.Fatalf("copy failed: %+v", done.Error)
	}

	got, err := svc.Projects.Instances.Backups.Get(spInst2 + "/backups/nightly-dr").Do()
	if err != nil || got.State != "READY" || got.Database != spDB {
		t.Fatalf("get: %+v %v", got, err)
	}
	list, err := svc.Projects.Instances.Backups.List(spInst).PageSize(1).Do()
	if err != nil || len(list.Backups) != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}

	// Cancel through the official client; our client then reports CANCELLED.
	op2, err := svc.Projects.Instances.Backups.Create(spInst, &spannerv1.Backup{Database: spDB, ExpireTime: expire}).BackupId("doomed").Do()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Projects.Instances.Backups.Operations.Cancel(op2.Name).Do(); err != nil {
		t.Fatal(err)
	}
	c := ourSpanner(t, srv.URL())
	_, err = c.CreateBackupOperation(op2.Name).Wait(ctx)
	var se *spanner.Error
	if !errors.As(err, &se) || se.Code != 1 {
		t.Fatalf("want CANCELLED, got %v", err)
	}
	cancelled := waitOfficial(t, svc, op2.Name)
	if cancelled.Error == nil || cancelled.Error.Code != 1 {
		t.Fatalf("official sees %+v", cancelled.Error)
	}

	if _, err := svc.Projects.Instances.Backups.Delete(spInst2 + "/backups/nightly-dr").Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Projects.Instances.Backups.Get(spInst2 + "/backups/nightly-dr").Do(); !errors.As(err, &gerr) || gerr.Code != 404 {
		t.Fatalf("want 404, got %v", err)
	}
	// No token: 401 with the UNAUTHENTICATED body.
	anon, err := spannerv1.NewService(ctx, option.WithEndpoint(srv.URL()+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := anon.Projects.Instances.Backups.Get(spInst + "/backups/nightly").Do(); !errors.As(err, &gerr) || gerr.Code != 401 {
		t.Fatalf("want 401, got %v", err)
	}
}

// wireRequest is what a differential test compares.
type wireRequest struct {
	Method, Path string
	Query        url.Values
	Body         any
}

// recordingServer answers every request with reply and records it.
type recordingServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []wireRequest
}

func newRecordingServer(t *testing.T, reply string) *recordingServer {
	rs := &recordingServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		q := r.URL.Query()
		// The official client adds its response-format parameters.
		q.Del("alt")
		q.Del("prettyPrint")
		var body any
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Errorf("body is not JSON: %q", raw)
			}
		}
		rs.mu.Lock()
		rs.reqs = append(rs.reqs, wireRequest{Method: r.Method, Path: r.URL.EscapedPath(), Query: q, Body: body})
		rs.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, reply)
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *recordingServer) last(t *testing.T) wireRequest {
	t.Helper()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.reqs) == 0 {
		t.Fatal("no request recorded")
	}
	return rs.reqs[len(rs.reqs)-1]
}

const diffOp = `{"name":"projects/p/instances/i/backups/b/operations/o","metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CreateBackupMetadata"}}`
const diffCopyOp = `{"name":"projects/p/instances/i/backups/b/operations/o","metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CopyBackupMetadata"}}`

func compareRequests(t *testing.T, ours, theirs wireRequest) {
	t.Helper()
	if ours.Method != theirs.Method || ours.Path != theirs.Path {
		t.Errorf("request line: ours %s %s, official %s %s", ours.Method, ours.Path, theirs.Method, theirs.Path)
	}
	if !reflect.DeepEqual(ours.Query, theirs.Query) && !(len(ours.Query) == 0 && len(theirs.Query) == 0) {
		t.Errorf("query: ours %v, official %v", ours.Query, theirs.Query)
	}
	if !reflect.DeepEqual(ours.Body, theirs.Body) {
		t.Errorf("body:\n ours     %v\n official %v", ours.Body, theirs.Body)
	}
}

// randomCreate draws a valid CreateBackupRequest.
func randomCreate(r *rand.Rand, now time.Time) *spanner.CreateBackupRequest {
	projects := []string{"my-proj", "example.com:my-proj", "123456789", "p"}
	instances := []string{"prod", "i", "test-instance-01"}
	ids := []string{"ab", "nightly", "backup_2026-11-22", "x" + fmt.Sprint(r.IntN(1e6)) + "z"}
	proj, inst := projects[r.IntN(len(projects))], instances[r.IntN(len(instances))]
	parent := "projects/" + proj + "/instances/" + inst
	req := &spanner.CreateBackupRequest{
		Parent: parent, BackupID: ids[r.IntN(len(ids))], Database: parent + "/databases/db" + fmt.Sprint(r.IntN(9)),
		ExpireTime: now.Add(spanner.MinExpire + time.Duration(r.Int64N(int64(300*24*time.Hour)))),
	}
	if r.IntN(2) == 0 {
		req.VersionTime = now.Add(-time.Duration(r.Int64N(int64(time.Hour))))
	}
	key := func(n int) string { return fmt.Sprintf("projects/k/locations/l%d/keyRings/r/cryptoKeys/key%d", n, n) }
	switch r.IntN(5) {
	case 1:
		req.Encryption = &spanner.EncryptionConfig{Type: spanner.GoogleDefaultEncryption}
	case 2:
		req.Encryption = &spanner.EncryptionConfig{Type: spanner.UseDatabaseEncryption}
	case 3:
		req.Encryption = &spanner.EncryptionConfig{Type: spanner.CustomerManagedEncryption, KMSKeyName: key(0)}
	case 4:
		req.Encryption = &spanner.EncryptionConfig{Type: spanner.CustomerManagedEncryption, KMSKeyNames: []string{key(1), key(2), key(3)}[:1+r.IntN(3)]}
	}
	return req
}

func TestSpannerDifferentialCreate(t *testing.T) {
	ours := newRecordingServer(t, diffOp)
	theirs := newRecordingServer(t, diffOp)
	c := ourSpanner(t, ours.URL)
	svc := officialSpanner(t, theirs.URL)
	r := rand.New(rand.NewPCG(3, 22))
	for i := range 300 {
		req := randomCreate(r, time.Now())
		if _, err := c.CreateBackup(context.Background(), req); err != nil {
			t.Fatalf("case %d %+v: %v", i, req, err)
		}
		b := &spannerv1.Backup{Database: req.Database, ExpireTime: gapi.FormatTime(req.ExpireTime)}
		if !req.VersionTime.IsZero() {
			b.VersionTime = gapi.FormatTime(req.VersionTime)
		}
		call := svc.Projects.Instances.Backups.Create(req.Parent, b).BackupId(req.BackupID)
		if e := req.Encryption; e != nil {
			call = call.EncryptionConfigEncryptionType(string(e.Type))
			if e.KMSKeyName != "" {
				call = call.EncryptionConfigKmsKeyName(e.KMSKeyName)
			}
			if len(e.KMSKeyNames) > 0 {
				call = call.EncryptionConfigKmsKeyNames(e.KMSKeyNames...)
			}
		}
		if _, err := call.Do(); err != nil {
			t.Fatal(err)
		}
		compareRequests(t, ours.last(t), theirs.last(t))
		if t.Failed() {
			t.Fatalf("case %d: %+v", i, req)
		}
	}
}

func TestSpannerDifferentialCopyAndOthers(t *testing.T) {
	ours := newRecordingServer(t, diffCopyOp)
	theirs := newRecordingServer(t, diffCopyOp)
	c := ourSpanner(t, ours.URL)
	svc := officialSpanner(t, theirs.URL)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(9, 1))
	for i := range 200 {
		src := randomCreate(r, time.Now())
		dst := randomCreate(r, time.Now())
		req := &spanner.CopyBackupRequest{Parent: dst.Parent, BackupID: dst.BackupID, SourceBackup: src.Parent + "/backups/" + src.BackupID, ExpireTime: dst.ExpireTime}
		official := &spannerv1.CopyBackupRequest{BackupId: req.BackupID, SourceBackup: req.SourceBackup, ExpireTime: gapi.FormatTime(req.ExpireTime)}
		if e := dst.Encryption; e != nil {
			t := spanner.CopyEncryptionType(e.Type)
			if e.Type == spanner.UseDatabaseEncryption {
				t = spanner.UseConfigDefaultOrBackupEncryption
			}
			req.Encryption = &spanner.CopyEncryptionConfig{Type: t, KMSKeyName: e.KMSKeyName, KMSKeyNames: e.KMSKeyNames}
			official.EncryptionConfig = &spannerv1.CopyBackupEncryptionConfig{EncryptionType: string(t), KmsKeyName: e.KMSKeyName, KmsKeyNames: e.KMSKeyNames}
		}
		if _, err := c.CopyBackup(ctx, req); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if _, err := svc.Projects.Instances.Backups.Copy(req.Parent, official).Do(); err != nil {
			t.Fatal(err)
		}
		compareRequests(t, ours.last(t), theirs.last(t))
		if t.Failed() {
			t.Fatalf("case %d: %+v", i, req)
		}
	}

	// Get, Delete, Cancel and an operation poll.
	name := "projects/example.com:p/instances/i/backups/b_1"
	opName := name + "/operations/_auto_op_1"
	checks := []struct {
		name          string
		ours, theirs  func() error
		skipBodyCheck bool
	}{
		{"get", func() error { _, err := c.GetBackup(ctx, name); return err }, func() error { _, err := svc.Projects.Instances.Backups.Get(name).Do(); return err }, false},
		{"delete", func() error { return c.DeleteBackup(ctx, name) }, func() error { _, err := svc.Projects.Instances.Backups.Delete(name).Do(); return err }, false},
		{"cancel", func() error { return c.CopyBackupOperation(opName).Cancel(ctx) }, func() error { _, err := svc.Projects.Instances.Backups.Operations.Cancel(opName).Do(); return err }, false},
		{"poll", func() error { _, err := c.CopyBackupOperation(opName).Poll(ctx); return err }, func() error { _, err := svc.Projects.Instances.Backups.Operations.Get(opName).Do(); return err }, false},
	}
	for _, ck := range checks {
		t.Run(ck.name, func(t *testing.T) {
			if err := ck.ours(); err != nil {
				t.Fatal(err)
			}
			if err := ck.theirs(); err != nil {
				t.Fatal(err)
			}
			compareRequests(t, ours.last(t), theirs.last(t))
		})
	}
}

// A Backup in every field the API documents: ours and the official type
// read the same values.
const fullBackupJSON = `{"name":"projects/p/instances/i/backups/b","database":"projects/p/instances/i/databases/d",
 "expireTime":"2026-12-01T00:00:00.5+01:00","versionTime":"2026-11-22T10:00:00.123Z","createTime":"2026-11-22T10:00:01.123456Z",
 "sizeBytes":"9007199254740993","state":"READY","referencingDatabases":["projects/p/instances/i/databases/r"],
 "referencingBackups":["projects/p/instances/j/backups/c","projects/p/instances/k/backups/c"],
 "encryptionInfo":{"encryptionType":"CUSTOMER_MANAGED_ENCRYPTION","kmsKeyVersion":"projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/3",
   "encryptionStatus":{"code":9,"message":"key version destroyed"}},
 "encryptionInformation":[{"encryptionType":"CUSTOMER_MANAGED_ENCRYPTION","kmsKeyVersion":"v1"},{"encryptionType":"CUSTOMER_MANAGED_ENCRYPTION","kmsKeyVersion":"v2"}],
 "databaseDialect":"POSTGRESQL","maxExpireTime":"2027-11-23T10:00:01.123456Z","exclusiveSizeBytes":"100","freeableSizeBytes":"50",
 "incrementalBackupChainId":"chain-1","oldestVersionTime":"2026-11-20T00:00:00Z","backupSchedules":["projects/p/instances/i/databases/d/backupSchedules/s"],
 "instancePartitions":[{"instancePartition":"projects/p/instances/i/instancePartitions/ip"}],"minimumRestorableEdition":"ENTERPRISE_PLUS",
 "aFieldFromTheFuture":{"nested":[1,2,3]}}`

func officialTime(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func compareBackup(t *testing.T, raw string) {
	t.Helper()
	var theirs spannerv1.Backup
	if err := json.Unmarshal([]byte(raw), &theirs); err != nil {
		t.Fatal(err)
	}
	var ours spanner.Backup
	if err := json.Unmarshal([]byte(raw), &ours); err != nil {
		t.Fatal(err)
	}
	eq := func(field string, a, b any) {
		t.Helper()
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: ours %v, official %v", field, a, b)
		}
	}
	times := func(field string, a time.Time, b string) {
		t.Helper()
		if bt := officialTime(t, b); !a.Equal(bt) {
			t.Errorf("%s: ours %v, official %v", field, a, bt)
		}
	}
	eq("name", ours.Name, theirs.Name)
	eq("database", ours.Database, theirs.Database)
	times("expireTime", ours.ExpireTime, theirs.ExpireTime)
	times("versionTime", ours.VersionTime, theirs.VersionTime)
	times("createTime", ours.CreateTime, theirs.CreateTime)
	times("maxExpireTime", ours.MaxExpireTime, theirs.MaxExpireTime)
	times("oldestVersionTime", ours.OldestVersionTime, theirs.OldestVersionTime)
	eq("sizeBytes", ours.SizeBytes, theirs.SizeBytes)
	eq("exclusiveSizeBytes", ours.ExclusiveSizeBytes, theirs.ExclusiveSizeBytes)
	eq("freeableSizeBytes", ours.FreeableSizeBytes, theirs.FreeableSizeBytes)
	eq("state", string(ours.State), theirs.State)
	eq("referencingDatabases", ours.ReferencingDatabases, theirs.ReferencingDatabases)
	eq("referencingBackups", ours.ReferencingBackups, theirs.ReferencingBackups)
	eq("databaseDialect", string(ours.DatabaseDialect), theirs.DatabaseDialect)
	eq("incrementalBackupChainId", ours.IncrementalBackupChainID, theirs.IncrementalBackupChainId)
	eq("backupSchedules", ours.BackupSchedules, theirs.BackupSchedules)
	eq("minimumRestorableEdition", ours.MinimumRestorableEdition, theirs.MinimumRestorableEdition)
	var parts []string
	for _, p := range theirs.InstancePartitions {
		parts = append(parts, p.InstancePartition)
	}
	eq("instancePartitions", ours.InstancePartitions, parts)
	encEq := func(field string, a spanner.EncryptionInfo, b *spannerv1.EncryptionInfo) {
		t.Helper()
		if b == nil {
			if a != (spanner.EncryptionInfo{}) {
				t.Errorf("%s: ours %+v, official none", field, a)
			}
			return
		}
		eq(field+".encryptionType", string(a.Type), b.EncryptionType)
		eq(field+".kmsKeyVersion", a.KMSKeyVersion, b.KmsKeyVersion)
		var code int64
		msg := ""
		if b.EncryptionStatus != nil {
			code, msg = b.EncryptionStatus.Code, b.EncryptionStatus.Message
		}
		if int64(a.Status.Code) != code || a.Status.Message != msg {
			t.Errorf("%s.encryptionStatus: ours %+v, official %d %q", field, a.Status, code, msg)
		}
	}
	encEq("encryptionInfo", ours.EncryptionInfo, theirs.EncryptionInfo)
	if len(ours.EncryptionInformation) != len(theirs.EncryptionInformation) {
		t.Fatalf("encryptionInformation: %d vs %d", len(ours.EncryptionInformation), len(theirs.EncryptionInformation))
	}
	for i := range ours.EncryptionInformation {
		encEq(fmt.Sprintf("encryptionInformation[%d]", i), ours.EncryptionInformation[i], theirs.EncryptionInformation[i])
	}
}

func TestSpannerDecodersMatchOfficial(t *testing.T) {
	compareBackup(t, fullBackupJSON)
	compareBackup(t, `{"name":"projects/p/instances/i/backups/b","state":"CREATING"}`)
	compareBackup(t, `{"sizeBytes":"0","createTime":"2026-11-22T10:00:01Z"}`)
	compareBackup(t, `{"name":"projects/p/instances/i/backups/b","createTime":"2026-11-22T10:00:01.123456789Z","versionTime":"2026-11-22T10:00:00.000000001Z","expireTime":"2026-11-29T10:00:00.999999999+01:00"}`)
	// A difference: protojson (what the service's own parser follows) accepts
	// an int64 as a bare number too; the official Go type refuses it, ours
	// reads it.
	bare := `{"sizeBytes":123}`
	var official spannerv1.Backup
	if err := json.Unmarshal([]byte(bare), &official); err == nil {
		t.Error("the official type now reads a bare int64; update this note")
	}
	var lenient spanner.Backup
	if err := json.Unmarshal([]byte(bare), &lenient); err != nil || lenient.SizeBytes != 123 {
		t.Errorf("bare int64: %v %d", err, lenient.SizeBytes)
	}

	// Whatever the fake serves reads the same both ways, and our encoding
	// reads back through the official type.
	srv := spannertest.NewServer(spannertest.WithOperationDuration(0))
	defer srv.Close()
	srv.AddDatabase(spDB)
	srv.AddBackup(spanner.Backup{Name: spInst + "/backups/seed", Database: spDB, SizeBytes: 1 << 40,
		ReferencingDatabases: []string{spInst + "/databases/restored"},
		EncryptionInfo:       spanner.EncryptionInfo{Type: spanner.CustomerManagedEncryption, KMSKeyVersion: "projects/k/locations/l/keyRings/r/cryptoKeys/c/cryptoKeyVersions/1"}})
	resp, err := http.DefaultClient.Do(mustRequest(t, srv.URL()+"/v1/"+spInst+"/backups/seed"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	compareBackup(t, string(raw))

	var ours spanner.Backup
	if err := json.Unmarshal([]byte(fullBackupJSON), &ours); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(ours)
	if err != nil {
		t.Fatal(err)
	}
	compareBackup(t, string(again))

	// Operation metadata, both kinds.
	for _, m := range []string{
		`{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CreateBackupMetadata","name":"projects/p/instances/i/backups/b","database":"projects/p/instances/i/databases/d","progress":{"progressPercent":42,"startTime":"2026-11-22T10:00:00.000001Z","endTime":"2026-11-22T11:00:00Z"},"cancelTime":"2026-11-22T10:30:00Z"}`,
	} {
		var theirs spannerv1.CreateBackupMetadata
		var oursM spanner.CreateBackupMetadata
		if err := json.Unmarshal([]byte(m), &theirs); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(m), &oursM); err != nil {
			t.Fatal(err)
		}
		if oursM.Name != theirs.Name || oursM.Database != theirs.Database || int64(oursM.Progress.Percent) != theirs.Progress.ProgressPercent ||
			!oursM.Progress.StartTime.Equal(officialTime(t, theirs.Progress.StartTime)) || !oursM.Progress.EndTime.Equal(officialTime(t, theirs.Progress.EndTime)) ||
			!oursM.CancelTime.Equal(officialTime(t, theirs.CancelTime)) {
			t.Errorf("create metadata: ours %+v, official %+v / %+v", oursM, theirs, theirs.Progress)
		}
	}
	cm := `{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CopyBackupMetadata","name":"projects/p/instances/j/backups/c","sourceBackup":"projects/p/instances/i/backups/b","progress":{"progressPercent":7,"startTime":"2026-11-22T10:00:00Z"}}`
	var theirsC spannerv1.CopyBackupMetadata
	var oursC spanner.CopyBackupMetadata
	if err := json.Unmarshal([]byte(cm), &theirsC); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(cm), &oursC); err != nil {
		t.Fatal(err)
	}
	if oursC.Name != theirsC.Name || oursC.SourceBackup != theirsC.SourceBackup || int64(oursC.Progress.Percent) != theirsC.Progress.ProgressPercent ||
		!oursC.Progress.StartTime.Equal(officialTime(t, theirsC.Progress.StartTime)) || !oursC.CancelTime.IsZero() || theirsC.CancelTime != "" {
		t.Errorf("copy metadata: ours %+v, official %+v", oursC, theirsC)
	}
	// Our metadata encoding reads back through the official type.
	enc, _ := json.Marshal(oursC)
	var back spannerv1.CopyBackupMetadata
	if err := json.Unmarshal(enc, &back); err != nil || back.SourceBackup != oursC.SourceBackup || back.Progress.ProgressPercent != 7 {
		t.Errorf("copy metadata encoding %s: %+v %v", enc, back, err)
	}
	if !slices.Contains([]string{spanner.CreateBackupMetadataTypeURL, spanner.CopyBackupMetadataTypeURL}, "type.googleapis.com/google.spanner.admin.database.v1.CopyBackupMetadata") {
		t.Error("type URL constants")
	}
}

func mustRequest(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer x")
	return req
}
