package spanner_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

const (
	inst  = "projects/my-proj/instances/prod"
	inst2 = "projects/my-proj/instances/dr"
	db    = inst + "/databases/orders"
)

// env is a fake server and a client sharing one fake clock, so operations
// run in no wall time.
type env struct {
	srv *spannertest.Server
	clk *clock.Fake
	c   *spanner.Client
}

func newEnv(t *testing.T, opts ...spannertest.Option) *env {
	t.Helper()
	srv := spannertest.NewServer(opts...)
	t.Cleanup(srv.Close)
	clk := clock.NewFake(t0)
	srv.SetClock(clk.Now)
	srv.AddDatabase(db)
	srv.AddInstance(inst2)
	c, err := spanner.NewClient(context.Background(),
		spanner.WithEndpoint(srv.URL()),
		spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "test-token"})),
		spanner.WithClock(clk))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &env{srv: srv, clk: clk, c: c}
}

func (e *env) create(t *testing.T, id string) *spanner.CreateBackupOperation {
	t.Helper()
	op, err := e.c.CreateBackup(context.Background(), &spanner.CreateBackupRequest{
		Parent: inst, BackupID: id, Database: db, ExpireTime: e.clk.Now().Add(48 * time.Hour),
	})
	require.NoError(t, err)
	return op
}

func TestFakeCreateWaitWithProgress(t *testing.T) {
	e := newEnv(t)
	op := e.create(t, "nightly")
	assert.Equal(t, inst+"/backups/nightly", op.Metadata().Name)
	assert.Regexp(t, `^projects/my-proj/instances/prod/backups/nightly/operations/[^/]+$`, op.Name())
	assert.False(t, op.Done())
	var seen []int
	b, err := op.Wait(context.Background(), lro.WithPollInterval(300*time.Millisecond, 300*time.Millisecond),
		lro.WithProgress(func(p lro.Progress) { seen = append(seen, p.Percent) }))
	require.NoError(t, err)
	assert.Equal(t, spanner.BackupReady, b.State)
	assert.Equal(t, db, b.Database)
	assert.Greater(t, b.SizeBytes, int64(0))
	require.GreaterOrEqual(t, len(seen), 3)
	assert.Equal(t, 100, seen[len(seen)-1])
	assert.Less(t, seen[0], 100)
	assert.True(t, op.Done())
	assert.Equal(t, 100, op.Metadata().Progress.Percent)
}

func TestFakeCopyAndResume(t *testing.T) {
	e := newEnv(t)
	src := inst + "/backups/src"
	e.srv.AddBackup(spanner.Backup{Name: src, Database: db, CreateTime: t0.Add(-time.Hour), SizeBytes: 4096})
	ctx := context.Background()
	op, err := e.c.CopyBackup(ctx, &spanner.CopyBackupRequest{
		Parent: inst2, BackupID: "src-copy", SourceBackup: src, ExpireTime: t0.Add(30 * 24 * time.Hour),
	})
	require.NoError(t, err)
	assert.Equal(t, src, op.Metadata().SourceBackup)
	sb, ok := e.srv.Backup(src)
	require.True(t, ok)
	assert.Equal(t, []string{inst2 + "/backups/src-copy"}, sb.ReferencingBackups, "the source is referenced while copying")

	// Resume by name in a "new process": a second client on the same fake.
	c2, err := spanner.NewClient(ctx, spanner.WithEndpoint(e.srv.URL()),
		spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"})), spanner.WithClock(e.clk))
	require.NoError(t, err)
	resumed := c2.CopyBackupOperation(op.Name())
	assert.Nil(t, resumed.Metadata(), "state unknown until polled")
	b, err := resumed.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, inst2+"/backups/src-copy", b.Name)
	assert.Equal(t, src, b.SourceBackup)
	assert.Equal(t, int64(4096), b.SizeBytes)
	assert.Equal(t, spanner.BackupReady, b.State)
	assert.True(t, b.ExpireTime.Equal(t0.Add(30*24*time.Hour)))
	sb, _ = e.srv.Backup(src)
	assert.Empty(t, sb.ReferencingBackups, "the reference is dropped when the copy ends")

	// The first handle learns the same outcome.
	b1, err := op.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, b.Name, b1.Name)
}

func TestFakeRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.srv.AddBackup(spanner.Backup{Name: inst + "/backups/creating", Database: db, State: spanner.BackupCreating})
	e.create(t, "first")

	// One pending creation per database.
	_, err := e.c.CreateBackup(ctx, &spanner.CreateBackupRequest{Parent: inst, BackupID: "second", Database: db, ExpireTime: t0.Add(7 * time.Hour)})
	assert.Equal(t, codes.FailedPrecondition, status.Code(err), "%v", err)

	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"create taken id", func() error {
			_, err := e.c.CreateBackup(ctx, &spanner.CreateBackupRequest{Parent: inst, BackupID: "creating", Database: db, ExpireTime: t0.Add(7 * time.Hour)})
			return err
		}, codes.AlreadyExists},
		{"create unknown database", func() error {
			_, err := e.c.CreateBackup(ctx, &spanner.CreateBackupRequest{Parent: inst, BackupID: "x1", Database: inst + "/databases/nope", ExpireTime: t0.Add(7 * time.Hour)})
			return err
		}, codes.NotFound},
		{"create version time outside retention", func() error {
			_, err := e.c.CreateBackup(ctx, &spanner.CreateBackupRequest{Parent: inst, BackupID: "x2", Database: db, ExpireTime: t0.Add(7 * time.Hour), VersionTime: t0.Add(-2 * time.Hour)})
			return err
		}, codes.FailedPrecondition},
		{"create unknown instance", func() error {
			_, err := e.c.CreateBackup(ctx, &spanner.CreateBackupRequest{Parent: "projects/my-proj/instances/nope", BackupID: "x3", Database: "projects/my-proj/instances/nope/databases/d", ExpireTime: t0.Add(7 * time.Hour)})
			return err
		}, codes.NotFound},
		{"copy source not ready", func() error {
			_, err := e.c.CopyBackup(ctx, &spanner.CopyBackupRequest{Parent: inst2, BackupID: "c1", SourceBackup: inst + "/backups/creating", ExpireTime: t0.Add(7 * time.Hour)})
			return err
		}, codes.FailedPrecondition},
		{"copy source missing", func() error {
			_, err := e.c.CopyBackup(ctx, &spanner.CopyBackupRequest{Parent: inst2, BackupID: "c2", SourceBackup: inst + "/backups/missing", ExpireTime: t0.Add(7 * time.Hour)})
			return err
		}, codes.NotFound},
		{"copy expire too soon after source create", func() error {
			_, err := e.c.CopyBackup(ctx, &spanner.CopyBackupRequest{Parent: inst2, BackupID: "c3", SourceBackup: inst + "/backups/first", ExpireTime: t0.Add(time.Hour)})
			return err
		}, codes.FailedPrecondition}, // source "first" is still CREATING
		{"get missing", func() error { _, err := e.c.GetBackup(ctx, inst+"/backups/missing"); return err }, codes.NotFound},
		{"delete missing", func() error { return e.c.DeleteBackup(ctx, inst+"/backups/missing") }, codes.NotFound},
		{"delete creating", func() error { return e.c.DeleteBackup(ctx, inst+"/backups/creating") }, codes.FailedPrecondition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			require.Error(t, err)
			assert.Equal(t, tt.want, status.Code(err), "%v", err)
			var se *spanner.Error
			require.True(t, errors.As(err, &se))
			assert.NotZero(t, se.HTTPStatus)
			assert.NotEmpty(t, se.Message)
		})
	}
}

func TestFakeCopyExpireWindow(t *testing.T) {
	e := newEnv(t)
	src := inst + "/backups/old"
	e.srv.AddBackup(spanner.Backup{Name: src, Database: db, CreateTime: t0.Add(-300 * 24 * time.Hour)})
	// 366 days after the source's create time is 66 days from now: 100 days is too late.
	_, err := e.c.CopyBackup(context.Background(), &spanner.CopyBackupRequest{Parent: inst2, BackupID: "late", SourceBackup: src, ExpireTime: t0.Add(100 * 24 * time.Hour)})
	assert.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
}

func TestFakeCancel(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	op := e.create(t, "doomed")
	require.NoError(t, op.Cancel(ctx))
	_, err := op.Wait(ctx)
	require.Error(t, err)
	assert.Equal(t, codes.Canceled, status.Code(err))
	var se *spanner.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "CreateBackup", se.Operation)
	assert.False(t, op.Metadata().CancelTime.IsZero())
	_, ok := e.srv.Backup(inst + "/backups/doomed")
	assert.False(t, ok, "cancelling deletes the backup")
	// Cancelling a finished operation is refused.
	assert.Equal(t, codes.FailedPrecondition, status.Code(op.Cancel(ctx)))
	// The database is free again.
	e.create(t, "next")
}

