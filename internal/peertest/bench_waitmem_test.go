package peertest

// The cost of waiting with shared polls (issue 16): n concurrent Waits on
// one client per cloud, against a cheap server that answers at once and
// keeps no record of the copies (only their count), with operations that
// never finish, so that what is measured is the client's, not a fake's:
//
//	go test -run '^$' -bench 'WaitMem' -benchtime 1x
//
// Each Wait uses lro.WithPollInterval(4s, 16s), as BenchmarkWaitAtScale
// does, so that no poll is due before 1 s. Reported per run:
//   - heap-B/waiting-op, stack-B/waiting-op and B/waiting-op: HeapAlloc
//     (the live objects after a GC), StackInuse and their sum with every
//     Wait parked, minus the same before the Waits started (the client and
//     the handles exist in both), divided by n: the goroutine's descriptor
//     when the runtime has no dead one to reuse, its stack, the Wait's
//     state, timer, wake channel and select, and the shared poller's watch
//     entry. (HeapInuse, whole spans, moved by up to -2 KB per op between
//     cases as spans left partly used by an earlier case were refilled.)
//   - new-goroutine-stack-B: the stack of a goroutine that only waits on a
//     channel, started just before the Waits (n of them, parked until the
//     end; subtracted from the figures above): the runtime starts every
//     goroutine with the average stack in use at the last collection
//     (2 KiB at least, a power of two), so this is the least a caller's
//     goroutine holds here, Wait or not.
//   - idle-cpu-ms/s: process CPU (user+system, getrusage) per wall second
//     from 0.4 s to 0.9 s, while nothing is due.
//   - poll-req/s: poll requests (Google: operation lists and gets; CBR:
//     backup lists and shows; FSx: DescribeBackups) in the window from
//     benchWaitMemFrom to benchWaitMemTo divided by its length, in which
//     every Wait's first poll (uniform over [1 s, 4 s)) and most second
//     polls fall due. per-op-req/s: the same for each Wait polling on its
//     own, simulated on the same schedule (benchPerOpRate). polled-ops/s:
//     the operations the requests answered for (list entries, gets, ids).
//
// With BACKUPCOPY_BENCH_WAITMEM_PROFILE=dir, every allocation is profiled
// (runtime.MemProfileRate 1, which slows the run) and each case writes the
// heap profiles before the Waits (dir/<case>.heap0) and with every Wait
// parked (dir/<case>.heap), to compare with
// go tool pprof -sample_index=inuse_space -base dir/<case>.heap0 dir/<case>.heap,
// and the goroutine stacks with every Wait parked (dir/<case>.stacks).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/spanner"
)

const benchWaitMemProfileEnv = "BACKUPCOPY_BENCH_WAITMEM_PROFILE"

const (
	benchWaitMemFrom = time.Second      // first poll due no earlier (4 s / 4)
	benchWaitMemTo   = 11 * time.Second // end of the poll window
)

// benchWaitMemCloud is one client in BenchmarkWaitMem.
type benchWaitMemCloud struct {
	name   string
	isPoll func(*http.Request) bool // tells a poll request
	// start serves the cloud's cheap server and starts n copies through one
	// client whose requests go through rt; answered counts the operations
	// the server has answered polls for.
	start func(b *testing.B, n int, rt http.RoundTripper) (ws []benchWaiter, answered *atomic.Int64, cleanup func())
}

