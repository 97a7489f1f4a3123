package rest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Mode says how safe it is to send a request more than once.
type Mode int

const (
	// NotIdempotent requests (the zero value) are sent again only when the
	// first attempt certainly did not take effect: the connection was never
	// made, the service throttled it (429 or a throttling code), or it was
	// rejected at the gate for an expired credential or a skewed clock.
	NotIdempotent Mode = iota
	// Idempotent requests (GET, list, poll, and creates that carry an
	// idempotency token or are recognised on replay) are also retried on
	// 5xx, lost responses and broken bodies.
	Idempotent
)

// Policy bounds retries. The zero value means the defaults.
type Policy struct {
	// MaxAttempts is the total number of attempts, first included (default 4).
	MaxAttempts int
	// BaseDelay is the backoff unit: the nth retry waits a random time in
	// [0, min(MaxDelay, BaseDelay·2ⁿ⁻¹)) (full jitter). Default 250ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff (default 20s).
	MaxDelay time.Duration
	// MaxHint is the longest server-requested delay (Retry-After, RetryInfo)
	// that is honoured; a longer one ends the call with the error (default 60s).
	MaxHint time.Duration
}

// Defaults for Policy, chosen to match what the official SDKs do (AWS: 3
// attempts, 20s cap; Google: 5 attempts with 1.3x growth) while keeping a call
// that is failing for good under half a minute.
const (
	DefaultMaxAttempts = 4
	DefaultBaseDelay   = 250 * time.Millisecond
	DefaultMaxDelay    = 20 * time.Second
	DefaultMaxHint     = 60 * time.Second
)

func (p Policy) withDefaults() Policy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.MaxHint <= 0 {
		p.MaxHint = DefaultMaxHint
	}
	return p
}

// backoff returns the full-jitter delay before retry number n (1-based).
func (p Policy) backoff(n int, rnd float64) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	return time.Duration(rnd * float64(d))
}

// ParseRetryAfter reads a Retry-After header value: delay-seconds or an
// HTTP-date (relative to now). It returns false for anything else, for a
// negative number, or for a value too large to be meaningful.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs < 0 || secs > 1<<31 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		d = 0
	}
	return d, true
}
