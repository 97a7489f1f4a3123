package peertest

// Per-call cost: one copy round trip against a loopback server that answers
// at once with a canned, valid response, for our client, the official SDK
// and a floor (plain net/http replaying the exact request our client sent,
// with its precomputed auth header). All three share one process, one
// server and identically configured transports, so the server's own cost is
// the same in every row and cancels out in "above floor" figures.
//
//	go test -run '^$' -bench 'Copy' -benchmem -count 6
//
// The canned response and the floor's request are recorded from one real
// exchange of our client with the matching in-process fake, so the canned
// answer is one both clients accept.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	hwconfig "github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	cbrsdk "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1"
	cbrmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"
	"golang.org/x/oauth2"
	bigtableadmin "google.golang.org/api/bigtableadmin/v2"
	"google.golang.org/api/option"
	spannerv1 "google.golang.org/api/spanner/v1"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

// benchExchange is one recorded request and its response.
type benchExchange struct {
	method, requestURI string
	header             http.Header
	body               []byte

	status     int
	respHeader http.Header
	respBody   []byte
}

// benchRecorder is a RoundTripper that records the last exchange.
type benchRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	last benchExchange
}

func (rc *benchRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := rc.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	rb, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	h := r.Header.Clone()
	if r.Host != "" {
		h.Set("Host", r.Host) // kept for the signature; net/http sends it from req.Host
	}
	rc.mu.Lock()
	rc.last = benchExchange{method: r.Method, requestURI: r.URL.RequestURI(), header: h, body: body,
		status: resp.StatusCode, respHeader: resp.Header.Clone(), respBody: rb}
	rc.mu.Unlock()
	return resp, nil
}

func (rc *benchRecorder) exchange() benchExchange {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.last
}

// benchTransport is the transport every variant gets: net/http's defaults,
// a fresh connection pool each.
func benchTransport() *http.Transport {
	return http.DefaultTransport.(*http.Transport).Clone()
}

// benchCanned serves ex's response to every request, draining the request
// body first. It is as cheap as a net/http server gets.
func benchCanned(tb testing.TB, ex benchExchange) *httptest.Server {
	tb.Helper()
	var keys []string
	var vals [][]string
	for k, v := range ex.respHeader {
		switch k {
		case "Date", "Content-Length", "Transfer-Encoding", "Connection":
			continue
		}
		keys, vals = append(keys, k), append(vals, v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h := w.Header()
		for i, k := range keys {
			h[k] = vals[i]
		}
		w.WriteHeader(ex.status)
		w.Write(ex.respBody)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// benchFloor replays ex to base with plain net/http: the recorded body and
// headers (auth included, precomputed), reading the whole response.
func benchFloor(b *testing.B, base string, ex benchExchange) {
	hc := &http.Client{Transport: benchTransport()}
	defer hc.CloseIdleConnections()
	u := base + ex.requestURI
	hdr := ex.header.Clone()
	host := hdr.Get("Host")
	hdr.Del("Host")
	hdr.Del("Content-Length")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, ex.method, u, bytes.NewReader(ex.body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header = hdr
		if host != "" {
			req.Host = host
		}
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != ex.status || len(data) != len(ex.respBody) {
			b.Fatalf("floor: status %d, %d bytes, %v", resp.StatusCode, len(data), err)
		}
	}
}

// benchBearer adds a precomputed bearer header in place: the cheapest way to
// give the official Google client (which authenticates nothing once it is
// handed an *http.Client) the same work as ours.
type benchBearer struct {
	base  http.RoundTripper
	value []string
}

func (t benchBearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r.Header["Authorization"] = t.value
	return t.base.RoundTrip(r)
}

func benchToken() oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "bench-token", TokenType: "Bearer"})
}

func benchOfficialGoogleHTTP() *http.Client {
	return &http.Client{Transport: benchBearer{base: benchTransport(), value: []string{"Bearer bench-token"}}}
}

// ---- Bigtable ----

func benchBigtableExchange(b *testing.B, expire time.Time) benchExchange {
	fake := bigtabletest.NewServer()
	defer fake.Close()
	fake.SetOperationDuration(time.Hour)
	fake.AddBackup(bigtable.Backup{Name: btSrc, SourceTable: btTable, SizeBytes: 1 << 40})
	fake.AddCluster(btDst)
	fake.AddTable(btTable)
	rec := &benchRecorder{base: benchTransport()}
	c, err := bigtable.NewClient(context.Background(), bigtable.WithEndpoint(fake.URL()),
		bigtable.WithHTTPClient(&http.Client{Transport: rec}), bigtable.WithTokenSource(benchToken()))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CopyBackup(context.Background(), &bigtable.CopyBackupRequest{Parent: btDst, BackupID: "bench", SourceBackup: btSrc, ExpireTime: expire}); err != nil {
		b.Fatal(err)
	}
	return rec.exchange()
}