func benchWaitMemClouds() []benchWaitMemCloud {
	return []benchWaitMemCloud{
		{name: "bigtable", isPoll: benchBigtablePoll,
			start: func(b *testing.B, n int, rt http.RoundTripper) ([]benchWaiter, *atomic.Int64, func()) {
				srv := &benchCheapBigtable{}
				hs := httptest.NewServer(srv)
				ws, cleanup := benchBigtableWaiters(b, hs.URL, rt, n)
				return ws, &srv.listed, func() { cleanup(); hs.Close() }
			}},
		{name: "spanner", isPoll: func(r *http.Request) bool { return r.Method == http.MethodGet },
			start: func(b *testing.B, n int, rt http.RoundTripper) ([]benchWaiter, *atomic.Int64, func()) {
				srv := &benchCheapSpanner{}
				hs := httptest.NewServer(srv)
				ws, cleanup := benchSpannerWaiters(b, hs.URL, rt, n)
				return ws, &srv.listed, func() { cleanup(); hs.Close() }
			}},
		{name: "cbr", isPoll: func(r *http.Request) bool { return r.Method == http.MethodGet },
			start: func(b *testing.B, n int, rt http.RoundTripper) ([]benchWaiter, *atomic.Int64, func()) {
				srv := &benchCheapCBR{backups: n}
				hs := httptest.NewServer(srv)
				ws, cleanup := benchCBRWaiters(b, hs.URL, rt, n)
				return ws, &srv.listed, func() { cleanup(); hs.Close() }
			}},
		{name: "fsx", isPoll: benchFSxPoll,
			start: func(b *testing.B, n int, rt http.RoundTripper) ([]benchWaiter, *atomic.Int64, func()) {
				srv := &benchCheapFSx{}
				hs := httptest.NewServer(srv)
				ws, cleanup := benchFSxWaiters(b, hs.URL, "backup-00000000000000000", rt, n)
				return ws, &srv.listed, func() { cleanup(); hs.Close() }
			}},
	}
}

// BenchmarkWaitMem measures 1,000 and 10,000 Waits on one client of each
// cloud.
func BenchmarkWaitMem(b *testing.B) {
	if os.Getenv(benchWaitMemProfileEnv) != "" {
		defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
		runtime.MemProfileRate = 1
	}
	for _, n := range []int{1000, 10000} {
		for _, cloud := range benchWaitMemClouds() {
			name := fmt.Sprintf("%s-%d", cloud.name, n)
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					benchWaitMem(b, name, n, cloud)
				}
			})
		}
	}
}

// benchCheapBigtable answers Bigtable copies with running operations named
// by their backup id, gets of any operation with it still running, and the
// list of an instance's running operations with every copy made so far (its
// only state is their count), pageToken being the offset.
type benchCheapBigtable struct {
	copies atomic.Int64
	listed atomic.Int64 // operations answered by lists and gets
}

const benchCheapListPath = "/v2/operations/projects/p/instances/i/operations"

