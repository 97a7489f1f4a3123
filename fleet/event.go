package fleet

import "time"

// EventType says what happened to a copy.
type EventType int

const (
	// EventQueued: the copy is waiting to start (sent once per copy at the
	// start of a run, for copies not yet started).
	EventQueued EventType = iota
	// EventStarted: the cloud accepted the copy; Event.Name is its
	// operation. Event.Resumed is true for a copy started by an earlier
	// run or attempt and picked up again.
	EventStarted
	// EventProgress: a poll reported Event.Percent.
	EventProgress
	// EventRetried: the copy goes back in the queue for Event.Delay, after
	// a limit or throttling answer (Event.AtLimit, and the group's lowered
	// limit in Event.Limit) or a transient failure (Event.Err).
	EventRetried
	// EventDone: the copy finished; Event.Result names the new backup.
	EventDone
	// EventFailed: the copy failed for good; Event.Err says why.
	EventFailed
)

var eventNames = [...]string{EventQueued: "queued", EventStarted: "started", EventProgress: "progress", EventRetried: "retried", EventDone: "done", EventFailed: "failed"}

// String returns the type's name in lower case.
func (t EventType) String() string {
	if t < 0 || int(t) >= len(eventNames) {
		return "unknown"
	}
	return eventNames[t]
}

// Event is something that happened to one copy of a run.
type Event struct {
	// Type says what happened.
	Type EventType
	// Key is the copy's key.
	Key string
	// Cloud is its adapter's Cloud().
	Cloud string
	// Group is the copy's limit group.
	Group string
	// Limit is the group's current limit.
	Limit int
	// Name is the copy's operation (its resume token), once started.
	Name string
	// Resumed marks an EventStarted for a copy started earlier.
	Resumed bool
	// Percent is the progress (0-100), or -1 if the cloud reports none.
	Percent int
	// Result names the new backup (EventDone).
	Result string
	// Err is why the copy failed (EventFailed) or was retried (EventRetried).
	Err error
	// AtLimit marks an EventRetried caused by a limit or throttling answer.
	AtLimit bool
	// Delay is how long a retried copy waits before it may start again.
	Delay time.Duration
	// Attempt counts the start requests sent for the copy so far.
	Attempt int
	// Totals counts the run's copies by state after this event.
	Totals Totals
}

// Totals counts a run's copies by state.
type Totals struct {
	// Queued, Starting, Running, Done and Failed count the copies in each
	// State.
	Queued, Starting, Running, Done, Failed int
}

// All returns the number of copies.
func (t Totals) All() int { return t.Queued + t.Starting + t.Running + t.Done + t.Failed }

func (t *Totals) add(s State, n int) {
	switch s {
	case Queued:
		t.Queued += n
	case Starting:
		t.Starting += n
	case Running:
		t.Running += n
	case Done:
		t.Done += n
	case Failed:
		t.Failed += n
	}
}