func benchCopyBigtable(b *testing.B) {
	expire := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	ex := benchBigtableExchange(b, expire)
	srv := benchCanned(b, ex)
	ctx := context.Background()

	b.Run("backupcopy", func(b *testing.B) {
		c, err := bigtable.NewClient(ctx, bigtable.WithEndpoint(srv.URL),
			bigtable.WithHTTPClient(&http.Client{Transport: benchTransport()}), bigtable.WithTokenSource(benchToken()))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		req := &bigtable.CopyBackupRequest{Parent: btDst, BackupID: "bench", SourceBackup: btSrc, ExpireTime: expire}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			op, err := c.CopyBackup(ctx, req)
			if err != nil || op.Name() == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("official", func(b *testing.B) {
		svc, err := bigtableadmin.NewService(ctx, option.WithEndpoint(srv.URL+"/"), option.WithHTTPClient(benchOfficialGoogleHTTP()))
		if err != nil {
			b.Fatal(err)
		}
		backups := svc.Projects.Instances.Clusters.Backups
		exp := expire.Format(time.RFC3339Nano)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			op, err := backups.Copy(btDst, &bigtableadmin.CopyBackupRequest{BackupId: "bench", SourceBackup: btSrc, ExpireTime: exp}).Context(ctx).Do()
			if err != nil || op.Name == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) { benchFloor(b, srv.URL, ex) })
}

// ---- Spanner ----

func benchSpannerExchanges(b *testing.B, expire time.Time) (cp, create benchExchange) {
	fake := spannertest.NewServer(spannertest.WithOperationDuration(time.Hour))
	defer fake.Close()
	fake.AddDatabase(spDB)
	fake.AddInstance(spInst2)
	fake.AddBackup(spanner.Backup{Name: spInst + "/backups/src", Database: spDB})
	rec := &benchRecorder{base: benchTransport()}
	c, err := spanner.NewClient(context.Background(), spanner.WithEndpoint(fake.URL()),
		spanner.WithHTTPClient(&http.Client{Transport: rec}), spanner.WithTokenSource(benchToken()))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.CopyBackup(ctx, &spanner.CopyBackupRequest{Parent: spInst2, BackupID: "bench", SourceBackup: spInst + "/backups/src", ExpireTime: expire}); err != nil {
		b.Fatal(err)
	}
	cp = rec.exchange()
	if _, err := c.CreateBackup(ctx, &spanner.CreateBackupRequest{Parent: spInst, BackupID: "bench-create", Database: spDB, ExpireTime: expire}); err != nil {
		b.Fatal(err)
	}
	return cp, rec.exchange()
}

func benchCopySpanner(b *testing.B, create bool) {
	expire := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	cpEx, createEx := benchSpannerExchanges(b, expire)
	ex := cpEx
	if create {
		ex = createEx
	}
	srv := benchCanned(b, ex)
	ctx := context.Background()

	b.Run("backupcopy", func(b *testing.B) {
		c, err := spanner.NewClient(ctx, spanner.WithEndpoint(srv.URL),
			spanner.WithHTTPClient(&http.Client{Transport: benchTransport()}), spanner.WithTokenSource(benchToken()))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		cpReq := &spanner.CopyBackupRequest{Parent: spInst2, BackupID: "bench", SourceBackup: spInst + "/backups/src", ExpireTime: expire}
		crReq := &spanner.CreateBackupRequest{Parent: spInst, BackupID: "bench-create", Database: spDB, ExpireTime: expire}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			var name string
			if create {
				op, err := c.CreateBackup(ctx, crReq)
				if err != nil {
					b.Fatal(err)
				}
				name = op.Name()
			} else {
				op, err := c.CopyBackup(ctx, cpReq)
				if err != nil {
					b.Fatal(err)
				}
				name = op.Name()
			}
			if name == "" {
				b.Fatal("no operation name")
			}
		}
	})
	b.Run("official", func(b *testing.B) {
		svc, err := spannerv1.NewService(ctx, option.WithEndpoint(srv.URL+"/"), option.WithHTTPClient(benchOfficialGoogleHTTP()))
		if err != nil {
			b.Fatal(err)
		}
		backups := svc.Projects.Instances.Backups
		exp := expire.Format(time.RFC3339Nano)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			var op *spannerv1.Operation
			var err error
			if create {
				op, err = backups.Create(spInst, &spannerv1.Backup{Database: spDB, ExpireTime: exp}).BackupId("bench-create").Context(ctx).Do()
			} else {
				op, err = backups.Copy(spInst2, &spannerv1.CopyBackupRequest{BackupId: "bench", SourceBackup: spInst + "/backups/src", ExpireTime: exp}).Context(ctx).Do()
			}
			if err != nil || op.Name == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) { benchFloor(b, srv.URL, ex) })
}

// ---- CBR ----

const benchCBRVault = "bench-vault"

func benchCBRExchange(b *testing.B) (benchExchange, string, string) {
	fake := cbrtest.NewServer()
	defer fake.Close()
	fake.SetOperationDuration(time.Hour)
	vault := fake.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion})
	src := fake.AddBackup(cbr.Backup{Name: "bench-src", ResourceSize: 40})
	rec := &benchRecorder{base: benchTransport()}
	c, err := cbr.NewClient(context.Background(), cbr.WithEndpoint(fake.URL()), cbr.WithRegion(cbrtest.Region),
		cbr.WithProjectID(cbrtest.ProjectID), cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey),
		cbr.WithHTTPClient(&http.Client{Transport: rec}))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CopyBackup(context.Background(), benchCBRRequest(src.ID, vault.ID)); err != nil {
		b.Fatal(err)
	}
	return rec.exchange(), src.ID, vault.ID
}

