package faultsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// ---- goroutine leaks ----

// labelKey tags every goroutine a run starts (directly or not): goroutines
// inherit pprof labels from the goroutine that starts them, so the goroutine
// profile tells which ones a run left behind even with runs in parallel.
const labelKey = "faultsuite-run"

var runSeq atomic.Int64

// labeled runs f with a fresh run label and returns the label.
func labeled(ctx context.Context, f func(ctx context.Context)) string {
	id := fmt.Sprintf("r%d", runSeq.Add(1))
	pprof.Do(ctx, pprof.Labels(labelKey, id), f)
	return id
}

// goroutinesOf returns the stacks of live goroutines carrying run label id.
func goroutinesOf(id string) string {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
	want := fmt.Sprintf("%q:%q", labelKey, id)
	var out []string
	for _, grp := range strings.Split(buf.String(), "\n\n") {
		if strings.Contains(grp, "# labels: ") && strings.Contains(grp, want) {
			out = append(out, grp)
		}
	}
	return strings.Join(out, "\n\n")
}

// settleLeaks waits (up to 5 s, polling) until no goroutine of run id is
// left, and returns the leftover stacks otherwise. Only a goroutine that
// never ends can make it fail; the wait is not a timing assertion.
func settleLeaks(id string) string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := goroutinesOf(id)
		if left == "" || time.Now().After(deadline) {
			return left
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ---- context overrun ----

// maxOverrun is the bound no call may outlive its context by. It is far
// below any backoff or poll interval (a call that waited one out would
// exceed it), and far above scheduling delays on a loaded two-core machine
// under the race detector (127 ms was seen there with a 100 ms bound), so it
// catches a call that ignores its context without failing on a busy CI.
const maxOverrun = time.Second

// timed runs call with a context that ends after d, and returns its error
// and how long after the deadline it returned (0 if the context had not
// ended).
func timed(parent context.Context, d time.Duration, call func(ctx context.Context) error) (error, time.Duration) {
	ctx, cancel := context.WithTimeout(parent, d)
	defer cancel()
	err := call(ctx)
	if ctx.Err() == nil {
		return err, 0
	}
	dl, _ := ctx.Deadline()
	return err, max(time.Since(dl), 0)
}

// ---- logs ----

// logRecord is one slog record, flattened.
type logRecord struct {
	Level slog.Level
	Msg   string
	Attrs map[string]any
}

// logSink is a slog.Handler that keeps every record (all levels) and the
// text a JSON handler would have written.
type logSink struct {
	mu      sync.Mutex
	records []logRecord
	text    bytes.Buffer
	json    slog.Handler
}

func newLogSink() *logSink {
	s := &logSink{}
	s.json = slog.NewJSONHandler(&lockedWriter{s: s}, &slog.HandlerOptions{Level: slog.LevelDebug})
	return s
}

type lockedWriter struct{ s *logSink }

func (w *lockedWriter) Write(p []byte) (int, error) { return w.s.text.Write(p) }

func (s *logSink) Logger() *slog.Logger { return slog.New(s) }

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *logSink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *logSink) WithGroup(string) slog.Handler            { return s }
func (s *logSink) Handle(ctx context.Context, r slog.Record) error {
	rec := logRecord{Level: r.Level, Msg: r.Message, Attrs: map[string]any{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.Resolve().Any()
		return true
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, rec)
	return s.json.Handle(ctx, r)
}

func (s *logSink) Records() []logRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]logRecord(nil), s.records...)
}

func (s *logSink) Text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.text.String()
}

// retryClass names why an attempt was retried, from its record's kind, sent
// and recovery: "auth-expired" (a fresh credential), "clock-skew" (a
// corrected clock), "unsent" (a transient failure before the request left),
// else the kind ("transient", "throttled").
func retryClass(a map[string]any) string {
	switch {
	case a["recovery"] == "refresh":
		return "auth-expired"
	case a["recovery"] == "resign":
		return "clock-skew"
	case a["kind"] == "transient" && a["sent"] == "never":
		return "unsent"
	}
	s, _ := a["kind"].(string)
	return s
}

// retries returns the retry records ("backupcopy: retrying") of class c ("" any).
func (s *logSink) retries(class string) []logRecord {
	var out []logRecord
	for _, r := range s.Records() {
		if r.Msg == "backupcopy: retrying" && (class == "" || retryClass(r.Attrs) == class) {
			out = append(out, r)
		}
	}
	return out
}

// maxDelay returns the longest retry delay logged for class c.
func (s *logSink) maxDelay(class string) time.Duration {
	var d time.Duration
	for _, r := range s.retries(class) {
		if v, ok := r.Attrs["delay"].(time.Duration); ok {
			d = max(d, v)
		}
	}
	return d
}

// ---- credentials ----

// countingTokenSource hands out "<prefix>-1", "<prefix>-2", ... valid for an
// hour, counting the calls (refreshes).
type countingTokenSource struct {
	prefix string
	n      atomic.Int32
}

func (s *countingTokenSource) Token() (*oauth2.Token, error) {
	n := s.n.Add(1)
	return &oauth2.Token{AccessToken: fmt.Sprintf("%s-%d", s.prefix, n), TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}, nil
}

func (s *countingTokenSource) first() string { return s.prefix + "-1" }

// iamFake is a minimal Huawei IAM: POST /v3/auth/tokens answers tokens
// "<prefix>-1", "<prefix>-2", ... (24 hours) and counts them.
type iamFake struct {
	srv       *httptest.Server
	prefix    string
	n         atomic.Int32
	passwords sync.Map // every password it was sent
	onToken   func(tok string)
}

func newIAMFake(prefix string, onToken func(string)) *iamFake {
	f := &iamFake{prefix: prefix, onToken: onToken}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v3/auth/tokens" {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Auth struct {
				Identity struct {
					Password struct {
						User struct {
							Password string `json:"password"`
						} `json:"user"`
					} `json:"password"`
				} `json:"identity"`
			} `json:"auth"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		f.passwords.Store(req.Auth.Identity.Password.User.Password, true)
		tok := fmt.Sprintf("%s-%d", f.prefix, f.n.Add(1))
		if f.onToken != nil {
			f.onToken(tok)
		}
		now := time.Now().UTC()
		w.Header().Set("X-Subject-Token", tok)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"token":{"issued_at":%q,"expires_at":%q,"methods":["password"]}}`,
			now.Format(time.RFC3339Nano), now.Add(24*time.Hour).Format(time.RFC3339Nano))
	}))
	return f
}

func (f *iamFake) first() string { return f.prefix + "-1" }

// TestLeakDetector: the run label follows goroutines started inside a run,
// and only those, so a goroutine left behind is seen.
func TestLeakDetector(t *testing.T) {
	release := make(chan struct{})
	done := make(chan struct{})
	id := labeled(context.Background(), func(ctx context.Context) {
		go func() {
			go func() { <-release; close(done) }() // a grandchild
			<-release
		}()
	})
	other := make(chan struct{})
	go func() { <-other }() // not in the run
	defer close(other)
	if left := goroutinesOf(id); strings.Count(left, "# labels:") == 0 || !strings.Contains(left, "TestLeakDetector") {
		t.Fatalf("the run's goroutines are not seen:\n%s", left)
	}
	close(release)
	<-done
	if left := settleLeaks(id); left != "" {
		t.Fatalf("goroutines reported after they ended:\n%s", left)
	}
}
