// Package budget is a client's request budget: one token bucket that every
// request of the client (each attempt: calls, polls, lists, retries) takes
// from, so that a client waiting on thousands of copies stays below the
// API's request quota. Calls that change something (copy, create, delete,
// cancel) go before reads: while one waits for a token no read takes one,
// so polls never starve a copy. A throttling answer halves the rate for a
// while; each quiet period after that doubles it again, up to the set rate.
package budget

import (
	"context"
	"sync"
	"time"

	"github.com/backupcopy/backupcopy/internal/clock"
)

// Priority orders the requests that wait for a token.
type Priority int

const (
	// Write is a request that changes something: it goes first.
	Write Priority = iota
	// Read is a poll, list or get: it waits while a Write waits.
	Read
)

// Cooldown is how long a lowered rate stays before it is doubled again.
const Cooldown = time.Minute

// MinRate is the lowest rate throttling brings a budget down to (one
// request every ten seconds).
const MinRate = 0.1

// Budget is a token bucket. The zero value is not usable; a nil *Budget
// lets every request through at once. It is safe for concurrent use.
type Budget struct {
	clk   clock.Clock
	base  float64 // the set rate, requests a second
	burst float64

	mu      sync.Mutex
	rate    float64   // the current rate
	tokens  float64   // at last
	last    time.Time // when tokens was computed
	calm    time.Time // when the rate may next be raised
	writers int       // Writes waiting for a token
}

// New returns a budget of rate requests a second with bursts of up to
// burst requests (at least 1), on clk (nil: the wall clock). It starts full.
func New(rate float64, burst int, clk clock.Clock) *Budget {
	if clk == nil {
		clk = clock.Real
	}
	rate = max(rate, MinRate)
	b := &Budget{clk: clk, base: rate, burst: float64(max(burst, 1)), rate: rate, last: clk.Now()}
	b.tokens = b.burst
	return b
}

// Rate returns the current rate, requests a second.
func (b *Budget) Rate() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refillLocked(b.clk.Now())
	return b.rate
}

// refillLocked brings tokens and rate up to now.
func (b *Budget) refillLocked(now time.Time) {
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(b.burst, b.tokens+el.Seconds()*b.rate)
		b.last = now
	}
	for b.rate < b.base && !now.Before(b.calm) {
		b.rate = min(b.base, b.rate*2)
		b.calm = b.calm.Add(Cooldown)
	}
}

// Take waits for a token and takes it, or returns ctx.Err() if ctx ends
// first. A nil budget returns at once.
func (b *Budget) Take(ctx context.Context, p Priority) error {
	if b == nil {
		return ctx.Err()
	}
	waiting := false
	defer func() {
		if waiting {
			b.mu.Lock()
			b.writers--
			b.mu.Unlock()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.mu.Lock()
		now := b.clk.Now()
		b.refillLocked(now)
		ahead := b.writers
		if waiting {
			ahead-- // this Write itself
		}
		if b.tokens >= 1 && (p == Write || ahead == 0) {
			b.tokens--
			b.mu.Unlock()
			return nil
		}
		if p == Write && !waiting {
			waiting = true
			b.writers++
		}
		wait := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
		if p == Read && b.tokens >= 1 {
			wait = time.Duration(float64(time.Second) / b.rate) // let the Writes go first
		}
		b.mu.Unlock()
		if err := b.clk.Sleep(ctx, max(wait, time.Millisecond)); err != nil {
			return err
		}
	}
}

// Throttled lowers the rate after the service answered that the client
// sends too much: half the current rate (not below MinRate), raised again
// after Cooldown without another such answer.
func (b *Budget) Throttled() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clk.Now()
	b.refillLocked(now)
	b.rate = max(MinRate, b.rate/2)
	b.tokens = min(b.tokens, 0)
	b.calm = now.Add(Cooldown)
}