func benchCBRRequest(backupID, vaultID string) *cbr.CopyBackupRequest {
	return &cbr.CopyBackupRequest{BackupID: backupID, DestinationProjectID: "dest-proj",
		DestinationRegion: cbrtest.DestinationRegion, DestinationVaultID: vaultID, Name: "bench_copy"}
}

func benchCopyCBR(b *testing.B) {
	ex, srcID, vaultID := benchCBRExchange(b)
	srv := benchCanned(b, ex)
	ctx := context.Background()

	b.Run("backupcopy", func(b *testing.B) {
		c, err := cbr.NewClient(ctx, cbr.WithEndpoint(srv.URL), cbr.WithRegion(cbrtest.Region),
			cbr.WithProjectID(cbrtest.ProjectID), cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey),
			cbr.WithHTTPClient(&http.Client{Transport: benchTransport()}))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		req := benchCBRRequest(srcID, vaultID)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			op, err := c.CopyBackup(ctx, req)
			if err != nil || op.Name() == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("official", func(b *testing.B) {
		cred, err := basic.NewCredentialsBuilder().WithAk(cbrtest.AccessKey).WithSk(cbrtest.SecretKey).WithProjectId(cbrtest.ProjectID).SafeBuild()
		if err != nil {
			b.Fatal(err)
		}
		hc, err := cbrsdk.CbrClientBuilder().WithEndpoints([]string{srv.URL}).WithCredential(cred).
			WithHttpConfig(hwconfig.DefaultHttpConfig().WithHttpTransport(benchTransport())).SafeBuild()
		if err != nil {
			b.Fatal(err)
		}
		sdk := cbrsdk.NewCbrClient(hc)
		name := "bench_copy"
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			resp, err := sdk.CopyBackup(&cbrmodel.CopyBackupRequest{BackupId: srcID, Body: &cbrmodel.BackupReplicateReq{
				Replicate: &cbrmodel.BackupReplicateReqBody{DestinationProjectId: "dest-proj", DestinationRegion: cbrtest.DestinationRegion,
					DestinationVaultId: vaultID, Name: &name}}})
			if err != nil || resp.Replication == nil || resp.Replication.ReplicationRecordId == nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) { benchFloor(b, srv.URL, ex) })
}

// BenchmarkCopy: one copy (or create) call per op, for each API, ours vs the
// official SDK vs the net/http floor.
func BenchmarkCopy(b *testing.B) {
	b.Run("bigtable", benchCopyBigtable)
	b.Run("spanner", func(b *testing.B) { benchCopySpanner(b, false) })
	b.Run("spanner-create", func(b *testing.B) { benchCopySpanner(b, true) })
	b.Run("cbr", benchCopyCBR)
	b.Run("fsx", benchCopyFSx)
}
