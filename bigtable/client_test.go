package bigtable_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/googleapis/gax-go/v2/apierror"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/internal/faultproxy"
	"github.com/backupcopy/backupcopy/lro"
)

const (
	srcName  = "projects/p/instances/i/clusters/c1/backups/src"
	dstCl    = "projects/p/instances/i/clusters/c2"
	srcTable = "projects/p/instances/i/tables/orders"
	token    = "ya29.secret-test-token"
)

func newFake(t *testing.T) *bigtabletest.Server {
	t.Helper()
	f := bigtabletest.NewServer()
	t.Cleanup(f.Close)
	f.AddBackup(bigtable.Backup{Name: srcName, SourceTable: srcTable, SizeBytes: 9007199254740993})
	f.AddCluster(dstCl)
	f.SetOperationDuration(300 * time.Millisecond)
	return f
}

func newClient(t *testing.T, endpoint string, opts ...bigtable.Option) *bigtable.Client {
	t.Helper()
	opts = append([]bigtable.Option{
		bigtable.WithEndpoint(endpoint),
		bigtable.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})),
	}, opts...)
	c, err := bigtable.NewClient(context.Background(), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func copyReq(id string) *bigtable.CopyBackupRequest {
	return &bigtable.CopyBackupRequest{Parent: dstCl, BackupID: id, SourceBackup: srcName, ExpireTime: time.Now().Add(72 * time.Hour)}
}

var fastPoll = lro.WithPollInterval(20*time.Millisecond, 50*time.Millisecond)

func TestCopyBackupAgainstFake(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, fake.URL())
	ctx := context.Background()
	req := copyReq("copy-1")
	op, err := c.CopyBackup(ctx, req)
	require.NoError(t, err)
	assert.False(t, op.Done())
	assert.True(t, strings.HasPrefix(op.Name(), "operations/projects/p/instances/i/clusters/c2/backups/copy-1/operations/"), op.Name())
	md := op.Metadata()
	require.NotNil(t, md)
	assert.Equal(t, dstCl+"/backups/copy-1", md.Name)
	assert.Equal(t, srcName, md.SourceBackupInfo.Backup)
	assert.Equal(t, srcTable, md.SourceBackupInfo.SourceTable)
	assert.False(t, md.Progress.StartTime.IsZero())

	var mu sync.Mutex
	var seen []lro.Progress
	b, err := op.Wait(ctx, fastPoll, lro.WithProgress(func(p lro.Progress) {
		mu.Lock()
		seen = append(seen, p)
		mu.Unlock()
	}))
	require.NoError(t, err)
	assert.Equal(t, dstCl+"/backups/copy-1", b.Name)
	assert.Equal(t, bigtable.BackupReady, b.State)
	assert.Equal(t, srcName, b.SourceBackup)
	assert.Equal(t, srcTable, b.SourceTable)
	assert.Equal(t, int64(9007199254740993), b.SizeBytes, "int64 beyond float precision survives")
	assert.True(t, b.ExpireTime.Equal(req.ExpireTime.Truncate(time.Microsecond)), "expire %v vs %v", b.ExpireTime, req.ExpireTime)
	assert.True(t, op.Done())
	require.NotEmpty(t, seen)
	last := seen[len(seen)-1]
	assert.True(t, last.Done)
	assert.Equal(t, 100, last.Percent)
	for i := 1; i < len(seen); i++ {
		assert.GreaterOrEqual(t, seen[i].Percent, seen[i-1].Percent, "progress never goes back")
	}
	assert.Equal(t, 100, op.Metadata().Progress.Percent)
	assert.False(t, op.Metadata().Progress.EndTime.IsZero())

	got, err := c.GetBackup(ctx, b.Name)
	require.NoError(t, err)
	assert.Equal(t, *b, *got)

	// Every request carried the bearer token.
	for _, r := range fake.Requests() {
		assert.Equal(t, "Bearer "+token, r.Header.Get("Authorization"))
		assert.Contains(t, r.Header.Get("User-Agent"), "backupcopy-go/")
	}
	// The copy request on the wire.
	var posted []bigtabletest.Request
	for _, r := range fake.Requests() {
		if r.Method == http.MethodPost {
			posted = append(posted, r)
		}
	}
	require.Len(t, posted, 1)
	assert.Equal(t, "/v2/"+dstCl+"/backups:copy", posted[0].Path)
	assert.JSONEq(t, fmt.Sprintf(`{"backupId":"copy-1","sourceBackup":%q,"expireTime":%q}`, srcName,
		req.ExpireTime.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z")), string(posted[0].Body))
}

func TestResumeByName(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, fake.URL())
	ctx := context.Background()
	op, err := c.CopyBackup(ctx, copyReq("copy-r"))
	require.NoError(t, err)

	// Another process: a new client, only the name.
	c2 := newClient(t, fake.URL())
	resumed := c2.CopyBackupOperation(op.Name())
	assert.Equal(t, op.Name(), resumed.Name())
	assert.False(t, resumed.Done())
	assert.Nil(t, resumed.Metadata(), "unknown until polled")
	res, err := resumed.Poll(ctx)
	require.NoError(t, err)
	assert.Nil(t, res, "still running")
	require.NotNil(t, resumed.Metadata())
	b, err := resumed.Wait(ctx, fastPoll)
	require.NoError(t, err)
	assert.Equal(t, bigtable.BackupReady, b.State)

	// A backup's own name resumes too (following the backup).
	byBackup := c2.CopyBackupOperation(b.Name)
	b2, err := byBackup.Wait(ctx, fastPoll)
	require.NoError(t, err)
	assert.Equal(t, b.Name, b2.Name)

	// An unknown operation is NOT_FOUND.
	_, err = c2.CopyBackupOperation("operations/projects/p/instances/i/clusters/c2/backups/nope/operations/1").Poll(ctx)
	assert.Equal(t, codes.NotFound, status.Code(err))
}

func TestCopyBackupErrors(t *testing.T) {
	fake := newFake(t)
	fake.AddBackup(bigtable.Backup{Name: "projects/p/instances/i/clusters/c1/backups/creating", SourceTable: srcTable, State: bigtable.BackupCreating})
	fake.AddBackup(bigtable.Backup{Name: "projects/p/instances/i/clusters/c1/backups/a-copy", SourceTable: srcTable, SourceBackup: srcName})
	fake.AddBackup(bigtable.Backup{Name: dstCl + "/backups/taken", SourceTable: srcTable})
	c := newClient(t, fake.URL())
	ctx := context.Background()

	tests := []struct {
		name   string
		mod    func(*bigtable.CopyBackupRequest)
		code   codes.Code
		http   int
		inText string
	}{
		{"exists", func(r *bigtable.CopyBackupRequest) { r.BackupID = "taken" }, codes.AlreadyExists, 409, "already exists"},
		{"source missing", func(r *bigtable.CopyBackupRequest) {
			r.SourceBackup = "projects/p/instances/i/clusters/c1/backups/nope"
		}, codes.NotFound, 404, "not found"},
		{"cluster missing", func(r *bigtable.CopyBackupRequest) { r.Parent = "projects/p/instances/i/clusters/nope" }, codes.NotFound, 404, "Cluster not found"},
		{"source creating", func(r *bigtable.CopyBackupRequest) {
			r.SourceBackup = "projects/p/instances/i/clusters/c1/backups/creating"
		}, codes.FailedPrecondition, 400, "not READY"},
		{"copy of a copy", func(r *bigtable.CopyBackupRequest) {
			r.SourceBackup = "projects/p/instances/i/clusters/c1/backups/a-copy"
		}, codes.FailedPrecondition, 400, "copied backup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := copyReq("new-" + strings.ReplaceAll(tt.name, " ", "-"))
			tt.mod(req)
			op, err := c.CopyBackup(ctx, req)
			require.Error(t, err)
			assert.Nil(t, op)
			assert.Equal(t, tt.code, status.Code(err))
			var ae *apierror.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.http, ae.HTTPCode())
			var be *bigtable.Error
			require.ErrorAs(t, err, &be)
			assert.Equal(t, "CopyBackup", be.Operation)
			assert.Equal(t, tt.code, be.Code)
			assert.NotEmpty(t, be.RequestID, "request id from X-Request-Id")
			assert.Contains(t, err.Error(), tt.inText)
			assert.Contains(t, err.Error(), be.RequestID)
			assert.True(t, errors.Is(err, &bigtable.Error{Code: tt.code}))
		})
	}
	// The fake's own checks (the client lets a slightly-off expire time through
	// within its clock slack; the fake applies the exact rule).
	req := copyReq("edge")
	req.ExpireTime = time.Now().Add(6*time.Hour - 2*time.Minute)
	before := fake.CountRequests("CopyBackup")
	_, err := c.CopyBackup(ctx, req)
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	var ae *apierror.APIError
	require.ErrorAs(t, err, &ae)
	require.NotNil(t, ae.Details().BadRequest)
	assert.Equal(t, "expire_time", ae.Details().BadRequest.GetFieldViolations()[0].GetField())
	assert.Equal(t, before+1, fake.CountRequests("CopyBackup"), "sent once, not retried")
}

