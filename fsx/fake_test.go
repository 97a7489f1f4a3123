package fsx_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/internal/faultproxy"
	"github.com/backupcopy/backupcopy/lro"
)

var fastPoll = lro.WithPollInterval(20*time.Millisecond, 50*time.Millisecond)

func newFake(t *testing.T) *fsxtest.Server {
	t.Helper()
	s := fsxtest.NewServer()
	t.Cleanup(s.Close)
	s.SetOperationDuration(300 * time.Millisecond)
	return s
}

func newClient(t *testing.T, endpoint string, opts ...fsx.Option) *fsx.Client {
	t.Helper()
	base := []fsx.Option{
		fsx.WithEndpoint(endpoint), fsx.WithRegion(fsxtest.Region),
		fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")),
	}
	c, err := fsx.NewClient(context.Background(), append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// noKeepAlive gives each attempt a fresh connection, so a connection the
// proxy dropped is never reused.
func noKeepAlive() fsx.Option {
	return fsx.WithHTTPClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}})
}

func TestCopyAndWaitOnFake(t *testing.T) {
	s := newFake(t)
	src := s.AddBackup(fsx.Backup{SizeInBytes: 1 << 30, Tags: []fsx.Tag{{Key: "team", Value: "storage"}, {Key: "env", Value: "dev"}}})
	c := newClient(t, s.URL())
	ctx := context.Background()
	op, err := c.CopyBackup(ctx, &fsx.CopyBackupRequest{
		SourceBackupID: src.BackupID, CopyTags: true, Tags: []fsx.Tag{{Key: "env", Value: "dr"}},
	})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(op.Name(), "backup-"))
	var pcts []int
	b, err := op.Wait(ctx, fastPoll, lro.WithProgress(func(p lro.Progress) { pcts = append(pcts, p.Percent) }))
	require.NoError(t, err)
	assert.Equal(t, fsx.LifecycleAvailable, b.Lifecycle)
	assert.Equal(t, op.Name(), b.BackupID)
	assert.Equal(t, src.BackupID, b.SourceBackupID)
	assert.Equal(t, fsxtest.Region, b.SourceBackupRegion)
	assert.Equal(t, int64(1<<30), b.SizeInBytes)
	assert.Equal(t, []fsx.Tag{{Key: "team", Value: "storage"}, {Key: "env", Value: "dr"}}, b.Tags, "request tags win")
	require.NotEmpty(t, pcts)
	assert.Equal(t, 100, pcts[len(pcts)-1])
	for i := 1; i < len(pcts); i++ {
		assert.GreaterOrEqual(t, pcts[i], pcts[i-1], "progress never goes back")
	}
	assert.Greater(t, len(pcts), 2, "progress was reported while copying: %v", pcts)
	assert.Equal(t, 1, s.CountRequests("CopyBackup"))
	assert.Len(t, s.Copies(src.BackupID), 1)

	// Resume by name in another client.
	c2 := newClient(t, s.URL())
	b2, err := c2.CopyBackupOperation(op.Name()).Wait(ctx, fastPoll)
	require.NoError(t, err)
	assert.Equal(t, b.BackupID, b2.BackupID)
}

// TestLostResponseExactlyOnce: the first CopyBackup reaches the fake but its
// answer is lost; the retry carries the same ClientRequestToken, so the fake
// returns the same copy and exactly one exists.
func TestLostResponseExactlyOnce(t *testing.T) {
	s := newFake(t)
	src := s.AddBackup(fsx.Backup{})
	p, err := faultproxy.New(s.URL())
	require.NoError(t, err)
	defer p.Close()
	var mu sync.Mutex
	var tokens []string
	p.Add(faultproxy.Rule{
		Match: func(r *http.Request, body []byte) bool {
			if r.Header.Get("X-Amz-Target") != fsx.TargetPrefix+"CopyBackup" {
				return false
			}
			var in struct{ ClientRequestToken string }
			json.Unmarshal(body, &in)
			mu.Lock()
			tokens = append(tokens, in.ClientRequestToken)
			mu.Unlock()
			return true
		},
		Faults: []faultproxy.Fault{{Kind: faultproxy.LoseResponse}},
	})
	c := newClient(t, p.URL(), noKeepAlive())
	op, err := c.CopyBackup(context.Background(), &fsx.CopyBackupRequest{SourceBackupID: src.BackupID})
	require.NoError(t, err)
	assert.Equal(t, 1, p.Count(faultproxy.LoseResponse))
	assert.Equal(t, 2, s.CountRequests("CopyBackup"), "the fake saw both attempts")
	copies := s.Copies(src.BackupID)
	require.Len(t, copies, 1, "exactly one copy")
	assert.Equal(t, copies[0].BackupID, op.Name())
	require.Len(t, tokens, 1, "the proxy saw the first attempt")
	for _, e := range s.Requests() {
		var in struct{ ClientRequestToken string }
		require.NoError(t, json.Unmarshal(e.Body, &in))
		assert.Equal(t, tokens[0], in.ClientRequestToken, "every attempt carries the same token")
	}
	assert.NotEmpty(t, tokens[0])
}

