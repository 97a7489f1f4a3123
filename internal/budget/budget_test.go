package budget

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/internal/clock"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Requests beyond the burst are paced at the rate: the fake clock's time
// after n takes is (n - burst) / rate.
func TestBudgetPaces(t *testing.T) {
	clk := clock.NewFake(t0)
	b := New(2, 4, clk)
	for range 24 {
		if err := b.Take(context.Background(), Read); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := clk.Now().Sub(t0), 10*time.Second; got < want-time.Millisecond || got > want+10*time.Millisecond {
		t.Errorf("24 takes at 2/s with a burst of 4 took %v, want %v", got, want)
	}
}

// A nil budget lets everything through.
func TestNilBudget(t *testing.T) {
	var b *Budget
	if err := b.Take(context.Background(), Write); err != nil {
		t.Fatal(err)
	}
	b.Throttled()
}

// While a Write waits, no Read takes a token; the Write takes it.
func TestWritesGoFirst(t *testing.T) {
	clk := clock.NewFake(t0)
	b := New(1, 1, clk)
	b.writers = 1 // a Write is waiting
	ctx, cancel := context.WithCancel(context.Background())
	sleeps := 0
	clk.OnSleep = func(time.Duration) {
		if sleeps++; sleeps == 5 {
			cancel()
		}
	}
	if err := b.Take(ctx, Read); !errors.Is(err, context.Canceled) {
		t.Fatalf("a Read took a token while a Write waited: %v", err)
	}
	b.writers = 0
	clk.OnSleep = nil
	if err := b.Take(context.Background(), Write); err != nil {
		t.Fatal(err)
	}
	if b.writers != 0 {
		t.Errorf("writers %d after the Write", b.writers)
	}
}

// A throttled answer halves the rate; each Cooldown without one doubles it
// back up to the set rate; never below MinRate.
func TestThrottledLowersThenRecovers(t *testing.T) {
	clk := clock.NewFake(t0)
	b := New(4, 10, clk)
	b.Throttled()
	if r := b.Rate(); r != 2 {
		t.Fatalf("after one throttle: %v/s, want 2", r)
	}
	b.Throttled()
	if r := b.Rate(); r != 1 {
		t.Fatalf("after two: %v/s, want 1", r)
	}
	clk.Advance(Cooldown)
	if r := b.Rate(); r != 2 {
		t.Errorf("one cooldown later: %v/s, want 2", r)
	}
	clk.Advance(Cooldown)
	if r := b.Rate(); r != 4 {
		t.Errorf("two cooldowns later: %v/s, want 4", r)
	}
	clk.Advance(10 * Cooldown)
	if r := b.Rate(); r != 4 {
		t.Errorf("never above the set rate: %v/s", r)
	}
	for range 20 {
		b.Throttled()
	}
	if r := b.Rate(); r != MinRate {
		t.Errorf("floor: %v/s, want %v", r, MinRate)
	}
}