func TestAuthentication(t *testing.T) {
	fake := newFake(t)
	ctx := context.Background()

	// No credentials: the fake answers 401 UNAUTHENTICATED.
	anon := newClient(t, fake.URL(), bigtable.WithoutAuthentication())
	_, err := anon.GetBackup(ctx, srcName)
	assert.Equal(t, codes.Unauthenticated, status.Code(err))
	var ae *apierror.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 401, ae.HTTPCode())

	// A token source that fails: the error says so without the secret.
	bad := newClient(t, fake.URL(), bigtable.WithTokenSource(failingSource{}))
	_, err = bad.GetBackup(ctx, srcName)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no token today")

	// The fake can be told not to check.
	fake.SetAuthRequired(false)
	b, err := anon.GetBackup(ctx, srcName)
	require.NoError(t, err)
	assert.Equal(t, srcName, b.Name)
}

type failingSource struct{}

func (failingSource) Token() (*oauth2.Token, error) { return nil, errors.New("no token today") }

// A copy whose response is lost is retried; the retry meets ALREADY_EXISTS
// for the backup the first attempt created, and the client hands back that
// backup's operation instead of an error. Only one backup is made.
func TestCopyBackupLostResponseResolvesToOperation(t *testing.T) {
	fake := newFake(t)
	proxy, err := faultproxy.New(fake.URL())
	require.NoError(t, err)
	t.Cleanup(proxy.Close)
	proxy.Add(faultproxy.Rule{Match: faultproxy.Method(http.MethodPost), Faults: []faultproxy.Fault{{Kind: faultproxy.LoseResponse}}})
	c := newClient(t, proxy.URL())
	ctx := context.Background()

	op, err := c.CopyBackup(ctx, copyReq("lost-1"))
	require.NoError(t, err, "the lost response must resolve to the existing operation")
	assert.True(t, strings.HasPrefix(op.Name(), "operations/"+dstCl+"/backups/lost-1/operations/"), op.Name())
	assert.Equal(t, 2, fake.CountRequests("CopyBackup"), "the copy was sent twice")
	assert.Equal(t, 1, fake.CountRequests("ListOperations"))
	b, err := op.Wait(ctx, fastPoll)
	require.NoError(t, err)
	assert.Equal(t, srcName, b.SourceBackup)

	n := 0
	for b, err := range c.ListBackups(ctx, dstCl) {
		require.NoError(t, err)
		if strings.HasSuffix(b.Name, "/lost-1") {
			n++
		}
	}
	assert.Equal(t, 1, n)
}