func (s *benchCheapBigtable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/backups:copy"):
		var req struct {
			BackupID string `json:"backupId"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.copies.Add(1)
		w.Write(benchCheapOperation(nil, req.BackupID))
	case r.Method == http.MethodGet && r.URL.Path == benchCheapListPath:
		q := r.URL.Query()
		if q.Get("filter") != "done=false" {
			http.Error(w, `{"error":{"code":400,"message":"unexpected filter","status":"INVALID_ARGUMENT"}}`, http.StatusBadRequest)
			return
		}
		size, _ := strconv.Atoi(q.Get("pageSize"))
		off, _ := strconv.Atoi(q.Get("pageToken"))
		size = min(max(size, 1), 1000)
		buf, listed := benchCheapOperationsPage(off, size, int(s.copies.Load()), benchCheapOperation)
		s.listed.Add(int64(listed))
		w.Write(buf)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v2/operations/"+btDst+"/backups/"):
		id, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/operations/"+btDst+"/backups/"), "/")
		s.listed.Add(1)
		w.Write(benchCheapOperation(nil, id))
	default:
		http.NotFound(w, r)
	}
}

// benchCheapOperation appends the running copy operation of backup id to buf.
func benchCheapOperation(buf []byte, id string) []byte {
	backup := btDst + "/backups/" + id
	return fmt.Appendf(buf, `{"name":%q,"metadata":{"@type":"type.googleapis.com/google.bigtable.admin.v2.CopyBackupMetadata","name":%q,`+
		`"sourceBackupInfo":{"backup":%q,"sourceTable":%q,"startTime":"2026-12-01T01:24:12.423706Z","endTime":"2026-12-01T01:54:12.423706Z"},`+
		`"progress":{"startTime":"2026-12-01T02:24:12.424341Z","progressPercent":10}}}`, "operations/"+backup+"/operations/1", backup, btSrc, btTable)
}

// benchCheapFSx answers FSx copies with a new backup id (from a count) and
// DescribeBackups of ids with each of them still copying.
type benchCheapFSx struct {
	copies atomic.Int64
	listed atomic.Int64 // backups answered by DescribeBackups
}

func (s *benchCheapFSx) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasSuffix(target, ".CopyBackup"):
		fmt.Fprintf(w, `{"Backup":{"BackupId":"backup-%017x","Lifecycle":"COPYING","Type":"USER_INITIATED","ProgressPercent":10}}`, s.copies.Add(1))
	case strings.HasSuffix(target, ".DescribeBackups"):
		var in struct{ BackupIds []string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.BackupIds) == 0 {
			http.Error(w, `{"__type":"BadRequest","message":"BackupIds required"}`, http.StatusBadRequest)
			return
		}
		buf := []byte(`{"Backups":[`)
		for i, id := range in.BackupIds {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = fmt.Appendf(buf, `{"BackupId":%q,"Lifecycle":"COPYING","Type":"USER_INITIATED","ProgressPercent":10}`, id)
		}
		buf = append(buf, "]}"...)
		s.listed.Add(int64(len(in.BackupIds)))
		w.Write(buf)
	default:
		http.NotFound(w, r)
	}
}

// The Spanner instances of BenchmarkWaitMem.
const (
	benchSpSrc = "projects/p/instances/src/backups/source"
	benchSpDst = "projects/p/instances/dst"
)

// benchCheapSpanner answers Spanner copies into benchSpDst with running
// operations named by their backup id, gets of any operation with it still
// running, and the list of the instance's backup operations
// (backupOperations, filter done=false, pageSize up to 1,000, pageToken the
// offset) with every copy made so far (its only state is their count).
type benchCheapSpanner struct {
	copies atomic.Int64
	listed atomic.Int64 // operations answered by lists and gets
}

func (s *benchCheapSpanner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	backups := "/v1/" + benchSpDst + "/backups/"
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/"+benchSpDst+"/backups:copy":
		var req struct {
			BackupID     string `json:"backupId"`
			SourceBackup string `json:"sourceBackup"`
			ExpireTime   string `json:"expireTime"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.BackupID == "" || req.SourceBackup != benchSpSrc || req.ExpireTime == "" {
			http.Error(w, `{"error":{"code":400,"message":"bad copy request","status":"INVALID_ARGUMENT"}}`, http.StatusBadRequest)
			return
		}
		s.copies.Add(1)
		w.Write(benchCheapSpannerOperation(nil, req.BackupID))
	case r.Method == http.MethodGet && r.URL.Path == "/v1/"+benchSpDst+"/backupOperations":
		q := r.URL.Query()
		if q.Get("filter") != "done=false" {
			http.Error(w, `{"error":{"code":400,"message":"unexpected filter","status":"INVALID_ARGUMENT"}}`, http.StatusBadRequest)
			return
		}
		size, _ := strconv.Atoi(q.Get("pageSize"))
		if size <= 0 || size > 1000 { // 0: the server's maximum
			size = 1000
		}
		off, _ := strconv.Atoi(q.Get("pageToken"))
		buf, listed := benchCheapOperationsPage(off, size, int(s.copies.Load()), benchCheapSpannerOperation)
		s.listed.Add(int64(listed))
		w.Write(buf)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, backups) && strings.Contains(r.URL.Path, "/operations/"):
		id, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, backups), "/")
		s.listed.Add(1)
		w.Write(benchCheapSpannerOperation(nil, id))
	default:
		http.NotFound(w, r)
	}
}

