package faultsuite

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/internal/faultproxy"
)

// TestLoggerRecordsAttempts checks, once per client, what WithLogger
// records. The records are written by internal/rest (*Client).log, for every
// attempt of every call: "backupcopy: retrying" at Info when the attempt
// failed and is retried (with the delay before the next attempt), and
// "backupcopy: attempt" at Debug otherwise (the attempt that succeeded, or
// the last failure). Each has service, op, method, path and attempt; status
// and request_id when there was an answer; error, kind and sent when it failed.
func TestLoggerRecordsAttempts(t *testing.T) {
	for _, a := range apis {
		t.Run(a.name, func(t *testing.T) {
			e := a.setup(t, setupOptions{})
			proxy, err := faultproxy.New(e.url)
			if err != nil {
				t.Fatal(err)
			}
			defer proxy.Close()
			body, hdr := a.serverError(503)
			hdr = hdr.Clone()
			hdr.Set("X-Request-Id", "rid-log-503")
			hdr.Set("X-Amzn-Requestid", "rid-log-503")
			proxy.Add(faultproxy.Rule{Match: a.match[kindGet], Faults: []faultproxy.Fault{{Kind: faultproxy.Status, Status: 503, Body: body, Header: hdr}}})
			logs := newLogSink()
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := e.newClient(ctx, proxy.URL(), &http.Client{Transport: proxy.Transport(tr)}, logs.Logger())
			if err != nil {
				t.Fatal(err)
			}
			op, err := c.Copy(ctx)
			if err != nil {
				t.Fatal(err)
			}
			id, err := op.Wait(ctx, fastPoll)
			if err != nil {
				t.Fatal(err)
			}
			before := len(logs.Records())
			if err := c.Get(ctx, id); err != nil {
				t.Fatal(err)
			}
			recs := logs.Records()[before:]
			if proxy.Count(faultproxy.Status) != 1 {
				t.Fatal("the 503 was not injected")
			}
			var retry, next *logRecord
			for i := range recs {
				r := &recs[i]
				if r.Msg == "backupcopy: retrying" && retry == nil {
					retry = r
				} else if retry != nil && next == nil {
					next = r
				}
			}
			if retry == nil {
				t.Fatalf("no retry record; records: %v", recs)
			}
			for _, k := range []string{"service", "op", "method", "path", "status", "attempt", "delay", "request_id", "error", "kind", "sent"} {
				if _, ok := retry.Attrs[k]; !ok {
					t.Errorf("the retry record has no %q: %v", k, retry.Attrs)
				}
			}
			if retry.Attrs["status"] != int64(503) || retry.Attrs["attempt"] != int64(1) || retry.Attrs["request_id"] != "rid-log-503" || retry.Attrs["kind"] != "transient" || retry.Attrs["sent"] != "yes" {
				t.Errorf("retry record %v", retry.Attrs)
			}
			if _, ok := retry.Attrs["delay"].(time.Duration); !ok {
				t.Errorf("delay is %T", retry.Attrs["delay"])
			}
			if p, _ := retry.Attrs["path"].(string); !strings.HasPrefix(p, "/") {
				t.Errorf("path %q", p)
			}
			// the attempt that succeeded is recorded too
			if next == nil {
				t.Fatalf("the successful attempt after the retry was not logged; records: %v", recs)
			}
			if next.Attrs["attempt"] != int64(2) || next.Attrs["status"] == nil || next.Attrs["op"] != retry.Attrs["op"] {
				t.Errorf("the record after the retry is %q %v; want attempt 2 of %v with its status", next.Msg, next.Attrs, retry.Attrs["op"])
			}
			if _, failed := next.Attrs["error"]; failed {
				t.Errorf("the successful attempt is logged with an error: %v", next.Attrs)
			}
			if err := c.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}
