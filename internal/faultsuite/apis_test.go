package faultsuite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/internal/faultproxy"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

// callKind is the kind of call a fault is injected on.
type callKind string

const (
	kindCopy callKind = "copy"
	kindPoll callKind = "poll"
	kindGet  callKind = "get"
)

var allKinds = []callKind{kindCopy, kindPoll, kindGet}

type matcher = func(*http.Request, []byte) bool

// opDuration is how long the fakes take to finish a copy.
const opDuration = 150 * time.Millisecond

// fastPoll keeps waits short.
var fastPoll = lro.WithPollInterval(10*time.Millisecond, 40*time.Millisecond)

// fastRetry makes the call path's own backoff short (server hints such as
// Retry-After are still honoured: they are what some cells check).
var fastRetry = rest.Policy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}

// api is one client and its fake, as the fault table sees them. Adding an
// API is adding one of these to apis.
type api struct {
	name string
	// match selects the requests of each call kind.
	match map[callKind]matcher
	// serverError returns the body and header the service (or the load
	// balancer in front of it) sends with a 5xx status.
	serverError func(status int) (string, http.Header)
	// throttle is the service's own throttling answer (nil: n/a).
	throttle *faultproxy.Fault
	// retryInfo is a RESOURCE_EXHAUSTED answer with a RetryInfo detail of the
	// given delay (nil: the API has no RetryInfo).
	retryInfo func(d time.Duration) faultproxy.Fault
	// tokenExpired is the answer to a request whose token has expired (nil:
	// the API's clients have no expiring token).
	tokenExpired *faultproxy.Fault
	// skewable: the fake can run its clock off (the signature-expired cell).
	skewable bool
	// statusOf returns the HTTP status of an API error in err (0: none).
	statusOf func(err error) int
	// setup starts the fake (seeded with a copy source) and returns the env.
	setup func(t *testing.T, o setupOptions) *env
}

type setupOptions struct {
	// refreshingToken: authenticate with a token that the test can see
	// refreshed (env.firstToken and env.refreshes), instead of the default.
	refreshingToken bool
	// skew: the fake's clock runs 20 minutes ahead.
	skew bool
	// behind: the fake's clock (signature checks and the times it records)
	// runs this far behind, by less than the signing window, so the client
	// never learns of it.
	behind time.Duration
}

// env is one running fake with a client factory.
type env struct {
	url string
	// newClient builds a client for endpoint, sending through hc and
	// logging to logger, with the fast retry policy.
	newClient func(ctx context.Context, endpoint string, hc *http.Client, logger *slog.Logger) (client, error)
	// copies counts the copies of the source in the fake's state.
	copies func() int
	// staleToken matches requests that carry the first token; refreshes
	// counts tokens obtained (refreshingToken only).
	staleToken matcher
	refreshes  func() int
}

// client is the logical call sequence: copy, wait, read back.
type client interface {
	Copy(ctx context.Context) (operation, error)
	Resume(name string) operation
	// Get reads the copy back (get, and list where the API has it).
	Get(ctx context.Context, copyID string) error
	Close() error
}

type operation interface {
	Name() string
	// Wait returns the copy's id or name.
	Wait(ctx context.Context, opts ...lro.WaitOption) (string, error)
}

var apis = []*api{bigtableAPI, spannerAPI, cbrAPI}

// ---- Google APIs ----

func googleServerError(status int) (string, http.Header) {
	switch status {
	case 500:
		return faultproxy.GoogleError(500, "INTERNAL", "Internal error encountered.", 0), faultproxy.JSONHeader()
	case 503:
		return faultproxy.GoogleError(503, "UNAVAILABLE", "The service is currently unavailable.", 0), faultproxy.JSONHeader()
	}
	// 502 and 504 come from the front end as HTML.
	return fmt.Sprintf("<!DOCTYPE html><html><title>Error %d</title><p>The server encountered a temporary error.</p></html>", status),
		http.Header{"Content-Type": {"text/html; charset=UTF-8"}}
}