// benchCheapSpannerOperation appends the running copy operation of backup
// id to buf.
func benchCheapSpannerOperation(buf []byte, id string) []byte {
	backup := benchSpDst + "/backups/" + id
	return fmt.Appendf(buf, `{"name":%q,"metadata":{"@type":%q,"name":%q,"sourceBackup":%q,`+
		`"progress":{"progressPercent":10,"startTime":"2026-12-01T02:24:12.424341Z"}}}`,
		backup+"/operations/_auto_op_0000005a17e00001", spanner.CopyBackupMetadataTypeURL, backup, benchSpSrc)
}

// benchSpannerWaiters starts n Spanner copies through one client.
func benchSpannerWaiters(b *testing.B, endpoint string, rt http.RoundTripper, n int) (ws []benchWaiter, cleanup func()) {
	ctx := context.Background()
	c, err := spanner.NewClient(ctx, spanner.WithEndpoint(endpoint),
		spanner.WithHTTPClient(&http.Client{Transport: rt}), spanner.WithTokenSource(benchToken()))
	if err != nil {
		b.Fatal(err)
	}
	expire := time.Now().Add(48 * time.Hour)
	ws = benchStartCopies(b, n, func(i int) (benchWaiter, error) {
		op, err := c.CopyBackup(ctx, &spanner.CopyBackupRequest{Parent: benchSpDst, BackupID: fmt.Sprintf("w%05d", i), SourceBackup: benchSpSrc, ExpireTime: expire})
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			_, err := op.Wait(ctx, lro.WithPollInterval(benchWaitInitial, benchWaitMax))
			return err
		}, nil
	})
	return ws, func() { c.Close() }
}

// The CBR source vault and destination vault of BenchmarkWaitMem; backup
// and replication record ids are numbered UUIDs.
const (
	benchCBRSrcVault = "3b9e1c52-8d47-4e0a-b6f2-5c1d9a7e4f30"
	benchCBRDstVault = "9d2f6a18-4c73-4b5e-a0d9-e8c7b6a5f412"
	benchCBRBackup   = "5f0e4bd4-6e2b-4cbb-9f5a-" // + 12 hex digits
	benchCBRRecord   = "7a3c9e10-2b4d-4f6a-8c1e-" // + the backup's 12
)

func benchCBRBackupID(i int) string { return fmt.Sprintf("%s%012x", benchCBRBackup, i) }

// benchCheapCBR answers CBR replications of the backups of one vault
// (backups numbered 0 to backups-1, each with one replication record, still
// replicating): replicate, the show of a backup, and the vault's backups list
// (vault_id, show_replication, limit up to 1,000 and offset, as cbrtest),
// whose entries are about as large as CBR's. It keeps no state but counts.
type benchCheapCBR struct {
	backups int
	listed  atomic.Int64 // backups answered by lists and shows
}