// When the lost copy has already finished, the handle is done at once.
func TestCopyBackupLostResponseFinishedCopy(t *testing.T) {
	fake := newFake(t)
	fake.SetOperationDuration(0)
	proxy, err := faultproxy.New(fake.URL())
	require.NoError(t, err)
	t.Cleanup(proxy.Close)
	proxy.Add(faultproxy.Rule{Match: faultproxy.Method(http.MethodPost), Faults: []faultproxy.Fault{{Kind: faultproxy.LoseResponse}}})
	c := newClient(t, proxy.URL())
	op, err := c.CopyBackup(context.Background(), copyReq("lost-2"))
	require.NoError(t, err)
	assert.True(t, op.Done())
	b, err := op.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, bigtable.BackupReady, b.State)
}

// An ALREADY_EXISTS after a lost response is still an error when the
// existing backup is not this call's (another source or expire time).
func TestCopyBackupLostResponseGenuineConflict(t *testing.T) {
	fake := newFake(t)
	fake.AddBackup(bigtable.Backup{Name: dstCl + "/backups/theirs", SourceTable: srcTable, SourceBackup: srcName})
	proxy, err := faultproxy.New(fake.URL())
	require.NoError(t, err)
	t.Cleanup(proxy.Close)
	proxy.Add(faultproxy.Rule{Match: faultproxy.Method(http.MethodPost), Faults: []faultproxy.Fault{{Kind: faultproxy.Status, Status: 503, Body: `{"error":{"code":503,"message":"backend","status":"UNAVAILABLE"}}`}}})
	c := newClient(t, proxy.URL())
	_, err = c.CopyBackup(context.Background(), copyReq("theirs"))
	assert.Equal(t, codes.AlreadyExists, status.Code(err))
	var ae *apierror.APIError
	assert.ErrorAs(t, err, &ae)
}