// TestServerErrorsAndThrottlingRetried: 503 and a throttling answer in
// front of the fake are retried with the same token; one copy results.
func TestServerErrorsAndThrottlingRetried(t *testing.T) {
	s := newFake(t)
	src := s.AddBackup(fsx.Backup{})
	p, err := faultproxy.New(s.URL())
	require.NoError(t, err)
	defer p.Close()
	var mu sync.Mutex
	var bodies []string
	p.Add(faultproxy.Rule{
		Match: func(r *http.Request, body []byte) bool {
			mu.Lock()
			bodies = append(bodies, string(body))
			mu.Unlock()
			return true
		},
		Faults: []faultproxy.Fault{
			{Kind: faultproxy.Status, Status: 503, Body: `{"__type":"ServiceUnavailable","message":"busy"}`},
			{Kind: faultproxy.Status, Status: 400, Header: http.Header{"X-Amzn-Errortype": {"ThrottlingException:http://internal.amazon.com/"}}, Body: `{"message":"Rate exceeded"}`},
		},
	})
	c := newClient(t, p.URL())
	op, err := c.CopyBackup(context.Background(), &fsx.CopyBackupRequest{SourceBackupID: src.BackupID, ClientRequestToken: "fixed-token-1"})
	require.NoError(t, err)
	require.Len(t, bodies, 2, "two attempts answered by the proxy")
	reqs := s.Requests()
	require.Len(t, reqs, 1, "the third reached the fake")
	assert.Equal(t, bodies[0], bodies[1])
	assert.Equal(t, bodies[0], string(reqs[0].Body))
	assert.Contains(t, bodies[0], `"ClientRequestToken":"fixed-token-1"`)
	assert.Equal(t, 1, s.CountRequests("CopyBackup"))
	assert.Len(t, s.Copies(src.BackupID), 1)

	// Replaying the token by hand returns the same copy; changing the
	// parameters is refused.
	op2, err := c.CopyBackup(context.Background(), &fsx.CopyBackupRequest{SourceBackupID: src.BackupID, ClientRequestToken: "fixed-token-1"})
	require.NoError(t, err)
	assert.Equal(t, op.Name(), op2.Name())
	_, err = c.CopyBackup(context.Background(), &fsx.CopyBackupRequest{SourceBackupID: src.BackupID, ClientRequestToken: "fixed-token-1", CopyTags: true})
	var ip *fsx.IncompatibleParameterError
	require.ErrorAs(t, err, &ip)
	assert.Equal(t, "ClientRequestToken", ip.Parameter)
	assert.Len(t, s.Copies(src.BackupID), 1)
}

// TestServiceLimitNotRetried: the sixth copy in progress is refused with
// ServiceLimitExceeded (TOTAL_IN_PROGRESS_COPY_BACKUPS), after one attempt.
func TestServiceLimitNotRetried(t *testing.T) {
	s := newFake(t)
	s.SetOperationDuration(time.Hour)
	src := s.AddBackup(fsx.Backup{})
	c := newClient(t, s.URL())
	for i := 0; i < fsxtest.MaxInProgressCopies; i++ {
		_, err := c.CopyBackup(context.Background(), &fsx.CopyBackupRequest{SourceBackupID: src.BackupID})
		require.NoError(t, err)
	}
	_, err := c.CopyBackup(context.Background(), &fsx.CopyBackupRequest{SourceBackupID: src.BackupID})
	var sl *fsx.ServiceLimitExceeded
	require.ErrorAs(t, err, &sl)
	assert.Equal(t, fsx.LimitTotalInProgressCopyBackups, sl.Limit)
	assert.Equal(t, http.StatusBadRequest, sl.StatusCode)
	assert.NotEmpty(t, sl.RequestID)
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "ServiceLimitExceeded", ae.ErrorCode())
	assert.Equal(t, fsxtest.MaxInProgressCopies+1, s.CountRequests("CopyBackup"), "not retried")
	assert.Len(t, s.Copies(src.BackupID), fsxtest.MaxInProgressCopies)
}