func googleRetryInfo(d time.Duration) faultproxy.Fault {
	return faultproxy.Fault{Kind: faultproxy.Status, Status: 429, Header: faultproxy.JSONHeader(),
		Body: faultproxy.GoogleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Admin API requests'.", d)}
}

var googleUnauthenticated = &faultproxy.Fault{Kind: faultproxy.Status, Status: 401, Header: faultproxy.JSONHeader(),
	Body: faultproxy.GoogleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", 0)}

func bearerIs(tok string) matcher {
	return func(r *http.Request, _ []byte) bool { return r.Header.Get("Authorization") == "Bearer "+tok }
}

// googleKinds: copy is the POST; poll a GET of one operation; get a GET of
// a backup or a backup list.
func googleKinds(copySuffix string) map[callKind]matcher {
	isOp := func(r *http.Request, _ []byte) bool {
		return strings.Contains(r.URL.Path, "/operations/") && !strings.HasSuffix(r.URL.Path, "/operations")
	}
	return map[callKind]matcher{
		kindCopy: faultproxy.All(faultproxy.Method(http.MethodPost), faultproxy.PathSuffix(copySuffix)),
		kindPoll: faultproxy.All(faultproxy.Method(http.MethodGet), isOp),
		kindGet:  faultproxy.All(faultproxy.Method(http.MethodGet), faultproxy.PathContains("/backups"), faultproxy.Not(faultproxy.PathContains("/operations"))),
	}
}

const (
	btSrc     = "projects/p/instances/i/clusters/c1/backups/src"
	btDstCl   = "projects/p/instances/i/clusters/c2"
	btTable   = "projects/p/instances/i/tables/orders"
	btCopyID  = "copy-1"
	spInst    = "projects/p/instances/prod"
	spDstInst = "projects/p/instances/dr"
	spSrc     = spInst + "/backups/src"
	spCopyID  = "copy-1"
)

func googleStatus(err error) int {
	var be *bigtable.Error
	if errors.As(err, &be) {
		return be.HTTPStatus
	}
	var se *spanner.Error
	if errors.As(err, &se) {
		return se.HTTPStatus
	}
	return 0
}

var bigtableAPI = &api{
	name:         "bigtable",
	statusOf:     googleStatus,
	match:        googleKinds("/backups:copy"),
	serverError:  googleServerError,
	retryInfo:    googleRetryInfo,
	tokenExpired: googleUnauthenticated,
	setup: func(t *testing.T, o setupOptions) *env {
		fake := bigtabletest.NewServer()
		t.Cleanup(fake.Close)
		fake.AddBackup(bigtable.Backup{Name: btSrc, SourceTable: btTable, SizeBytes: 1 << 30})
		fake.AddCluster(btDstCl)
		fake.SetOperationDuration(opDuration)
		if o.behind != 0 {
			fake.SetClock(func() time.Time { return time.Now().Add(-o.behind) })
		}
		ts := &countingTokenSource{prefix: "ya29.bt"}
		e := &env{url: fake.URL(), staleToken: bearerIs(ts.first()), refreshes: func() int { return int(ts.n.Load()) }}
		e.newClient = func(ctx context.Context, endpoint string, hc *http.Client, logger *slog.Logger) (client, error) {
			c, err := bigtable.NewClient(withFastRetry(ctx), bigtable.WithEndpoint(endpoint), bigtable.WithHTTPClient(hc), bigtable.WithLogger(logger),
				bigtable.WithTokenSource(ts))
			if err != nil {
				return nil, err
			}
			return &btClient{c}, nil
		}
		e.copies = func() int {
			n := 0
			if b, ok := fake.Backup(btDstCl + "/backups/" + btCopyID); ok && b.SourceBackup == btSrc {
				n++
			}
			return n
		}
		return e
	},
}

type btClient struct{ c *bigtable.Client }

func (c *btClient) Copy(ctx context.Context) (operation, error) {
	op, err := c.c.CopyBackup(ctx, &bigtable.CopyBackupRequest{Parent: btDstCl, BackupID: btCopyID, SourceBackup: btSrc,
		ExpireTime: time.Now().Add(72 * time.Hour).Truncate(time.Second)})
	if err != nil {
		return nil, err
	}
	return btOp{op}, nil
}

func (c *btClient) Resume(name string) operation { return btOp{c.c.CopyBackupOperation(name)} }

func (c *btClient) Get(ctx context.Context, name string) error {
	b, err := c.c.GetBackup(ctx, name)
	if err != nil {
		return err
	}
	if b.State != bigtable.BackupReady || b.SourceBackup != btSrc {
		return fmt.Errorf("backup %s: state %s, source %s", b.Name, b.State, b.SourceBackup)
	}
	n := 0
	for b, err := range c.c.ListBackups(ctx, btDstCl) {
		if err != nil {
			return err
		}
		if b.Name == name {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("list: %s listed %d times", name, n)
	}
	return nil
}

func (c *btClient) Close() error { return c.c.Close() }

type btOp struct{ op *bigtable.CopyBackupOperation }

func (o btOp) Name() string { return o.op.Name() }
func (o btOp) Wait(ctx context.Context, opts ...lro.WaitOption) (string, error) {
	b, err := o.op.Wait(ctx, opts...)
	if err != nil {
		return "", err
	}
	return b.Name, nil
}

var spannerAPI = &api{
	name:         "spanner",
	statusOf:     googleStatus,
	match:        googleKinds("/backups:copy"),
	serverError:  googleServerError,
	retryInfo:    googleRetryInfo,
	tokenExpired: googleUnauthenticated,
	setup: func(t *testing.T, o setupOptions) *env {
		fake := spannertest.NewServer(spannertest.WithOperationDuration(opDuration))
		t.Cleanup(fake.Close)
		fake.AddDatabase(spInst + "/databases/orders")
		fake.AddBackup(spanner.Backup{Name: spSrc, Database: spInst + "/databases/orders", SizeBytes: 1 << 30})
		fake.AddInstance(spDstInst)
		if o.behind != 0 {
			fake.SetClock(func() time.Time { return time.Now().Add(-o.behind) })
		}
		ts := &countingTokenSource{prefix: "ya29.sp"}
		e := &env{url: fake.URL(), staleToken: bearerIs(ts.first()), refreshes: func() int { return int(ts.n.Load()) }}
		e.newClient = func(ctx context.Context, endpoint string, hc *http.Client, logger *slog.Logger) (client, error) {
			c, err := spanner.NewClient(withFastRetry(ctx), spanner.WithEndpoint(endpoint), spanner.WithHTTPClient(hc), spanner.WithLogger(logger),
				spanner.WithTokenSource(ts))
			if err != nil {
				return nil, err
			}
			return &spClient{c}, nil
		}
		e.copies = func() int {
			n := 0
			if _, ok := fake.Backup(spDstInst + "/backups/" + spCopyID); ok {
				n++
			}
			return n
		}
		return e
	},
}

type spClient struct{ c *spanner.Client }

func (c *spClient) Copy(ctx context.Context) (operation, error) {
	op, err := c.c.CopyBackup(ctx, &spanner.CopyBackupRequest{Parent: spDstInst, BackupID: spCopyID, SourceBackup: spSrc,
		ExpireTime: time.Now().Add(72 * time.Hour).Truncate(time.Second)})
	if err != nil {
		return nil, err
	}
	return spOp{op}, nil
}

func (c *spClient) Resume(name string) operation { return spOp{c.c.CopyBackupOperation(name)} }

func (c *spClient) Get(ctx context.Context, name string) error {
	b, err := c.c.GetBackup(ctx, name)
	if err != nil {
		return err
	}
	if b.State != spanner.BackupReady {
		return fmt.Errorf("backup %s: state %s", b.Name, b.State)
	}
	n := 0
	for b, err := range c.c.ListBackups(ctx, spDstInst) {
		if err != nil {
			return err
		}
		if b.Name == name {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("list: %s listed %d times", name, n)
	}
	return nil
}

func (c *spClient) Close() error { return c.c.Close() }

type spOp struct{ op *spanner.CopyBackupOperation }

func (o spOp) Name() string { return o.op.Name() }
func (o spOp) Wait(ctx context.Context, opts ...lro.WaitOption) (string, error) {
	b, err := o.op.Wait(ctx, opts...)
	if err != nil {
		return "", err
	}
	return b.Name, nil
}

// ---- Huawei CBR ----

func huaweiServerError(status int) (string, http.Header) {
	switch status {
	case 500:
		return faultproxy.HuaweiError("BackupService.9999", "Internal server error.", "rid-500"), faultproxy.JSONHeader()
	case 503:
		return "Service Unavailable", http.Header{"Content-Type": {"text/plain"}}
	}
	return fmt.Sprintf("<html><head><title>%d</title></head><body><center><h1>%d %s</h1></center><hr><center>nginx</center></body></html>",
		status, status, http.StatusText(status)), http.Header{"Content-Type": {"text/html"}}
}

var cbrAPI = &api{
	name: "cbr",
	// poll and the copy's own recovery read the source backup; get reads the replica.
	match: map[callKind]matcher{
		kindCopy: faultproxy.All(faultproxy.Method(http.MethodPost), faultproxy.PathSuffix("/replicate")),
		kindPoll: faultproxy.All(faultproxy.Method(http.MethodGet), faultproxy.PathSuffix("/backups/"+cbrSrcMarker)),
		kindGet:  faultproxy.All(faultproxy.Method(http.MethodGet), faultproxy.PathContains("/backups/"), faultproxy.Not(faultproxy.PathSuffix("/backups/"+cbrSrcMarker))),
	},
	serverError: huaweiServerError,
	throttle: &faultproxy.Fault{Kind: faultproxy.Status, Status: 429, Header: faultproxy.JSONHeader(),
		Body: faultproxy.HuaweiError(cbr.CodeThrottled, "The throttling threshold has been reached: policy user over ratelimit,limit:10,time:1 minute", "rid-429")},
	tokenExpired: &faultproxy.Fault{Kind: faultproxy.Status, Status: 401, Header: faultproxy.JSONHeader(),
		Body: faultproxy.HuaweiError(cbr.CodeAuthFailed, "The token must be updated.", "rid-401")},
	skewable: true,
	statusOf: func(err error) int {
		var e *cbr.Error
		if errors.As(err, &e) {
			return e.StatusCode
		}
		return 0
	},
	setup: func(t *testing.T, o setupOptions) *env {
		fake := cbrtest.NewServer()
		t.Cleanup(fake.Close)
		fake.SetOperationDuration(opDuration)
		if o.skew {
			fake.SetClockSkew(20 * time.Minute)
		}
		if o.behind != 0 {
			fake.SetClockSkew(-o.behind)
			fake.SetClock(func() time.Time { return time.Now().Add(-o.behind) })
		}
		v := fake.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion, ProtectType: cbrtest.ProtectReplication})
		src := fake.AddBackup(cbr.Backup{ID: cbrSrcMarker, Name: "db-nightly"})
		if src.ID != cbrSrcMarker {
			t.Fatalf("cbrtest.AddBackup ignored the id: %q", src.ID)
		}
		req := &cbr.CopyBackupRequest{BackupID: src.ID, DestinationProjectID: "dest-proj", DestinationRegion: cbrtest.DestinationRegion,
			DestinationVaultID: v.ID, Name: "db-nightly-copy"}
		e := &env{url: fake.URL()}
		authOpt := cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey)
		if o.refreshingToken {
			iam := newIAMFake("MIIcbr-token", fake.AcceptToken)
			t.Cleanup(iam.srv.Close)
			e.staleToken = func(r *http.Request, _ []byte) bool { return r.Header.Get(auth.HuaweiAuthTokenHeader) == iam.first() }
			e.refreshes = func() int { return int(iam.n.Load()) }
			authOpt = nil
			e.newClient = func(ctx context.Context, endpoint string, hc *http.Client, logger *slog.Logger) (client, error) {
				ts, err := auth.NewHuaweiIAMTokenSource(auth.HuaweiIAMConfig{Endpoint: iam.srv.URL, DomainName: "acme", UserName: "ops",
					Password: "iam-Passw0rd-SECRET", ProjectID: cbrtest.ProjectID, HTTPClient: hc})
				if err != nil {
					return nil, err
				}
				return newCBRClient(ctx, req, endpoint, hc, logger, cbr.WithAuthenticator(ts))
			}
		} else {
			e.newClient = func(ctx context.Context, endpoint string, hc *http.Client, logger *slog.Logger) (client, error) {
				return newCBRClient(ctx, req, endpoint, hc, logger, authOpt)
			}
		}
		e.copies = func() int {
			n := 0
			for _, r := range fake.Replications() {
				if r.SourceBackupID == src.ID || r.SourceBackupID == "" {
					n++
				}
			}
			return n
		}
		return e
	},
}

// cbrSrcMarker is the source backup's id (a UUID, as CBR's).
const cbrSrcMarker = "5b0c3f4e-1d2a-4c6b-9e8f-7a6b5c4d3e2f"

func newCBRClient(ctx context.Context, req *cbr.CopyBackupRequest, endpoint string, hc *http.Client, logger *slog.Logger, authOpt cbr.Option) (client, error) {
	c, err := cbr.NewClient(withFastRetry(ctx), cbr.WithEndpoint(endpoint), cbr.WithHTTPClient(hc), cbr.WithLogger(logger),
		cbr.WithRegion(cbrtest.Region), cbr.WithProjectID(cbrtest.ProjectID), authOpt)
	if err != nil {
		return nil, err
	}
	return &cbrClient{c: c, req: req}, nil
}

type cbrClient struct {
	c   *cbr.Client
	req *cbr.CopyBackupRequest
}

func (c *cbrClient) Copy(ctx context.Context) (operation, error) {
	op, err := c.c.CopyBackup(ctx, c.req)
	if err != nil {
		return nil, err
	}
	return cbrOp{op}, nil
}

func (c *cbrClient) Resume(name string) operation { return cbrOp{c.c.CopyBackupOperation(name)} }

func (c *cbrClient) Get(ctx context.Context, id string) error {
	b, err := c.c.GetBackup(ctx, id)
	if err != nil {
		return err
	}
	if b.ID != id {
		return fmt.Errorf("GetBackup(%s) returned %s", id, b.ID)
	}
	return nil
}

func (c *cbrClient) Close() error { return c.c.Close() }

type cbrOp struct{ op *cbr.CopyBackupOperation }

func (o cbrOp) Name() string { return o.op.Name() }
func (o cbrOp) Wait(ctx context.Context, opts ...lro.WaitOption) (string, error) {
	r, err := o.op.Wait(ctx, opts...)
	if err != nil {
		return "", err
	}
	if r.DestinationBackupID == "" {
		return "", errors.New("the finished record has no destination backup id")
	}
	return r.DestinationBackupID, nil
}