// A conflict without any earlier lost attempt is not looked into.
func TestCopyBackupConflictWithoutRetryIsNotResolved(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, fake.URL())
	ctx := context.Background()
	req := copyReq("twice")
	_, err := c.CopyBackup(ctx, req)
	require.NoError(t, err)
	_, err = c.CopyBackup(ctx, req)
	assert.Equal(t, codes.AlreadyExists, status.Code(err))
	assert.Zero(t, fake.CountRequests("")-fake.CountRequests("CopyBackup"), "no look-up without an ambiguous attempt")
}

func TestRetriesTransientReads(t *testing.T) {
	fake := newFake(t)
	proxy, err := faultproxy.New(fake.URL())
	require.NoError(t, err)
	t.Cleanup(proxy.Close)
	proxy.Add(faultproxy.Rule{Match: faultproxy.Method(http.MethodGet), Faults: []faultproxy.Fault{
		{Kind: faultproxy.Status, Status: 503, Body: `{"error":{"code":503,"message":"x","status":"UNAVAILABLE"}}`},
		{Kind: faultproxy.Status, Status: 429, Header: http.Header{"Retry-After": {"0"}}, Body: `{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}`},
		{Kind: faultproxy.Truncate},
	}})
	c := newClient(t, proxy.URL())
	b, err := c.GetBackup(context.Background(), srcName)
	require.NoError(t, err)
	assert.Equal(t, srcName, b.Name)
	assert.Equal(t, 4, len(proxy.Log()), "503, 429, truncated body, success")
	assert.Equal(t, 2, fake.CountRequests("GetBackup"), "the truncated attempt and the success reached the fake")

	// Permanent errors are not retried.
	before := fake.CountRequests("GetBackup")
	_, err = c.GetBackup(context.Background(), "projects/p/instances/i/clusters/c1/backups/none")
	assert.Equal(t, codes.NotFound, status.Code(err))
	assert.Equal(t, before+1, fake.CountRequests("GetBackup"))
}

func TestListBackupsPages(t *testing.T) {
	fake := newFake(t)
	fake.SetPageSize(2)
	for i := range 5 {
		fake.AddBackup(bigtable.Backup{Name: fmt.Sprintf("%s/backups/b%d", dstCl, i), SourceTable: srcTable})
	}
	c := newClient(t, fake.URL())
	ctx := context.Background()
	var names []string
	for b, err := range c.ListBackups(ctx, dstCl) {
		require.NoError(t, err)
		names = append(names, b.Name)
	}
	assert.Len(t, names, 5)
	assert.Equal(t, 3, fake.CountRequests("ListBackups"))

	// Every cluster of the instance.
	names = nil
	for b, err := range c.ListBackups(ctx, "projects/p/instances/i/clusters/-") {
		require.NoError(t, err)
		names = append(names, b.Name)
	}
	assert.Len(t, names, 6)
	assert.Contains(t, names, srcName)

	// Stopping early fetches no further page.
	before := fake.CountRequests("ListBackups")
	for range c.ListBackups(ctx, dstCl) {
		break
	}
	assert.Equal(t, before+1, fake.CountRequests("ListBackups"))

	// An unknown cluster ends the sequence with the error.
	var gotErr error
	for b, err := range c.ListBackups(ctx, "projects/p/instances/i/clusters/zz") {
		assert.Nil(t, b)
		gotErr = err
	}
	assert.Equal(t, codes.NotFound, status.Code(gotErr))
}