// TestClockSkewOnFake: the fake's clock is 20 minutes ahead; the first
// attempt is refused (InvalidSignatureException, Signature expired), the
// second, dated by the server's clock, succeeds.
func TestClockSkewOnFake(t *testing.T) {
	s := newFake(t)
	s.SetClockSkew(20 * time.Minute)
	src := s.AddBackup(fsx.Backup{})
	c := newClient(t, s.URL())
	_, err := c.CopyBackup(context.Background(), &fsx.CopyBackupRequest{SourceBackupID: src.BackupID})
	require.NoError(t, err)
	assert.Equal(t, 2, s.CountRequests("CopyBackup"))
	assert.Len(t, s.Copies(src.BackupID), 1)
	n := 0
	for _, err := range c.DescribeBackups(context.Background(), nil) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 2, n)
	assert.Equal(t, 1, s.CountRequests("DescribeBackups"), "the skew was learnt")
}

func TestAuthFailuresOnFake(t *testing.T) {
	s := newFake(t)
	src := s.AddBackup(fsx.Backup{})
	for _, tc := range []struct {
		name, akid, secret, region, code string
	}{
		{"wrong secret", fsxtest.AccessKeyID, "wrong", fsxtest.Region, "InvalidSignatureException"},
		{"unknown key", "AKIAUNKNOWN000000000", fsxtest.SecretAccessKey, fsxtest.Region, "UnrecognizedClientException"},
		{"wrong region", fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "eu-west-3", "InvalidSignatureException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.CountRequests("CopyBackup")
			c, err := fsx.NewClient(context.Background(), fsx.WithEndpoint(s.URL()), fsx.WithRegion(tc.region),
				fsx.WithCredentials(auth.StaticAWSCredentials(tc.akid, tc.secret, "")))
			require.NoError(t, err)
			_, err = c.CopyBackup(context.Background(), &fsx.CopyBackupRequest{SourceBackupID: src.BackupID})
			var ge *fsx.GenericAPIError
			require.ErrorAs(t, err, &ge)
			assert.Equal(t, tc.code, ge.ErrorCode())
			assert.Equal(t, http.StatusForbidden, ge.StatusCode)
			assert.NotContains(t, err.Error(), fsxtest.SecretAccessKey)
			assert.Equal(t, before+1, s.CountRequests("CopyBackup"), "not retried")
		})
	}
}

