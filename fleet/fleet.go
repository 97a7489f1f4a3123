package fleet

import (
	"context"
	"time"

	"github.com/backupcopy/backupcopy/lro"
)

// Plan is a set of copies to make as one run.
type Plan struct {
	// Name identifies the plan in its state file: a state file made by a
	// plan of another name is refused. Empty means "fleet".
	Name string
	// Copies are the copies to make, each with a key unique in the plan.
	Copies []Copy
}

// Copy is one item of a plan: a stable key and the service's copy request,
// as the service package's adapter (for example *fsx.FleetCopy).
type Copy struct {
	// Key names the copy in the plan, the state file, events and results.
	// It must be unique in the plan and stay the same when the plan is run
	// again: the token or id the copy uses is derived from the run and the
	// key, so that a resumed run asks for the same copy.
	Key string
	// Adapter is the copy request of one service.
	Adapter Adapter
}

// Adapter is one copy request of one service, as its package offers it
// (bigtable.FleetCopy, spanner.FleetCopy, spanner.FleetCreate,
// cbr.FleetCopy, fsx.FleetCopy). The runner calls its methods from several
// goroutines at once, but never two calls for the same copy at the same time.
// An adapter works through its client's public API only, and returns that
// client's errors unchanged, so that the runner can decide on them with
// backupcopy.ClassOf and backupcopy.KindOf.
type Adapter interface {
	// Cloud names the service: "bigtable", "spanner", "cbr" or "fsx".
	Cloud() string
	// Limit returns the limit group the copy counts against while it is in
	// progress, and that group's default limit.
	Limit() Limit
	// Route returns what the copy reads and writes, so that a plan copying
	// the same source to the same destination twice is refused.
	Route() Route
	// Digest returns a digest of the request (its content, not its client):
	// a plan that changes the request under the same key is refused.
	Digest() string
	// Validate checks the request without I/O.
	Validate() error
	// Preflight checks, through the client, what the copy needs before it
	// can start (for example that the source backup is ready and is not
	// itself a copy). It returns one error naming every problem it found.
	Preflight(ctx context.Context) error
	// Start sends the copy request and returns the operation's name (the
	// client's resume token). It uses a.Token, or an id in the request, so
	// that the cloud recognises the same copy asked for again.
	Start(ctx context.Context, a Attempt) (name string, err error)
	// Find looks for the copy that an earlier Start may have made without
	// its answer being recorded (a crash, a lost answer), and returns the
	// name of its operation, or "" if there is none and sending the request
	// is safe.
	Find(ctx context.Context, a Attempt) (name string, err error)
	// Wait follows the operation called name to its end and returns the new
	// backup's name or id. opts carry the runner's poll schedule and
	// progress callback.
	Wait(ctx context.Context, name string, opts ...lro.WaitOption) (result string, err error)
}

// Attempt is what an adapter needs to start or find its copy.
type Attempt struct {
	// RunID identifies the run (it is stored in the state file).
	RunID string
	// Key is the copy's key in the plan.
	Key string
	// Token is derived from RunID and Key (see Token): at most 63
	// characters of letters, digits, '_', '.' and '-', the same on every
	// attempt and after a resume. FSx sends it as its ClientRequestToken.
	Token string
	// Since is when the copy was first recorded as starting, the same on
	// every attempt and after a resume. Adapters use it to date relative
	// expiry times and to look for a copy started by an earlier attempt.
	Since time.Time
}

// Limit is the group a copy counts against while it is in progress (from
// its start until it is done or failed) and the group's default limit.
type Limit struct {
	// Group names what the limit counts, for example
	// "fsx/eu-west-1" (copies in progress into one region) or
	// "spanner-create/projects/p/instances/i/databases/d".
	Group string
	// Max is the default number of copies of the group in progress at once
	// (at least 1); Options.Limits overrides it per group.
	Max int
	// Source says where Max comes from (a documented limit, or why a
	// conservative default was chosen); it is shown in go doc and reports.
	Source string
}

// Route is what a copy reads and where it writes. Two copies of a plan
// with the same Source and Destination are refused, as are two with the
// same non-empty Target.
type Route struct {
	// Source is the source backup (or database), as a full name.
	Source string
	// Destination is where the copy goes: a cluster, instance, region or
	// vault.
	Destination string
	// Target is the new backup's full name where the request fixes it
	// (Google); empty where the cloud assigns it (FSx, CBR).
	Target string
}

// Options tune a run. The zero value is usable: an in-memory store (no
// resume), the adapters' default limits, no events.
type Options struct {
	// Store keeps the run's state. Nil: an in-memory store, which does not
	// survive the process; use journal.Open for a state file.
	Store Store
	// RunID is the id of a new run (one whose store is empty); it is ignored
	// when the store holds a run. Empty: a random id. Tokens derive from it,
	// so a new run never reuses an old run's FSx tokens.
	RunID string
	// Limits overrides the default limit of groups by name (Limit.Group).
	// A value below 1 is refused.
	Limits map[string]int
	// OnEvent receives every event. Calls are serialized (never two at
	// once) and made from the runner's goroutines: return quickly.
	OnEvent func(Event)
	// WaitOptions are passed to every adapter's Wait (for example
	// lro.WithPollInterval); the runner adds its progress callback.
	WaitOptions []lro.WaitOption
	// Backoff is the first delay after a limit or transient answer, doubled
	// on every further one and drawn with jitter from [d/2, d). Zero: 2 s.
	Backoff time.Duration
	// MaxBackoff caps the delay. Zero: 2 minutes.
	MaxBackoff time.Duration
	// MaxAttempts bounds the attempts of one copy that fail for reasons
	// other than a limit (transient errors, unknown outcomes, polls that keep
	// failing) before the copy is reported failed. Limit answers never count.
	// Zero: 8.
	MaxAttempts int
	// PreflightConcurrency bounds the preflight reads in flight. Zero: 8.
	PreflightConcurrency int
	// SkipPreflight skips the reads of Preflight (the checks without I/O
	// still run). For tests and for callers who ran Preflight themselves.
	SkipPreflight bool
}

func (o *Options) backoff() time.Duration {
	if o.Backoff > 0 {
		return o.Backoff
	}
	return 2 * time.Second
}

func (o *Options) maxBackoff() time.Duration {
	if o.MaxBackoff > 0 {
		return o.MaxBackoff
	}
	return 2 * time.Minute
}

func (o *Options) maxAttempts() int {
	if o.MaxAttempts > 0 {
		return o.MaxAttempts
	}
	return 8
}

func (o *Options) preflightConcurrency() int {
	if o.PreflightConcurrency > 0 {
		return o.PreflightConcurrency
	}
	return 8
}
