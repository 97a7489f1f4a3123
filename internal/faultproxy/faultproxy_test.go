package faultproxy

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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