func TestFakeRules(t *testing.T) {
	s := newFake(t)
	c := newClient(t, s.URL())
	ctx := context.Background()

	_, err := c.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: "backup-0000000000000000"})
	var nf *fsx.BackupNotFound
	require.ErrorAs(t, err, &nf)
	var oe *smithy.OperationError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "CopyBackup", oe.Operation())

	creating := s.AddBackup(fsx.Backup{Lifecycle: fsx.LifecycleCreating})
	_, err = c.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: creating.BackupID})
	var su *fsx.SourceBackupUnavailable
	require.ErrorAs(t, err, &su)
	assert.Equal(t, creating.BackupID, su.BackupID)

	west := s.AddBackupIn(fsxtest.SourceRegion, fsx.Backup{})
	op, err := c.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: west.BackupID, SourceRegion: fsxtest.SourceRegion})
	require.NoError(t, err)
	b, err := op.Wait(ctx, fastPoll)
	require.NoError(t, err)
	assert.Equal(t, fsxtest.SourceRegion, b.SourceBackupRegion)
	_, err = c.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: west.BackupID, SourceRegion: "cn-north-1"})
	var ir *fsx.InvalidRegion
	require.ErrorAs(t, err, &ir)

	s.RejectKMSKey("alias/disabled")
	_, err = c.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: west.BackupID, SourceRegion: fsxtest.SourceRegion, KMSKeyID: "alias/disabled"})
	var ik *fsx.InvalidDestinationKmsKey
	require.ErrorAs(t, err, &ik)

	// Tags: source tags plus new ones over 50 are refused.
	var many []fsx.Tag
	for i := 0; i < 30; i++ {
		many = append(many, fsx.Tag{Key: "src" + string(rune('a'+i%26)) + strings.Repeat("x", i), Value: "v"})
	}
	tagged := s.AddBackup(fsx.Backup{Tags: many})
	var more []fsx.Tag
	for i := 0; i < 21; i++ {
		more = append(more, fsx.Tag{Key: "new" + strings.Repeat("y", i), Value: "v"})
	}
	_, err = c.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: tagged.BackupID, CopyTags: true, Tags: more})
	var br *fsx.BadRequest
	require.ErrorAs(t, err, &br)
	_, err = c.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: tagged.BackupID, CopyTags: true, Tags: more[:20]})
	require.NoError(t, err)

	// A copy that fails.
	src := s.AddBackup(fsx.Backup{})
	s.FailNextCopy("The KMS key is disabled")
	op, err = c.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: src.BackupID})
	require.NoError(t, err)
	_, err = op.Wait(ctx, fastPoll)
	var fe *fsx.CopyFailedError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fsx.LifecycleFailed, fe.Lifecycle)
	assert.Equal(t, "The KMS key is disabled", fe.Message)

	// Deleting: refused while being copied, then allowed; Wait on a deleted
	// backup reports it.
	s.SetOperationDuration(time.Hour)
	op, err = c.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: src.BackupID})
	require.NoError(t, err)
	err = c.DeleteBackup(ctx, op.Name())
	var bc *fsx.BackupBeingCopied
	require.ErrorAs(t, err, &bc)
	assert.Equal(t, op.Name(), bc.BackupID)
	require.ErrorAs(t, c.DeleteBackup(ctx, src.BackupID), &bc, "the source of a copy in progress")
	s.SetClock(func() time.Time { return time.Now().Add(2 * time.Hour) }) // the copy has finished
	require.NoError(t, c.DeleteBackup(ctx, op.Name()))
	_, err = c.CopyBackupOperation(op.Name()).Wait(ctx, fastPoll)
	assert.ErrorIs(t, err, fsx.ErrBackupDeleted)
	require.ErrorAs(t, c.DeleteBackup(ctx, op.Name()), &nf)
}

func TestDescribeBackupsOnFake(t *testing.T) {
	s := newFake(t)
	s.SetPageSize(3)
	var ids []string
	for i := 0; i < 10; i++ {
		typ := fsx.BackupTypeUserInitiated
		if i%2 == 0 {
			typ = fsx.BackupTypeAutomatic
		}
		ids = append(ids, s.AddBackup(fsx.Backup{Type: typ}).BackupID)
	}
	c := newClient(t, s.URL())
	ctx := context.Background()
	list := func(req *fsx.DescribeBackupsRequest) ([]string, error) {
		var out []string
		for b, err := range c.DescribeBackups(ctx, req) {
			if err != nil {
				return out, err
			}
			out = append(out, b.BackupID)
		}
		return out, nil
	}
	got, err := list(nil)
	require.NoError(t, err)
	assert.Equal(t, ids, got)
	assert.Equal(t, 4, s.CountRequests("DescribeBackups"))

	got, err = list(&fsx.DescribeBackupsRequest{MaxResults: 2, Filters: []fsx.Filter{{Name: fsx.FilterBackupType, Values: []string{"AUTOMATIC"}}}})
	require.NoError(t, err)
	assert.Equal(t, []string{ids[0], ids[2], ids[4], ids[6], ids[8]}, got)

	got, err = list(&fsx.DescribeBackupsRequest{BackupIDs: []string{ids[3], ids[1]}})
	require.NoError(t, err)
	assert.Equal(t, []string{ids[3], ids[1]}, got)

	_, err = list(&fsx.DescribeBackupsRequest{BackupIDs: []string{ids[0], "backup-ffffffffffff"}})
	var nf *fsx.BackupNotFound
	require.ErrorAs(t, err, &nf)
	assert.Contains(t, nf.Message, "backup-ffffffffffff")
	var oe *smithy.OperationError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "DescribeBackups", oe.Operation())

	_, err = list(&fsx.DescribeBackupsRequest{Filters: []fsx.Filter{{Name: "no-such-filter", Values: []string{"x"}}}})
	var br *fsx.BadRequest
	require.ErrorAs(t, err, &br)
}