func TestDeleteBackup(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, fake.URL())
	ctx := context.Background()
	fake.AddBackup(bigtable.Backup{Name: dstCl + "/backups/old", SourceTable: srcTable})
	require.NoError(t, c.DeleteBackup(ctx, dstCl+"/backups/old"))
	_, ok := fake.Backup(dstCl + "/backups/old")
	assert.False(t, ok)
	assert.Equal(t, codes.NotFound, status.Code(c.DeleteBackup(ctx, dstCl+"/backups/old")))

	// The source of a running copy cannot be deleted.
	_, err := c.CopyBackup(ctx, copyReq("busy"))
	require.NoError(t, err)
	assert.Equal(t, codes.FailedPrecondition, status.Code(c.DeleteBackup(ctx, srcName)))

	// A delete whose response is lost: the retry's NOT_FOUND is success.
	fake.AddBackup(bigtable.Backup{Name: dstCl + "/backups/gone", SourceTable: srcTable})
	proxy, err := faultproxy.New(fake.URL())
	require.NoError(t, err)
	t.Cleanup(proxy.Close)
	proxy.Add(faultproxy.Rule{Match: faultproxy.Method(http.MethodDelete), Faults: []faultproxy.Fault{{Kind: faultproxy.LoseResponse}}})
	cp := newClient(t, proxy.URL())
	before := fake.CountRequests("DeleteBackup")
	require.NoError(t, cp.DeleteBackup(ctx, dstCl+"/backups/gone"))
	assert.Equal(t, before+2, fake.CountRequests("DeleteBackup"))
}

func TestCreateBackupAgainstFake(t *testing.T) {
	fake := newFake(t)
	fake.AddTable(srcTable)
	c := newClient(t, fake.URL())
	ctx := context.Background()
	op, err := c.CreateBackup(ctx, &bigtable.CreateBackupRequest{
		Parent: "projects/p/instances/i/clusters/c1", BackupID: "nightly", SourceTable: srcTable,
		ExpireTime: time.Now().Add(80 * 24 * time.Hour), BackupType: bigtable.BackupTypeHot,
		HotToStandardTime: time.Now().Add(48 * time.Hour),
	})
	require.NoError(t, err)
	require.NotNil(t, op.Metadata())
	assert.Equal(t, srcTable, op.Metadata().SourceTable)
	assert.Equal(t, -1, op.Progress().Percent, "create reports no percent")
	b, err := op.Wait(ctx, fastPoll)
	require.NoError(t, err)
	assert.Equal(t, bigtable.BackupReady, b.State)
	assert.Equal(t, bigtable.BackupTypeHot, b.BackupType)
	assert.False(t, b.HotToStandardTime.IsZero())
	assert.Equal(t, 100, op.Progress().Percent)
	assert.False(t, op.Metadata().FinishTime.IsZero())

	resumed := c.CreateBackupOperation(op.Name())
	b2, err := resumed.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, b.Name, b2.Name)

	_, err = c.CreateBackup(ctx, &bigtable.CreateBackupRequest{Parent: "projects/p/instances/i/clusters/c1", BackupID: "x", SourceTable: "projects/p/instances/i/tables/none", ExpireTime: time.Now().Add(24 * time.Hour)})
	assert.Equal(t, codes.NotFound, status.Code(err))
}

func TestCreateBackupLostResponse(t *testing.T) {
	fake := newFake(t)
	fake.AddTable(srcTable)
	proxy, err := faultproxy.New(fake.URL())
	require.NoError(t, err)
	t.Cleanup(proxy.Close)
	proxy.Add(faultproxy.Rule{Match: faultproxy.Method(http.MethodPost), Faults: []faultproxy.Fault{{Kind: faultproxy.LoseResponse}}})
	c := newClient(t, proxy.URL())
	op, err := c.CreateBackup(context.Background(), &bigtable.CreateBackupRequest{
		Parent: "projects/p/instances/i/clusters/c1", BackupID: "lost", SourceTable: srcTable, ExpireTime: time.Now().Add(24 * time.Hour),
	})
	require.NoError(t, err)
	b, err := op.Wait(context.Background(), fastPoll)
	require.NoError(t, err)
	assert.Equal(t, srcTable, b.SourceTable)
}

