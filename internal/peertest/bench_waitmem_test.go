package peertest

// The cost of waiting with shared polls (issue 16): n concurrent Waits on
// one client, against a cheap server that answers at once and keeps no
// record of the copies (only their count), with operations that never
// finish, so that what is measured is the client's, not a fake's:
//
//	go test -run '^$' -bench 'WaitMem' -benchtime 1x
//
// Each Wait uses lro.WithPollInterval(4s, 16s), as BenchmarkWaitAtScale
// does, so that no poll is due before 1 s. Reported per run:
//   - heap-B/waiting-op, stack-B/waiting-op and B/waiting-op: HeapInuse,
//     StackInuse and their sum with every Wait parked (after a GC), minus
//     the same before the Waits started (the client and the handles exist in
//     both), divided by n: the goroutine, its timer and context, and the
//     shared poller's watch entry.
//   - idle-cpu-ms/s: process CPU (user+system, getrusage) per wall second
//     from 0.4 s to 0.9 s, while nothing is due.
//   - poll-req/s: poll requests (Bigtable: operation lists and gets; FSx:
//     DescribeBackups) per second from 1 s to benchWaitMemTo, while the
//     Waits' first polls (spread over [1 s, 4 s)) fall due: per-operation
//     polling would make n/3 a second here. polled-ops/s: the operations
//     those requests answered for (list entries, ids), for comparison.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	benchWaitMemFrom = time.Second     // first poll due no earlier (4 s / 4)
	benchWaitMemTo   = 3 * time.Second // end of the poll window
)

// BenchmarkWaitMem measures 1,000 and 10,000 Waits on one Bigtable client
// and on one FSx client.
func BenchmarkWaitMem(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("bigtable-%d", n), func(b *testing.B) {
			for b.Loop() {
				srv := &benchCheapBigtable{}
				hs := httptest.NewServer(srv)
				benchWaitMem(b, n, benchBigtablePoll, func(rt http.RoundTripper) ([]benchWaiter, func()) {
					return benchBigtableWaiters(b, hs.URL, rt, n)
				}, &srv.listed)
				hs.Close()
			}
		})
		b.Run(fmt.Sprintf("fsx-%d", n), func(b *testing.B) {
			for b.Loop() {
				srv := &benchCheapFSx{}
				hs := httptest.NewServer(srv)
				benchWaitMem(b, n, benchFSxPoll, func(rt http.RoundTripper) ([]benchWaiter, func()) {
					return benchFSxWaiters(b, hs.URL, "backup-00000000000000000", rt, n)
				}, &srv.listed)
				hs.Close()
			}
		})
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
		n := int(s.copies.Load())
		end := min(off+size, n)
		buf := append(make([]byte, 0, 512*(end-off)+64), `{"operations":[`...)
		for i := off; i < end; i++ {
			if i > off {
				buf = append(buf, ',')
			}
			buf = benchCheapOperation(buf, fmt.Sprintf("w%05d", i))
		}
		buf = append(buf, ']')
		if end < n {
			buf = append(buf, `,"nextPageToken":"`...)
			buf = strconv.AppendInt(buf, int64(end), 10)
			buf = append(buf, '"')
		}
		buf = append(buf, '}')
		s.listed.Add(int64(max(end-off, 0)))
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

// benchWaitMem starts n copies with newWaiters, waits on all of them at once
// and reports the figures described at the top of this file; listed counts
// the operations the server has answered polls for.
func benchWaitMem(b *testing.B, n int, isPoll func(*http.Request) bool,
	newWaiters func(rt http.RoundTripper) ([]benchWaiter, func()), listed *atomic.Int64) {
	tr := benchTransport()
	tr.MaxIdleConnsPerHost = 64
	counter := &benchCountPolls{base: tr, isPoll: isPoll}
	ops, cleanup := newWaiters(counter)
	defer cleanup()

	debug.FreeOSMemory()
	var before, during runtime.MemStats
	runtime.ReadMemStats(&before)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
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
	heap := float64(int64(during.HeapInuse)-int64(before.HeapInuse)) / float64(n)
	stack := float64(int64(during.StackInuse)-int64(before.StackInuse)) / float64(n)

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
	p0, l0, w1 := counter.polls.Load(), listed.Load(), time.Now()
	time.Sleep(time.Until(t0.Add(benchWaitMemTo)))
	p1, l1, secs := counter.polls.Load(), listed.Load(), time.Since(w1).Seconds()
	cancel()
	wg.Wait()
	if u := unexpected.Load(); u > 0 {
		b.Fatalf("%d Waits ended other than by cancellation", u)
	}
	b.ReportMetric(heap, "heap-B/waiting-op")
	b.ReportMetric(stack, "stack-B/waiting-op")
	b.ReportMetric(heap+stack, "B/waiting-op")
	b.ReportMetric(idleCPU, "idle-cpu-ms/s")
	b.ReportMetric(float64(p1-p0)/secs, "poll-req/s")
	b.ReportMetric(float64(l1-l0)/secs, "polled-ops/s")
	b.ReportMetric(0, "ns/op")
}
