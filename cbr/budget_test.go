package cbr

import (
	"context"
	"testing"
	"time"
)

// Every request of a client, retries too, takes from its request budget,
// and a throttling answer slows the budget down: at 1 request a second in
// bursts of 1, the attempts are spaced by the budget (the fake clock's
// sleeps add up to at least a second per attempt after the first), and
// after the 429 the rate is halved, so the next requests are spaced by 2 s.
func TestRequestBudget(t *testing.T) {
	s := newStub(t)
	backup := map[string]any{"backup": map[string]any{"id": "b1", "status": "available", "image_type": "backup"}}
	s.on("GET", "/v3/"+testProject+"/backups/b1",
		jsonAnswer(200, backup),
		jsonAnswer(429, `{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached"}`),
		jsonAnswer(200, backup))
	c, clk := newTestClient(t, s.srv.URL, WithRequestBudget(1, 1))
	ctx := context.Background()
	start := clk.Now()
	for range 2 { // the second call: a 429, then a retry
		if _, err := c.GetBackup(ctx, "b1"); err != nil {
			t.Fatal(err)
		}
	}
	afterThrottle := clk.Now()
	if el := afterThrottle.Sub(start); el < 2*time.Second {
		t.Errorf("3 attempts at 1/s with a burst of 1 took %v of the budget's time, want at least 2 s", el)
	}
	for range 2 {
		if _, err := c.GetBackup(ctx, "b1"); err != nil {
			t.Fatal(err)
		}
	}
	if el := clk.Now().Sub(afterThrottle); el < 4*time.Second-time.Millisecond {
		t.Errorf("2 requests after a throttle took %v, want at least 4 s (rate halved to 0.5/s)", el)
	}
}
