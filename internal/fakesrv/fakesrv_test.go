package fakesrv

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newTest serves an echo of the body length; "acted" counts requests the
// handler processed.
func newTest(t *testing.T, acted *atomic.Int32) *Server {
	s := New(Config{
		Operation: func(r *http.Request) string { return strings.TrimPrefix(r.URL.Path, "/") },
		Serve: func(w http.ResponseWriter, r *http.Request, b []byte, err error) {
			if err != nil {
				WriteJSON(w, 413, map[string]string{"error": err.Error()})
				return
			}
			if acted != nil {
				acted.Add(1)
			}
			WriteJSON(w, 200, map[string]int{"len": len(b)})
		},
		WriteFault: func(w http.ResponseWriter, r *http.Request, k FaultKind, ra time.Duration) {
			WriteJSON(w, map[FaultKind]int{Throttle: 429, ServerError: 503}[k], map[string]string{"fault": string(k), "retry": ra.String()})
		},
	})
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func TestServerLogsAndBounds(t *testing.T) {
	s := newTest(t, nil)
	resp, err := http.Post(s.URL()+"/x?y=1", "application/json", strings.NewReader(`{"a":1}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	resp, err = http.Post(s.URL()+"/big", "application/json", strings.NewReader(strings.Repeat("x", MaxBody+10)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 413, resp.StatusCode)
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "/x", reqs[0].Path)
	assert.Equal(t, "x", reqs[0].Operation)
	assert.Equal(t, "y=1", reqs[0].RawQuery)
	assert.Equal(t, `{"a":1}`, string(reqs[0].Body))
	assert.Equal(t, 1, s.CountRequests("big"))
	assert.Equal(t, 2, s.CountRequests(""))
}

func TestWithoutListener(t *testing.T) {
	s := New(Config{NoListener: true, Serve: func(w http.ResponseWriter, r *http.Request, b []byte, err error) {}})
	assert.Empty(t, s.URL())
	s.Close()
}

func post(t *testing.T, url string) (int, string, error) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader("{}")) // a POST is never retried by the transport
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func TestFaults(t *testing.T) {
	var acted atomic.Int32
	s := newTest(t, &acted)
	require.NoError(t, s.InjectFault(Fault{Operation: "a", Kind: Throttle, Times: 2, RetryAfter: time.Second}, testOps))
	require.NoError(t, s.InjectFault(Fault{Operation: "b", Kind: ServerError, AfterProcessing: true}, testOps))
	require.NoError(t, s.InjectFault(Fault{Operation: "c", Kind: LoseResponse}, testOps))

	code, body, err := post(t, s.URL()+"/b")
	require.NoError(t, err)
	assert.Equal(t, 503, code)
	assert.Equal(t, int32(1), acted.Load(), "after processing: acted, then failed")

	for range 2 {
		code, body, err = post(t, s.URL()+"/a")
		require.NoError(t, err)
		assert.Equal(t, 429, code)
		assert.Contains(t, body, `"retry":"1s"`)
	}
	code, _, err = post(t, s.URL()+"/a")
	require.NoError(t, err)
	assert.Equal(t, 200, code, "the throttle ran out after 2")

	_, _, err = post(t, s.URL()+"/c")
	require.Error(t, err, "the connection is dropped")
	assert.Equal(t, int32(3), acted.Load(), "the lost response was acted on")
	code, _, err = post(t, s.URL()+"/c")
	require.NoError(t, err)
	assert.Equal(t, 200, code)
	assert.Equal(t, 6, s.CountRequests(""), "faulted requests are logged too")
}

func TestFaultForDurationAndClear(t *testing.T) {
	s := newTest(t, nil)
	require.NoError(t, s.InjectFault(Fault{Kind: ServerError, For: time.Hour}, testOps))
	for range 3 {
		code, _, err := post(t, s.URL()+"/any")
		require.NoError(t, err)
		assert.Equal(t, 503, code)
	}
	s.ClearFaults()
	code, _, err := post(t, s.URL()+"/any")
	require.NoError(t, err)
	assert.Equal(t, 200, code)

	// An expired fault is dropped.
	s.faults = []*activeFault{{Fault: Fault{Kind: ServerError}, until: time.Now().Add(-time.Second)}}
	assert.Nil(t, s.takeFault("any", time.Now()))
}

func TestSlowFaultHonoursCancel(t *testing.T) {
	s := newTest(t, nil)
	require.NoError(t, s.InjectFault(Fault{Kind: Slow, Delay: time.Millisecond}, testOps))
	code, _, err := post(t, s.URL()+"/x")
	require.NoError(t, err)
	assert.Equal(t, 200, code, "a slow answer is still an answer")
}

// testOps are the operation names the test server knows.
var testOps = []string{"a", "b", "c"}

func TestCheckFault(t *testing.T) {
	for _, f := range []Fault{
		{Kind: "boom"},
		{Kind: Slow},
		{Kind: Throttle, Delay: time.Second},
		{Kind: ServerError, RetryAfter: time.Second},
		{Kind: LoseResponse, AfterProcessing: true},
		{Kind: Throttle, Times: -1},
		{Kind: Throttle, For: -time.Second},
		{Operation: "CopyBackups", Kind: Throttle}, // a misspelt name would never fire
	} {
		assert.Error(t, CheckFault(f, testOps), "%+v", f)
	}
	assert.NoError(t, CheckFault(Fault{Kind: Throttle, RetryAfter: time.Second, Times: 3}, testOps))
	assert.NoError(t, CheckFault(Fault{Operation: "a", Kind: Throttle}, testOps))
}

func TestProgress(t *testing.T) {
	start := time.Unix(1000, 0)
	assert.Equal(t, 0, Progress(start, 2*time.Second, start))
	assert.Equal(t, 50, Progress(start, 2*time.Second, start.Add(time.Second)))
	assert.Equal(t, 100, Progress(start, 2*time.Second, start.Add(3*time.Second)))
	assert.Equal(t, 100, Progress(start, 0, start))
	assert.Equal(t, 0, Progress(start, time.Second, start.Add(-time.Second)))
}