func (s *benchCheapCBR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	bad := func(msg string) {
		http.Error(w, `{"error_code":"BackupService.6302","error_msg":"`+msg+`"}`, http.StatusBadRequest)
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // v3 {project} backups [{id} [replicate]]
	if len(segs) < 3 || segs[0] != "v3" || segs[1] != cbrtest.ProjectID || segs[2] != "backups" {
		http.NotFound(w, r)
		return
	}
	switch {
	case len(segs) == 5 && segs[4] == "replicate" && r.Method == http.MethodPost:
		var req struct {
			Replicate *struct {
				DestinationProjectID string `json:"destination_project_id"`
				DestinationRegion    string `json:"destination_region"`
				DestinationVaultID   string `json:"destination_vault_id"`
			} `json:"replicate"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Replicate == nil ||
			req.Replicate.DestinationRegion != cbrtest.DestinationRegion || req.Replicate.DestinationVaultID != benchCBRDstVault {
			bad("Invalid request body")
			return
		}
		id := segs[3]
		fmt.Fprintf(w, `{"replication":{"backup_id":%q,"destination_project_id":%q,"destination_region":%q,"destination_vault_id":%q,`+
			`"project_id":%q,"provider_id":%q,"replication_record_id":%q,"source_region":%q}}`,
			id, req.Replicate.DestinationProjectID, cbrtest.DestinationRegion, benchCBRDstVault,
			cbrtest.ProjectID, cbrtest.ProviderServer, benchCBRRecordID(id), cbrtest.Region)
	case len(segs) == 4 && r.Method == http.MethodGet:
		s.listed.Add(1)
		buf := append([]byte(`{"backup":`), benchCheapCBRBackup(nil, segs[3], true)...)
		w.Write(append(buf, '}'))
	case len(segs) == 3 && r.Method == http.MethodGet:
		q := r.URL.Query()
		if q.Get("vault_id") != benchCBRSrcVault {
			bad("this server lists the backups of one vault")
			return
		}
		limit, offset := 1000, 0
		if v := q.Get("limit"); v != "" {
			if l, err := strconv.Atoi(v); err != nil || l < 1 || l > 1000 {
				bad("Invalid parameter limit")
				return
			} else {
				limit = l
			}
		}
		if v := q.Get("offset"); v != "" {
			if o, err := strconv.Atoi(v); err != nil || o < 0 {
				bad("Invalid parameter offset")
				return
			} else {
				offset = o
			}
		}
		records := q.Get("show_replication") == "true"
		end := min(offset+limit, s.backups)
		buf := append(make([]byte, 0, 1200*max(end-offset, 0)+64), `{"backups":[`...)
		for i := offset; i < end; i++ {
			if i > offset {
				buf = append(buf, ',')
			}
			buf = benchCheapCBRBackup(buf, benchCBRBackupID(i), records)
		}
		buf = fmt.Appendf(buf, `],"count":%d,"offset":%d,"limit":%d}`, s.backups, offset, limit)
		s.listed.Add(int64(max(end-offset, 0)))
		w.Write(buf)
	default:
		http.NotFound(w, r)
	}
}

// benchCBRRecordID is the replication record of backup id.
func benchCBRRecordID(id string) string { return benchCBRRecord + id[len(benchCBRBackup):] }

// benchCheapCBRBackup appends backup id, replicating to benchCBRDstVault
// (its record only if records), to buf.
func benchCheapCBRBackup(buf []byte, id string, records bool) []byte {
	const at = `"2026-12-01T01:24:12.423706"`
	buf = fmt.Appendf(buf, `{"id":%q,"name":"autobk_%s","status":"available","image_type":"backup","vault_id":%q,`+
		`"resource_id":"c6a1f0e2-93b4-4d7e-8a15-%s","resource_name":"ecs-%s","resource_type":"OS::Nova::Server","resource_az":"cn-north-4a",`+
		`"resource_size":40,"checkpoint_id":"e1d2c3b4-a596-4788-9a0b-%s","description":"","parent_id":"","project_id":%q,`+
		`"provider_id":%q,"enterprise_project_id":"0","protected_at":%s,"created_at":%s,"updated_at":%s,"incremental":false,"replication_records":[`,
		id, id[len(id)-4:], benchCBRSrcVault, id[len(benchCBRBackup):], id[len(id)-4:], id[len(benchCBRBackup):],
		cbrtest.ProjectID, cbrtest.ProviderServer, at, at, at)
	if records {
		buf = fmt.Appendf(buf, `{"id":%q,"status":"replicating","created_at":%s,"destination_project_id":"dest","destination_region":%q,`+
			`"destination_vault_id":%q,"source_backup_id":%q,"source_checkpoint_id":"e1d2c3b4-a596-4788-9a0b-%s","source_project_id":%q,`+
			`"source_region":%q,"vault_id":%q,"extra_info":{"progress":10,"auto_trigger":false}}`,
			benchCBRRecordID(id), at, cbrtest.DestinationRegion, benchCBRDstVault, id, id[len(benchCBRBackup):],
			cbrtest.ProjectID, cbrtest.Region, benchCBRSrcVault)
	}
	return append(buf, "]}"...)
}

// benchCBRWaiters starts n CBR replications (of backups 0 to n-1) through
// one client.
func benchCBRWaiters(b *testing.B, endpoint string, rt http.RoundTripper, n int) (ws []benchWaiter, cleanup func()) {
	ctx := context.Background()
	c, err := cbr.NewClient(ctx, cbr.WithEndpoint(endpoint), cbr.WithRegion(cbrtest.Region),
		cbr.WithProjectID(cbrtest.ProjectID), cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey),
		cbr.WithHTTPClient(&http.Client{Transport: rt}))
	if err != nil {
		b.Fatal(err)
	}
	ws = benchStartCopies(b, n, func(i int) (benchWaiter, error) {
		op, err := c.CopyBackup(ctx, &cbr.CopyBackupRequest{BackupID: benchCBRBackupID(i), DestinationProjectID: "dest",
			DestinationRegion: cbrtest.DestinationRegion, DestinationVaultID: benchCBRDstVault})
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			_, err := op.Wait(ctx, lro.WithPollInterval(benchWaitInitial, benchWaitMax))
			return err
		}, nil
	})
	return ws, func() { c.Close() }
}

// benchCountPolls counts poll requests while counting is set.
type benchCountPolls struct {
	base     http.RoundTripper
	isPoll   func(*http.Request) bool
	counting atomic.Bool
	polls    atomic.Int64
}

func (c *benchCountPolls) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.counting.Load() && c.isPoll(r) {
		c.polls.Add(1)
	}
	return c.base.RoundTrip(r)
}

// benchPerOpRate returns the poll requests per second from benchWaitMemFrom
// to benchWaitMemTo of n Waits started at 0 that each poll on their own
// (one request a poll) on the schedule of BenchmarkWaitMem: the mean of 10
// seeded simulations of benchPollSchedule.
func benchPerOpRate(n int) float64 {
	r := rand.New(rand.NewPCG(16, 1000))
	total := 0
	for range 10 {
		for range n {
			benchPollSchedule(r, benchWaitInitial, benchWaitMax, benchWaitMemTo, func(t time.Duration) {
				if t >= benchWaitMemFrom {
					total++
				}
			})
		}
	}
	return float64(total) / 10 / (benchWaitMemTo - benchWaitMemFrom).Seconds()
}

// benchPollSchedule calls poll with the time of each poll before until of
// one Wait that starts at 0 with a known state (as after a copy call), on
// lro's schedule: sleep uniform in [d/4, d) (at least 1 ms), d from initial
// doubling up to maxInterval.
func benchPollSchedule(r *rand.Rand, initial, maxInterval, until time.Duration, poll func(time.Duration)) {
	t, d := time.Duration(0), initial
	for {
		floor := max(d/4, min(d, time.Millisecond))
		t += floor + time.Duration(r.Float64()*float64(d-floor))
		if t >= until {
			return
		}
		poll(t)
		d = min(2*d, maxInterval)
	}
}

// benchWaitMem starts n copies of cloud, waits on all of them at once and
// reports the figures described at the top of this file.
func benchWaitMem(b *testing.B, name string, n int, cloud benchWaitMemCloud) {
	tr := benchTransport()
	tr.MaxIdleConnsPerHost = 64
	counter := &benchCountPolls{base: tr, isPoll: cloud.isPoll}
	ops, answered, cleanup := cloud.start(b, n, counter)
	defer func() {
		cleanup()
		tr.CloseIdleConnections() // so that the next case does not see them go
	}()

	profile := os.Getenv(benchWaitMemProfileEnv)
	if profile != "" {
		benchWaitMemProfile(b, filepath.Join(profile, name), ".heap0", false)
	}
	// Two collections: what an earlier case left in sync.Pools survives the
	// first (as the pools' victims) and would be freed during the Waits.
	runtime.GC()
	debug.FreeOSMemory()
	var before, during runtime.MemStats
	runtime.ReadMemStats(&before)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup

	// The stack the runtime gives a new goroutine now (its starting size
	// follows the average stack in use at the last collection): n
	// goroutines that only wait, started just before the Waits' own.
	var idle, started runtime.MemStats
	runtime.ReadMemStats(&idle)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ctx.Done()
		}()
	}
	time.Sleep(50 * time.Millisecond) // until they wait (their sudogs are theirs)
	runtime.ReadMemStats(&started)
	newStack := float64(int64(started.StackInuse)-int64(idle.StackInuse)) / float64(n)
	before.StackInuse += started.StackInuse - idle.StackInuse
	before.HeapAlloc += started.HeapAlloc - idle.HeapAlloc

	var unexpected atomic.Int64
	t0 := time.Now()
	for _, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := op(ctx); err == nil || ctx.Err() == nil {
				unexpected.Add(1)
			}
		}()
	}

	time.Sleep(time.Until(t0.Add(200 * time.Millisecond)))
	debug.FreeOSMemory()
	runtime.ReadMemStats(&during)
	heap := float64(int64(during.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
	stack := float64(int64(during.StackInuse)-int64(before.StackInuse)) / float64(n)
	if profile != "" {
		benchWaitMemProfile(b, filepath.Join(profile, name), ".heap", true)
	}

	time.Sleep(time.Until(t0.Add(400 * time.Millisecond)))
	u0, s0 := benchCPUTime()
	w0 := time.Now()
	polls0 := counter.polls.Load()
	counter.counting.Store(true)
	time.Sleep(time.Until(t0.Add(900 * time.Millisecond)))
	u1, s1 := benchCPUTime()
	idleCPU := float64(u1-u0+s1-s0) / float64(time.Millisecond) / time.Since(w0).Seconds()
	if p := counter.polls.Load() - polls0; p > 0 {
		b.Errorf("%d poll requests before 0.9 s, when none is due", p)
	}

	time.Sleep(time.Until(t0.Add(benchWaitMemFrom)))
	p0, l0, w1 := counter.polls.Load(), answered.Load(), time.Now()
	time.Sleep(time.Until(t0.Add(benchWaitMemTo)))
	p1, l1, secs := counter.polls.Load(), answered.Load(), time.Since(w1).Seconds()
	cancel()
	wg.Wait()
	if u := unexpected.Load(); u > 0 {
		b.Fatalf("%d Waits ended other than by cancellation", u)
	}
	b.ReportMetric(heap, "heap-B/waiting-op")
	b.ReportMetric(stack, "stack-B/waiting-op")
	b.ReportMetric(heap+stack, "B/waiting-op")
	b.ReportMetric(newStack, "new-goroutine-stack-B")
	b.ReportMetric(idleCPU, "idle-cpu-ms/s")
	b.ReportMetric(float64(p1-p0)/secs, "poll-req/s")
	b.ReportMetric(benchPerOpRate(n), "per-op-req/s")
	b.ReportMetric(float64(l1-l0)/secs, "polled-ops/s")
	b.ReportMetric(0, "ns/op")
}

// benchWaitMemProfile writes the heap profile (after a GC) to path+ext
// and, if stacks, the stacks of all goroutines to path.stacks.
func benchWaitMemProfile(b *testing.B, path, ext string, stacks bool) {
	runtime.GC()
	var heap bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&heap, 0); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path+ext, heap.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	if !stacks {
		return
	}
	buf := make([]byte, 64<<20)
	if err := os.WriteFile(path+".stacks", buf[:runtime.Stack(buf, true)], 0o644); err != nil {
		b.Fatal(err)
	}
}

// benchCheapOperationsPage renders the page of a Google operations list
// that starts at offset off (the page token) and holds up to size of the n
// running copies w00000..., each rendered by op, and returns it with the
// number of operations on it.
func benchCheapOperationsPage(off, size, n int, op func(buf []byte, id string) []byte) ([]byte, int) {
	end := min(off+size, n)
	buf := append(make([]byte, 0, 512*max(end-off, 0)+64), `{"operations":[`...)
	for i := off; i < end; i++ {
		if i > off {
			buf = append(buf, ',')
		}
		buf = op(buf, fmt.Sprintf("w%05d", i))
	}
	buf = append(buf, ']')
	if end < n {
		buf = append(buf, `,"nextPageToken":"`...)
		buf = strconv.AppendInt(buf, int64(end), 10)
		buf = append(buf, '"')
	}
	return append(buf, '}'), max(end-off, 0)
}
