// Package backupcopy holds what the four clients (bigtable, spanner, cbr and
// fsx) share in their public API, so that a program that copies on several
// clouds decides on their errors in one way.
//
// Every error that a client returns can be asked what to do next with
// ClassOf, whatever cloud it came from:
//
//	switch backupcopy.ClassOf(err) {
//	case backupcopy.RetryLater: // throttled, at a limit, transient: the same call may succeed later
//	case backupcopy.GiveUp:     // bad input, not found, permission, the copy failed: retrying will not help
//	case backupcopy.CheckFirst: // the outcome is unknown: find out whether the copy started before retrying
//	}
//
// KindOf says why, with one Kind per reason. A failed call also carries a
// *CallError (errors.As) with what a caller may log or decide on: whether the
// request reached the service (Sent), the attempts made, the operation, the
// HTTP status and the request id. Bad input found before any I/O is a
// *ValidationError naming the field and the rule. The ecosystem-specific
// views stay next to these: status.Code and *apierror.APIError for Bigtable
// and Spanner, smithy.APIError for FSx, *cbr.Error for CBR.
//
// These types live here, in the module's root package, because they are the
// one vocabulary of all four clients (and of the fleet runner built on them):
// a type in one service package would make the others import it, which the
// module's layout forbids, and a type in an internal package would not show
// its fields in go doc.
package backupcopy

import (
	"context"
	"errors"
	"strconv"
)

// Class is what a caller should do after an error: the decision that works
// the same way on all four clouds.
type Class int

const (
	// Unclassified is the class of nil and of an error that no client of this
	// module produced.
	Unclassified Class = iota
	// RetryLater means the same call may succeed later: the service
	// throttled it, a limit was reached, a failure was transient, or the
	// caller's context ended before the request could have had an effect.
	RetryLater
	// GiveUp means retrying will not help: the input is invalid, a resource
	// was not found, the credentials were refused, the request conflicts with
	// what exists, or the copy ran and failed.
	GiveUp
	// CheckFirst means the request may or may not have taken effect (its
	// answer was lost): find out whether the copy exists, for example by
	// resuming it or listing its operations, before sending it again.
	CheckFirst
)

// String returns "unclassified", "retry-later", "give-up" or "check-first".
func (c Class) String() string {
	switch c {
	case RetryLater:
		return "retry-later"
	case GiveUp:
		return "give-up"
	case CheckFirst:
		return "check-first"
	}
	return "unclassified"
}

// Kind is why a call failed. Each Kind belongs to one Class.
type Kind int

const (
	// KindUnknown is the kind of nil and of an error that no client of this
	// module produced (Class Unclassified).
	KindUnknown Kind = iota
	// Transient: a connection failure or a server error that may pass
	// (RetryLater).
	Transient
	// Throttled: the service asked for fewer requests (HTTP 429, a throttling
	// code, RESOURCE_EXHAUSTED for a request rate) (RetryLater).
	Throttled
	// AtLimit: a limit on work in progress was reached, such as FSx's five
	// copies in progress per destination region or Google's "too many pending
	// operations" (RetryLater, once some work has finished).
	AtLimit
	// Canceled: the caller's context ended before the request could have had
	// an effect (RetryLater).
	Canceled
	// InvalidInput: the request breaks a documented rule, found before any I/O
	// (a *ValidationError) or by the service (GiveUp).
	InvalidInput
	// NotFound: the source, destination or operation does not exist (GiveUp).
	NotFound
	// PermissionDenied: the credentials are missing, revoked, expired beyond
	// refresh, or lack a permission (GiveUp).
	PermissionDenied
	// Conflict: the request conflicts with what exists: a backup of that id
	// that is not this copy, a source that is not ready, a replica that
	// already exists (GiveUp).
	Conflict
	// CopyFailed: the copy started and the cloud reports that it failed or
	// was cancelled (GiveUp).
	CopyFailed
	// OutcomeUnknown: the request may have reached the service and its answer
	// was lost, so whether a copy started is unknown (CheckFirst).
	OutcomeUnknown
)

var kindNames = [...]string{
	KindUnknown:      "unknown",
	Transient:        "transient",
	Throttled:        "throttled",
	AtLimit:          "at-limit",
	Canceled:         "canceled",
	InvalidInput:     "invalid-input",
	NotFound:         "not-found",
	PermissionDenied: "permission-denied",
	Conflict:         "conflict",
	CopyFailed:       "copy-failed",
	OutcomeUnknown:   "outcome-unknown",
}

// String returns the kind's name in lower case with dashes, such as
// "at-limit".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// Class returns the class the kind belongs to.
func (k Kind) Class() Class {
	switch k {
	case Transient, Throttled, AtLimit, Canceled:
		return RetryLater
	case InvalidInput, NotFound, PermissionDenied, Conflict, CopyFailed:
		return GiveUp
	case OutcomeUnknown:
		return CheckFirst
	}
	return Unclassified
}

// Kinded is implemented by errors that know their Kind. Every error type of
// the four clients implements it; KindOf finds the first one in an error's
// chain.
type Kinded interface {
	error
	// ErrorKind returns why the call failed.
	ErrorKind() Kind
}

// KindOf returns why err happened: the Kind of the first error in its chain
// (errors.As) that implements Kinded. An error from the caller's context
// (context.Canceled, context.DeadlineExceeded) that no client classified is
// Canceled. Any other error, and nil, is KindUnknown.
func KindOf(err error) Kind {
	if err == nil {
		return KindUnknown
	}
	var k Kinded
	if errors.As(err, &k) {
		return k.ErrorKind()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Canceled
	}
	return KindUnknown
}

// ClassOf returns what to do after err: KindOf(err).Class().
func ClassOf(err error) Class { return KindOf(err).Class() }

// ValidationError reports a request value that breaks a documented rule. It
// is returned before any network I/O (Kind InvalidInput, class GiveUp) and
// names the field and the rule. It lives here rather than in each service
// package because the four clients check their requests with the same
// shared validators, so a program that copies on several clouds handles bad
// input with one type.
type ValidationError struct {
	// Field names the offending field, e.g. "CopyBackupRequest.BackupID".
	Field string
	// Rule says what the value must satisfy.
	Rule string
	// Value is the offending value (quoted and shortened in Error); empty when
	// the value is absent or must not be shown.
	Value string
}

// Error returns "invalid Field "Value": Rule". The client that returns it
// puts its package and operation in front ("fsx: CopyBackup: invalid ...").
func (e *ValidationError) Error() string {
	if e.Value == "" {
		return "invalid " + e.Field + ": " + e.Rule
	}
	v := e.Value
	if len(v) > 80 {
		v = v[:77] + "..."
	}
	return "invalid " + e.Field + " " + strconv.Quote(v) + ": " + e.Rule
}

// ErrorKind returns InvalidInput.
func (e *ValidationError) ErrorKind() Kind { return InvalidInput }