func TestFakeListAndDelete(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, id := range []string{"a1", "b2", "c3"} {
		e.srv.AddBackup(spanner.Backup{Name: inst + "/backups/" + id, Database: db})
	}
	e.srv.AddBackup(spanner.Backup{Name: inst2 + "/backups/other", Database: db})
	var names []string
	for b, err := range e.c.ListBackups(ctx, inst) {
		require.NoError(t, err)
		names = append(names, b.Name)
	}
	assert.Equal(t, []string{inst + "/backups/a1", inst + "/backups/b2", inst + "/backups/c3"}, names)

	require.NoError(t, e.c.DeleteBackup(ctx, inst+"/backups/b2"))
	_, err := e.c.GetBackup(ctx, inst+"/backups/b2")
	assert.Equal(t, codes.NotFound, status.Code(err))

	// Breaking out of the loop stops the iteration.
	n := 0
	for range e.c.ListBackups(ctx, inst) {
		n++
		break
	}
	assert.Equal(t, 1, n)
}

func TestFakeListManyPages(t *testing.T) {
	e := newEnv(t)
	for i := range 2500 { // pages of spannertest.MaxPageSize
		e.srv.AddBackup(spanner.Backup{Name: fmt.Sprintf("%s/backups/b%04d", inst2, i), Database: db})
	}
	n := 0
	for _, err := range e.c.ListBackups(context.Background(), inst2) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 2500, n)
	assert.Equal(t, 3, e.srv.CountRequests("ListBackups"))
}

func TestFakeAuthentication(t *testing.T) {
	srv := spannertest.NewServer(spannertest.WithToken("right"))
	defer srv.Close()
	srv.AddBackup(spanner.Backup{Name: inst + "/backups/b1", Database: db})
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		opt  spanner.Option
		want codes.Code
	}{
		{"none", spanner.WithoutAuthentication(), codes.Unauthenticated},
		{"wrong", spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "wrong"})), codes.Unauthenticated},
		{"right", spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "right"})), codes.OK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := spanner.NewClient(ctx, spanner.WithEndpoint(srv.URL()), tt.opt)
			require.NoError(t, err)
			_, err = c.GetBackup(ctx, inst+"/backups/b1")
			assert.Equal(t, tt.want, status.Code(err), "%v", err)
			if err != nil {
				assert.NotContains(t, err.Error(), "wrong")
			}
		})
	}
	open := spannertest.NewServer(spannertest.WithoutAuthentication())
	defer open.Close()
	open.AddBackup(spanner.Backup{Name: inst + "/backups/b1", Database: db})
	c, err := spanner.NewClient(ctx, spanner.WithEndpoint(open.URL()), spanner.WithoutAuthentication())
	require.NoError(t, err)
	_, err = c.GetBackup(ctx, inst+"/backups/b1")
	assert.NoError(t, err)
}

// A lost response to CreateBackup: the fake makes the backup and then
// answers 503; the retry meets ALREADY_EXISTS and the client returns the
// operation the first attempt started.
func TestFakeCreateLostResponseRecovers(t *testing.T) {
	for _, f := range []spannertest.Fault{
		{Operation: "CreateBackup", Kind: spannertest.ServerError, AfterProcessing: true},
		{Operation: "CreateBackup", Kind: spannertest.LoseResponse},
	} {
		t.Run(string(f.Kind), func(t *testing.T) {
			e := newEnv(t)
			require.NoError(t, e.srv.InjectFault(f))
			op := e.create(t, "lost")
			assert.Equal(t, 1, e.srv.CountRequests("ListBackupOperations"))
			assert.Equal(t, 2, e.srv.CountRequests("CreateBackup"))
			assert.Contains(t, op.Name(), inst+"/backups/lost/operations/")
			b, err := op.Wait(context.Background())
			require.NoError(t, err)
			assert.Equal(t, inst+"/backups/lost", b.Name)
		})
	}
}

func TestFakeCopyLostResponseRecovers(t *testing.T) {
	e := newEnv(t)
	src := inst + "/backups/src"
	e.srv.AddBackup(spanner.Backup{Name: src, Database: db})
	require.NoError(t, e.srv.InjectFault(spannertest.Fault{Operation: "CopyBackup", Kind: spannertest.ServerError, AfterProcessing: true}))
	op, err := e.c.CopyBackup(context.Background(), &spanner.CopyBackupRequest{Parent: inst2, BackupID: "cp", SourceBackup: src, ExpireTime: t0.Add(10 * time.Hour)})
	require.NoError(t, err)
	assert.Contains(t, op.Name(), inst2+"/backups/cp/operations/")
	b, err := op.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, src, b.SourceBackup)
}