// A failed operation's error comes back from Wait with its code and details.
func TestOperationFailure(t *testing.T) {
	polls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		polls++
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"name":"operations/x/operations/1","done":true,
		 "metadata":{"@type":"type.googleapis.com/google.bigtable.admin.v2.CopyBackupMetadata","name":"projects/p/instances/i/clusters/c/backups/b","progress":{"progressPercent":40}},
		 "error":{"code":9,"message":"source backup was deleted","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"SOURCE_GONE","domain":"bigtableadmin.googleapis.com"}]}}`)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	op := c.CopyBackupOperation("operations/x/operations/1")
	b, err := op.Wait(context.Background())
	assert.Nil(t, b)
	assert.Equal(t, codes.FailedPrecondition, status.Code(err))
	var ae *apierror.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "SOURCE_GONE", ae.Reason())
	var be *bigtable.Error
	require.ErrorAs(t, err, &be)
	assert.Equal(t, "CopyBackup", be.Operation)
	assert.True(t, op.Done())
	assert.Equal(t, 40, op.Metadata().Progress.Percent)
	// Done: no further round trip.
	_, err2 := op.Poll(context.Background())
	assert.Equal(t, err, err2)
	assert.Equal(t, 1, polls)
}

// If the service refuses the operations filter, the look-up lists without
// one and matches on its own.
func TestFindOperationFilterFallback(t *testing.T) {
	backupName := dstCl + "/backups/fb"
	expire := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Microsecond)
	var mu sync.Mutex
	var listQueries []string
	posts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost:
			posts++
			if posts == 1 {
				w.WriteHeader(503)
				fmt.Fprint(w, `{"error":{"code":503,"message":"x","status":"UNAVAILABLE"}}`)
				return
			}
			w.WriteHeader(409)
			fmt.Fprint(w, `{"error":{"code":409,"message":"exists","status":"ALREADY_EXISTS"}}`)
		case r.URL.Path == "/v2/"+backupName:
			fmt.Fprintf(w, `{"name":%q,"sourceBackup":%q,"expireTime":%q,"state":"CREATING"}`, backupName, srcName, expire.Format(time.RFC3339Nano))
		case r.URL.Path == "/v2/operations/projects/p/instances/i/operations":
			listQueries = append(listQueries, r.URL.RawQuery)
			if r.URL.Query().Get("filter") != "" {
				w.WriteHeader(400)
				fmt.Fprint(w, `{"error":{"code":400,"message":"filter not supported","status":"INVALID_ARGUMENT"}}`)
				return
			}
			if r.URL.Query().Get("pageToken") == "" {
				fmt.Fprint(w, `{"operations":[{"name":"operations/other/1","metadata":{"@type":"type.googleapis.com/google.bigtable.admin.v2.CopyBackupMetadata","name":"projects/p/instances/i/clusters/c2/backups/other"}}],"nextPageToken":"t2"}`)
				return
			}
			fmt.Fprintf(w, `{"operations":[{"name":"operations/%s/operations/7","metadata":{"@type":"type.googleapis.com/google.bigtable.admin.v2.CopyBackupMetadata","name":%q,"progress":{"progressPercent":55}}}]}`, backupName, backupName)
		default:
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":{"code":404,"message":"?","status":"NOT_FOUND"}}`)
		}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	req := copyReq("fb")
	req.ExpireTime = expire
	op, err := c.CopyBackup(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, "operations/"+backupName+"/operations/7", op.Name())
	assert.Equal(t, 55, op.Progress().Percent)
	require.Len(t, listQueries, 3)
	assert.Contains(t, listQueries[0], "filter=")
	assert.Contains(t, listQueries[0], "CopyBackupMetadata")
	assert.NotContains(t, listQueries[1], "filter=")
	assert.Contains(t, listQueries[2], "pageToken=t2")
}

func TestLoggerHasNoSecrets(t *testing.T) {
	fake := newFake(t)
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, fake.URL(), bigtable.WithLogger(logger))
	_, err := c.GetBackup(context.Background(), srcName)
	require.NoError(t, err)
	_, err = c.GetBackup(context.Background(), dstCl+"/backups/none")
	require.Error(t, err)
	assert.Contains(t, buf.String(), "GetBackup")
	assert.NotContains(t, buf.String(), token)
	assert.NotContains(t, fmt.Sprintf("%v %+v", c, err), token)
}

