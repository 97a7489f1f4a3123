package fakesrv

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// FaultKind is what an injected fault does. The fakes' own FaultKind types
// have the same values.
type FaultKind string

// The fault kinds.
const (
	// Throttle answers with the service's throttling error.
	Throttle FaultKind = "throttle"
	// ServerError answers with the service's 5xx error.
	ServerError FaultKind = "server-error"
	// LoseResponse acts on the request, then drops the connection.
	LoseResponse FaultKind = "lose-response"
	// Slow holds the answer for Fault.Delay, then answers normally.
	Slow FaultKind = "slow"
)

// Fault is a failure to inject into the requests of one operation. The
// fakes' own Fault types have the same fields.
type Fault struct {
	Operation       string
	Kind            FaultKind
	Times           int
	For             time.Duration
	Delay           time.Duration
	RetryAfter      time.Duration
	AfterProcessing bool
}

type activeFault struct {
	Fault
	left  int       // requests left (0: no count limit)
	until time.Time // zero: no time limit
}

// CheckFault returns an error naming what is wrong with f, or nil. known
// lists the operation names the fake serves: a fault for another name would
// never fire, so a test that injects it would test nothing.
func CheckFault(f Fault, known []string) error {
	if f.Operation != "" && !slices.Contains(known, f.Operation) {
		return fmt.Errorf("unknown fault operation %q (want one of %s, or \"\" for every request)", f.Operation, strings.Join(known, ", "))
	}
	switch f.Kind {
	case Throttle, ServerError, LoseResponse, Slow:
	default:
		return fmt.Errorf("unknown fault kind %q (want %s, %s, %s or %s)", f.Kind, Throttle, ServerError, LoseResponse, Slow)
	}
	switch {
	case f.Times < 0:
		return fmt.Errorf("fault Times %d is negative", f.Times)
	case f.For < 0:
		return fmt.Errorf("fault For %s is negative", f.For)
	case f.Kind == Slow && f.Delay <= 0:
		return fmt.Errorf("a %s fault needs a positive Delay", Slow)
	case f.Kind != Slow && f.Delay != 0:
		return fmt.Errorf("Delay applies to %s faults only", Slow)
	case f.RetryAfter < 0 || (f.RetryAfter > 0 && f.Kind != Throttle):
		return fmt.Errorf("RetryAfter applies to %s faults only and is not negative", Throttle)
	case f.AfterProcessing && f.Kind != Throttle && f.Kind != ServerError:
		return fmt.Errorf("AfterProcessing applies to %s and %s faults only", Throttle, ServerError)
	}
	return nil
}

// InjectFault adds f: it affects the next f.Times requests of f.Operation
// ("" every operation), or all of them for f.For from now, or, with both
// set, until either runs out; with neither, the next one. Faults apply in
// the order they were injected, one per request.
func (s *Server) InjectFault(f Fault, known []string) error {
	if err := CheckFault(f, known); err != nil {
		return err
	}
	a := &activeFault{Fault: f, left: f.Times}
	if f.For > 0 {
		a.until = time.Now().Add(f.For)
	} else if f.Times == 0 {
		a.left = 1
	}
	s.mu.Lock()
	s.faults = append(s.faults, a)
	s.mu.Unlock()
	return nil
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// takeFault returns the fault that applies to a request of operation op
// now, using one of its count.
func (s *Server) takeFault(op string, now time.Time) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = slices.DeleteFunc(s.faults, func(a *activeFault) bool { return !a.until.IsZero() && !now.Before(a.until) })
	for i, a := range s.faults {
		if a.Operation != "" && a.Operation != op {
			continue
		}
		if a.left > 0 {
			a.left--
			if a.left == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		f := a.Fault
		return &f
	}
	return nil
}