// TestConcurrentCopies: copies from several goroutines on one client each
// get their own backup.
func TestConcurrentCopies(t *testing.T) {
	s := newFake(t)
	src := s.AddBackup(fsx.Backup{})
	c := newClient(t, s.URL())
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			op, err := c.CopyBackup(context.Background(), &fsx.CopyBackupRequest{SourceBackupID: src.BackupID})
			if err == nil {
				_, err = op.Wait(context.Background(), fastPoll)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Len(t, s.Copies(src.BackupID), 4)
	if errors.Is(nil, fsx.ErrBackupDeleted) {
		t.Fatal("unreachable")
	}
}

// TestConcurrentWaitsSharePolls: ten copies waited on at once from one
// client share their DescribeBackups requests (up to 50 ids each), so the
// fake sees far fewer requests than there were polls; a handle whose backup
// is unknown still gets its own BackupNotFound without failing the others.
func TestConcurrentWaitsSharePolls(t *testing.T) {
	s := newFake(t)
	s.SetOperationDuration(time.Second)
	s.SetMaxInProgressCopies(20)
	c := newClient(t, s.URL())
	ctx := context.Background()
	var ops []*fsx.CopyBackupOperation
	for i := 0; i < 10; i++ {
		src := s.AddBackup(fsx.Backup{})
		op, err := c.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: src.BackupID})
		require.NoError(t, err)
		ops = append(ops, op)
	}
	missing := c.CopyBackupOperation("backup-ffffffffffffffff")
	var wg sync.WaitGroup
	errs := make([]error, len(ops))
	var missingErr error
	same := lro.WithPollInterval(100*time.Millisecond, 100*time.Millisecond)
	for i, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = op.Wait(ctx, same)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, missingErr = missing.Wait(ctx, same)
	}()
	wg.Wait()
	polls := 0
	for i, op := range ops {
		require.NoError(t, errs[i])
		polls += op.Progress().Polls
	}
	var nf *fsx.BackupNotFound
	require.ErrorAs(t, missingErr, &nf)
	requests := s.CountRequests("DescribeBackups")
	t.Logf("%d polls answered by %d DescribeBackups requests", polls, requests)
	// How many polls fit in the copies' second depends on the machine's load;
	// each Wait polls at least once, and the polls share requests (polling
	// on its own, each poll would be a request, and the missing handle's
	// polls more).
	require.GreaterOrEqual(t, polls, len(ops))
	assert.Less(t, requests, polls, "polls were shared")
	batched := 0
	for _, e := range s.Requests() {
		var in struct{ BackupIds []string }
		json.Unmarshal(e.Body, &in)
		if len(in.BackupIds) > 1 {
			batched++
		}
	}
	assert.Positive(t, batched, "some requests named several backups")
}

// TestLoggerAndClose: the per-attempt log names the operation and request id
// but no credential; after Close, new calls fail while an operation made
// earlier can still be waited on.
func TestLoggerAndClose(t *testing.T) {
	s := newFake(t)
	src := s.AddBackup(fsx.Backup{})
	var buf strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := faultproxy.New(s.URL())
	require.NoError(t, err)
	defer p.Close()
	p.Add(faultproxy.Rule{Faults: []faultproxy.Fault{{Kind: faultproxy.Status, Status: 503, Body: `{"__type":"ServiceUnavailable"}`}}})
	c := newClient(t, p.URL(), fsx.WithLogger(logger))
	op, err := c.CopyBackup(context.Background(), &fsx.CopyBackupRequest{SourceBackupID: src.BackupID})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	_, err = c.CopyBackup(context.Background(), &fsx.CopyBackupRequest{SourceBackupID: src.BackupID})
	assert.ErrorIs(t, err, fsx.ErrClosed)
	_, err = op.Wait(context.Background(), fastPoll)
	require.NoError(t, err)
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	assert.Contains(t, out, "op=CopyBackup")
	assert.Contains(t, out, "backupcopy: retrying")
	assert.NotContains(t, out, fsxtest.SecretAccessKey)
	assert.NotContains(t, out, "Signature=")
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