func TestClientOptions(t *testing.T) {
	ctx := context.Background()
	_, err := bigtable.NewClient(ctx, bigtable.WithEndpoint("http://bigtableadmin.example.com"), bigtable.WithoutAuthentication())
	assert.ErrorContains(t, err, "loopback")
	_, err = bigtable.NewClient(ctx, bigtable.WithUserAgent("x\r\nEvil: 1"), bigtable.WithoutAuthentication())
	assert.ErrorContains(t, err, "header injection")
	_, err = bigtable.NewClient(ctx, bigtable.WithTokenSource(nil))
	assert.Error(t, err)

	fake := newFake(t)
	var hits int
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		hits++
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := newClient(t, fake.URL()+"/", bigtable.WithHTTPClient(hc), bigtable.WithUserAgent("mytool/1.0"))
	_, err = c.GetBackup(ctx, srcName)
	require.NoError(t, err)
	assert.Equal(t, 1, hits)
	reqs := fake.Requests()
	assert.Contains(t, reqs[len(reqs)-1].Header.Get("User-Agent"), "mytool/1.0")
	assert.Equal(t, "Bearer "+token, reqs[len(reqs)-1].Header.Get("Authorization"), "the caller's client still gets our auth")

	require.NoError(t, c.Close())
	_, err = c.GetBackup(ctx, srcName)
	assert.ErrorIs(t, err, bigtable.ErrClosed)
	_, err = c.CopyBackup(ctx, copyReq("after-close"))
	assert.ErrorIs(t, err, bigtable.ErrClosed)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestConcurrentCopies(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, fake.URL())
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			op, err := c.CopyBackup(ctx, copyReq(fmt.Sprintf("par-%d", i)))
			if err != nil {
				errs <- err
				return
			}
			if _, err := op.Wait(ctx, fastPoll); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestWaitHonoursContext(t *testing.T) {
	fake := newFake(t)
	fake.SetOperationDuration(time.Hour)
	c := newClient(t, fake.URL())
	op, err := c.CopyBackup(context.Background(), copyReq("slow"))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = op.Wait(ctx, fastPoll)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, op.Done())
}