// A genuine conflict (someone else's backup with the id) stays an error even
// after an ambiguous first attempt.
func TestFakeLostResponseTrueConflict(t *testing.T) {
	e := newEnv(t)
	e.srv.AddBackup(spanner.Backup{Name: inst + "/backups/taken", Database: db, ExpireTime: t0.Add(99 * time.Hour)})
	require.NoError(t, e.srv.InjectFault(spannertest.Fault{Operation: "CreateBackup", Kind: spannertest.ServerError})) // 503 before processing
	_, err := e.c.CreateBackup(context.Background(), &spanner.CreateBackupRequest{Parent: inst, BackupID: "taken", Database: db, ExpireTime: t0.Add(48 * time.Hour)})
	assert.Equal(t, codes.AlreadyExists, status.Code(err), "%v", err)
	assert.Equal(t, 1, e.srv.CountRequests("GetBackup"), "the existing backup is read")
	assert.Equal(t, 0, e.srv.CountRequests("ListBackupOperations"), "another expire time rules it out without a look-up")
}

// The operation has been purged but the READY backup carries exactly the
// requested expire time: a finished handle on the backup is returned.
func TestFakeLostResponseOperationGone(t *testing.T) {
	e := newEnv(t)
	expire := t0.Add(48 * time.Hour)
	e.srv.AddBackup(spanner.Backup{Name: inst + "/backups/made", Database: db, ExpireTime: expire})
	require.NoError(t, e.srv.InjectFault(spannertest.Fault{Operation: "CreateBackup", Kind: spannertest.ServerError}))
	op, err := e.c.CreateBackup(context.Background(), &spanner.CreateBackupRequest{Parent: inst, BackupID: "made", Database: db, ExpireTime: expire})
	require.NoError(t, err)
	assert.True(t, op.Done())
	assert.Equal(t, inst+"/backups/made", op.Name())
	b, err := op.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, spanner.BackupReady, b.State)
	// The backup-name token resumes too.
	b2, err := e.c.CreateBackupOperation(op.Name()).Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, b.Name, b2.Name)
	assert.Error(t, op.Cancel(context.Background()), "a handle on a backup has no operation to cancel")
}

func TestFakeTransientPollErrorsAreRetried(t *testing.T) {
	e := newEnv(t)
	op := e.create(t, "flaky")
	require.NoError(t, e.srv.InjectFault(spannertest.Fault{Operation: "GetOperation", Kind: spannertest.ServerError, Times: 5}))
	b, err := op.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, spanner.BackupReady, b.State)
}

func TestFakeResumeWrongKind(t *testing.T) {
	e := newEnv(t)
	op := e.create(t, "kind")
	_, err := e.c.CopyBackupOperation(op.Name()).Poll(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a CopyBackup operation")
}

// Every API error names the call it answers, in its Operation and its text.
func TestAPIErrorsNameTheCall(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	missing := inst + "/backups/missing"
	_, getErr := e.c.GetBackup(ctx, missing)
	var listErr error
	for _, err := range e.c.ListBackups(ctx, "projects/my-proj/instances/nowhere") {
		listErr = err
	}
	_, copyErr := e.c.CopyBackup(ctx, &spanner.CopyBackupRequest{Parent: inst2, BackupID: "b-copy", SourceBackup: missing, ExpireTime: e.clk.Now().Add(48 * time.Hour)})
	_, createErr := e.c.CreateBackup(ctx, &spanner.CreateBackupRequest{Parent: inst, BackupID: "b-new", Database: inst + "/databases/missing", ExpireTime: e.clk.Now().Add(48 * time.Hour)})
	for op, err := range map[string]error{"GetBackup": getErr, "ListBackups": listErr, "DeleteBackup": e.c.DeleteBackup(ctx, missing),
		"CopyBackup": copyErr, "CreateBackup": createErr} {
		var se *spanner.Error
		require.ErrorAs(t, err, &se, op)
		assert.Equal(t, op, se.Operation)
		assert.True(t, strings.HasPrefix(err.Error(), "spanner: "+op+": "), "%s: %v", op, err)
	}
}
