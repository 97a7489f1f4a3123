package faultproxy

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaults(t *testing.T) {
	var hits atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"host":"`+r.Host+`"}`)
	}))
	defer backend.Close()
	p, err := New(backend.URL)
	require.NoError(t, err)
	defer p.Close()
	p.Add(Rule{Match: Method("POST"), Faults: []Fault{
		{Kind: Refuse}, {Kind: LoseResponse}, {Kind: Status, Status: 503, Header: http.Header{"Retry-After": {"1"}}, Body: "busy"}, {Kind: Truncate},
	}})
	post := func() (*http.Response, error) {
		// a fresh transport per call so a dropped connection is not reused
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		return c.Post(p.URL()+"/x", "application/json", strings.NewReader(`{}`))
	}
	_, err = post()
	assert.Error(t, err, "refused")
	assert.Equal(t, int32(0), hits.Load())
	_, err = post()
	assert.Error(t, err, "lost response")
	assert.Equal(t, int32(1), hits.Load(), "the backend processed the lost request")
	resp, err := post()
	require.NoError(t, err)
	assert.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	resp.Body.Close()
	resp, err = post()
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body)
	assert.Error(t, err, "truncated body")
	resp, err = post()
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(b), `"ok":true`, "rules exhausted: pass")
	assert.Equal(t, 1, p.Count(Refuse))
	assert.Equal(t, 1, p.Count(LoseResponse))
}

func TestHangAndEndlessRespectClient(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer backend.Close()
	p, err := New(backend.URL)
	require.NoError(t, err)
	defer p.Close()
	p.Add(Rule{Faults: []Fault{{Kind: Hang}, {Kind: Endless}}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", p.URL(), nil)
	start := time.Now()
	_, err = http.DefaultClient.Do(req)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second)

	resp, err := http.Get(p.URL())
	require.NoError(t, err)
	n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	assert.Equal(t, int64(1<<20), n, "the body keeps coming")
}

func TestRefuseConnectForwardRepeatAndHeaders(t *testing.T) {
	var hits atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, `{}`)
	}))
	defer backend.Close()
	p, err := New(backend.URL)
	require.NoError(t, err)
	defer p.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: p.Transport(tr)}
	p.Add(Rule{Match: All(Method("POST"), PathSuffix("/refuse")), Faults: []Fault{{Kind: RefuseConnect}}})
	p.Add(Rule{Match: PathSuffix("/gw"), Faults: []Fault{{Kind: Status, Status: 504, Forward: true, DateOffset: 20 * time.Minute, RetryAfterIn: 2 * time.Second}}})
	p.Add(Rule{Match: PathSuffix("/always"), Repeat: true, Faults: []Fault{{Kind: Status, Status: 401}}})

	_, err = c.Post(p.URL()+"/refuse", "application/json", strings.NewReader(`{}`))
	var opErr *net.OpError
	require.ErrorAs(t, err, &opErr)
	assert.Equal(t, "dial", opErr.Op)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	assert.Equal(t, int32(0), hits.Load())
	assert.Equal(t, 1, p.Count(RefuseConnect))
	resp, err := c.Post(p.URL()+"/refuse", "application/json", strings.NewReader(`{}`))
	require.NoError(t, err, "the fault was used up")
	resp.Body.Close()
	assert.Equal(t, int32(1), hits.Load())

	start := time.Now()
	resp, err = c.Get(p.URL() + "/gw")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 504, resp.StatusCode)
	assert.Equal(t, int32(2), hits.Load(), "forwarded before the 504")
	d, err := http.ParseTime(resp.Header.Get("Date"))
	require.NoError(t, err)
	assert.InDelta(t, (20 * time.Minute).Seconds(), d.Sub(start).Seconds(), 5)
	ra, err := http.ParseTime(resp.Header.Get("Retry-After"))
	require.NoError(t, err)
	assert.True(t, !ra.Before(start.Add(time.Second)), "Retry-After %v is at least a second ahead of %v", ra, start)

	for range 3 {
		resp, err = c.Get(p.URL() + "/always")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 401, resp.StatusCode)
	}
	assert.Equal(t, int32(2), hits.Load())
	p.Clear()
	resp, err = c.Get(p.URL() + "/always")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "cleared")
	resp, err = c.Get(p.URL() + "/other")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
}

func TestBodies(t *testing.T) {
	assert.JSONEq(t, `{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.500s"}]}}`,
		GoogleError(429, "RESOURCE_EXHAUSTED", "slow down", 1500*time.Millisecond))
	assert.JSONEq(t, `{"error":{"code":503,"message":"x","status":"UNAVAILABLE"}}`, GoogleError(503, "UNAVAILABLE", "x", 0))
	assert.JSONEq(t, `{"error_code":"APIGW.0308","error_msg":"m","request_id":"r"}`, HuaweiError("APIGW.0308", "m", "r"))
	assert.JSONEq(t, `{"__type":"ThrottlingException","message":"m"}`, AWSJSONError("ThrottlingException", "m"))
	assert.Equal(t, "x", JSONHeader("X-Request-Id", "x").Get("X-Request-Id"))
}