func TestBackupJSON(t *testing.T) {
	raw := `{"name":"projects/p/instances/i/clusters/c/backups/b","sourceTable":"projects/p/instances/i/tables/t",
	 "sourceBackup":"projects/p/instances/i/clusters/c0/backups/a","expireTime":"2026-12-01T10:00:00.123456789+01:00",
	 "startTime":"2026-11-22T10:00:00Z","endTime":"2026-11-22T10:05:00.5Z","sizeBytes":"123456789012","state":"READY",
	 "encryptionInfo":{"encryptionType":"CUSTOMER_MANAGED_ENCRYPTION","kmsKeyVersion":"projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1","encryptionStatus":{"code":2,"message":"unknown"}},
	 "backupType":"HOT","hotToStandardTime":"2026-11-24T00:00:00Z","someFutureField":{"x":1}}`
	var b bigtable.Backup
	require.NoError(t, json.Unmarshal([]byte(raw), &b))
	assert.Equal(t, time.Date(2026, 12, 1, 9, 0, 0, 123456789, time.UTC), b.ExpireTime, "UTC, every digit kept")
	assert.Equal(t, int64(123456789012), b.SizeBytes)
	assert.Equal(t, bigtable.BackupReady, b.State)
	assert.Equal(t, bigtable.BackupTypeHot, b.BackupType)
	assert.Equal(t, bigtable.CustomerManagedEncryption, b.EncryptionInfo.Type)
	assert.Equal(t, bigtable.Status{Code: codes.Unknown, Message: "unknown"}, b.EncryptionInfo.Status)
	assert.Equal(t, codes.Unknown, status.Code(b.EncryptionInfo.Status.Err()))
	assert.NoError(t, bigtable.Status{}.Err(), "the zero Status is OK")
	out, err := json.Marshal(b)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"projects/p/instances/i/clusters/c/backups/b","sourceTable":"projects/p/instances/i/tables/t",
	 "sourceBackup":"projects/p/instances/i/clusters/c0/backups/a","expireTime":"2026-12-01T09:00:00.123456789Z",
	 "startTime":"2026-11-22T10:00:00Z","endTime":"2026-11-22T10:05:00.500Z","sizeBytes":"123456789012","state":"READY",
	 "encryptionInfo":{"encryptionType":"CUSTOMER_MANAGED_ENCRYPTION","kmsKeyVersion":"projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1","encryptionStatus":{"code":2,"message":"unknown"}},
	 "backupType":"HOT","hotToStandardTime":"2026-11-24T00:00:00Z"}`, string(out), "written as Google writes timestamps: 0, 3, 6 or 9 digits")
	var back bigtable.Backup
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, b, back)

	empty, err := json.Marshal(bigtable.Backup{})
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(empty))
	assert.Error(t, json.Unmarshal([]byte(`{"sizeBytes":"12x"}`), &b))
	assert.Error(t, json.Unmarshal([]byte(`{"expireTime":"tomorrow"}`), &b))

	var m bigtable.CopyBackupMetadata
	require.NoError(t, json.Unmarshal([]byte(`{"@type":"type.googleapis.com/google.bigtable.admin.v2.CopyBackupMetadata","name":"n",
	 "sourceBackupInfo":{"backup":"s","sourceTable":"t","startTime":"2026-11-22T10:00:00Z"},"progress":{"progressPercent":42,"startTime":"2026-11-22T11:00:00Z"}}`), &m))
	assert.Equal(t, 42, m.Progress.Percent)
	assert.Equal(t, "s", m.SourceBackupInfo.Backup)
	var cm bigtable.CreateBackupMetadata
	require.NoError(t, json.Unmarshal([]byte(`{"name":"n","sourceTable":"t","startTime":"2026-11-22T10:00:00Z","endTime":"2026-11-22T10:01:00Z"}`), &cm))
	assert.Equal(t, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), cm.RequestTime, "deprecated startTime fills RequestTime")
	assert.Equal(t, time.Date(2026, 11, 22, 10, 1, 0, 0, time.UTC), cm.FinishTime)
}

// Backup ids may contain "..", which must not trip the path checks anywhere.
func TestBackupIDWithDots(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, fake.URL())
	ctx := context.Background()
	op, err := c.CopyBackup(ctx, copyReq("v1..2"))
	require.NoError(t, err)
	resumed := c.CopyBackupOperation(op.Name())
	b, err := resumed.Wait(ctx, fastPoll)
	require.NoError(t, err)
	assert.Equal(t, dstCl+"/backups/v1..2", b.Name)
	got, err := c.GetBackup(ctx, b.Name)
	require.NoError(t, err)
	assert.Equal(t, b.Name, got.Name)
	require.NoError(t, c.DeleteBackup(ctx, b.Name))
	assert.Equal(t, 1, fake.CountRequests("DeleteBackup"))
}

// If the existing backup cannot be read after an ambiguous ALREADY_EXISTS,
// the ALREADY_EXISTS error is returned, saying why it was not resolved.
func TestCopyBackupRecoveryLookupFails(t *testing.T) {
	var mu sync.Mutex
	posts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			posts++
			if posts == 1 {
				w.WriteHeader(502)
				fmt.Fprint(w, `<html>bad gateway</html>`)
				return
			}
			w.WriteHeader(409)
			fmt.Fprint(w, `{"error":{"code":409,"message":"exists","status":"ALREADY_EXISTS"}}`)
			return
		}
		w.WriteHeader(403)
		fmt.Fprint(w, `{"error":{"code":403,"message":"no bigtable.backups.get","status":"PERMISSION_DENIED"}}`)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	op, err := c.CopyBackup(context.Background(), copyReq("x"))
	assert.Nil(t, op)
	assert.Equal(t, codes.AlreadyExists, status.Code(err))
	assert.Contains(t, err.Error(), "looking up the backup or its operation failed")
	assert.Equal(t, backupcopy.OutcomeUnknown, backupcopy.KindOf(err), "the copy may exist: check first")
	assert.Contains(t, err.Error(), "PermissionDenied")
	var ae *apierror.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 409, ae.HTTPCode())
	assert.Equal(t, 2, posts)
}

// Every API error names the call it answers, in its Operation and its text.
func TestAPIErrorsNameTheCall(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.URL())
	ctx := context.Background()
	missing := "projects/p/instances/i/clusters/c1/backups/missing"
	_, getErr := c.GetBackup(ctx, missing)
	var listErr error
	for _, err := range c.ListBackups(ctx, "projects/p/instances/i/clusters/nowhere") {
		listErr = err
	}
	_, copyErr := c.CopyBackup(ctx, &bigtable.CopyBackupRequest{Parent: dstCl, BackupID: "b", SourceBackup: missing, ExpireTime: time.Now().Add(48 * time.Hour)})
	for op, err := range map[string]error{"GetBackup": getErr, "ListBackups": listErr, "DeleteBackup": c.DeleteBackup(ctx, missing), "CopyBackup": copyErr} {
		var be *bigtable.Error
		require.ErrorAs(t, err, &be, op)
		assert.Equal(t, op, be.Operation)
		assert.True(t, strings.HasPrefix(err.Error(), "bigtable: "+op+": "), "%s: %v", op, err)
	}
}
