package fleet

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/backupcopy/backupcopy"
)

// Problem is what is wrong with one copy of a plan.
type Problem struct {
	// Key is the copy's key ("#N" for a copy without one, N counting from 1).
	Key string
	// Err says what is wrong.
	Err error
}

// PlanError lists every bad copy of a plan. A run whose plan has any starts
// nothing.
type PlanError struct {
	// Problems has one entry per problem found, in plan order.
	Problems []Problem
}

// Error returns one line that names every bad copy.
func (e *PlanError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fleet: bad plan, nothing started: %d bad ", len(e.Problems))
	if len(e.Problems) == 1 {
		b.WriteString("copy: ")
	} else {
		b.WriteString("copies: ")
	}
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%q: %s", p.Key, oneLine(p.Err.Error()))
	}
	return b.String()
}

// ErrorKind makes a PlanError backupcopy.InvalidInput (give up: fix the plan).
func (e *PlanError) ErrorKind() backupcopy.Kind { return backupcopy.InvalidInput }

// Unwrap returns the problems' errors.
func (e *PlanError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p.Err
	}
	return errs
}

// StateError is a store that cannot serve the plan: it holds another plan,
// or this plan changed under keys it holds. Nothing is started or written.
type StateError struct {
	// Keys are the copies concerned, if any.
	Keys []string
	// Reason is the one-line explanation.
	Reason string
}

// Error returns the reason, prefixed "fleet: ".
func (e *StateError) Error() string { return "fleet: " + e.Reason }

// ErrorKind makes a StateError backupcopy.Conflict.
func (e *StateError) ErrorKind() backupcopy.Kind { return backupcopy.Conflict }

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

func keyLabel(i int, key string) string {
	if key == "" {
		return "#" + strconv.Itoa(i+1)
	}
	return key
}

// checkPlan runs the checks that need no I/O: keys, adapters, requests,
// routes, limit overrides.
func checkPlan(plan *Plan, opts *Options) *PlanError {
	var probs []Problem
	bad := func(i int, key string, format string, args ...any) {
		probs = append(probs, Problem{Key: keyLabel(i, key), Err: fmt.Errorf(format, args...)})
	}
	seen := make(map[string]int, len(plan.Copies))
	routes := make(map[[2]string]int, len(plan.Copies))
	targets := make(map[string]int)
	groups := make(map[string]bool)
	for i := range plan.Copies {
		c := &plan.Copies[i]
		if c.Key == "" {
			bad(i, "", "the copy has no key")
		} else if j, dup := seen[c.Key]; dup {
			bad(i, c.Key, "key used by copies #%d and #%d (keys must be unique)", j+1, i+1)
		} else {
			seen[c.Key] = i
		}
		if c.Adapter == nil {
			bad(i, c.Key, "the copy has no request (Adapter is nil)")
			continue
		}
		if err := c.Adapter.Validate(); err != nil {
			probs = append(probs, Problem{Key: keyLabel(i, c.Key), Err: err})
		}
		l := c.Adapter.Limit()
		groups[l.Group] = true
		rt := c.Adapter.Route()
		if rt.Source != "" || rt.Destination != "" {
			k := [2]string{rt.Source, rt.Destination}
			if j, dup := routes[k]; dup {
				bad(i, c.Key, "copies %s to %s, as copy %q does already (the same source to the same destination twice)", rt.Source, rt.Destination, keyLabel(j, plan.Copies[j].Key))
			} else {
				routes[k] = i
			}
		}
		if rt.Target != "" {
			if j, dup := targets[rt.Target]; dup {
				bad(i, c.Key, "makes %s, as copy %q does already", rt.Target, keyLabel(j, plan.Copies[j].Key))
			} else {
				targets[rt.Target] = i
			}
		}
	}
	for g, n := range opts.Limits {
		if n < 1 {
			probs = append(probs, Problem{Key: "limit " + g, Err: fmt.Errorf("limit %d is below 1 (Options.Limits)", n)})
		}
	}
	if len(probs) == 0 {
		return nil
	}
	return &PlanError{Problems: probs}
}

// preflight runs the adapters' Preflight reads for the copies at idx.
func preflight(ctx context.Context, plan *Plan, idx []int, conc int) *PlanError {
	probs := make([]error, len(idx))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for n, i := range idx {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			probs[n] = plan.Copies[i].Adapter.Preflight(ctx)
		}()
	}
	wg.Wait()
	var pe PlanError
	for n, err := range probs {
		if err != nil {
			pe.Problems = append(pe.Problems, Problem{Key: plan.Copies[idx[n]].Key, Err: err})
		}
	}
	if len(pe.Problems) == 0 {
		return nil
	}
	return &pe
}

// Preflight checks a plan without starting anything: keys, requests and
// routes (as Run does), then, unless opts.SkipPreflight, every copy's
// Preflight reads. It returns a *PlanError naming every bad copy, or nil.
func Preflight(ctx context.Context, plan Plan, opts Options) error {
	if pe := checkPlan(&plan, &opts); pe != nil {
		return pe
	}
	if opts.SkipPreflight {
		return nil
	}
	idx := make([]int, len(plan.Copies))
	for i := range idx {
		idx[i] = i
	}
	if pe := preflight(ctx, &plan, idx, opts.preflightConcurrency()); pe != nil {
		return pe
	}
	return nil
}
