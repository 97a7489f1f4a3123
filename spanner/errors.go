package spanner

import (
	"encoding/json"
	"time"

	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/gapi"
)

// Error is an error reported by the Spanner Database Admin API, either for a call or as a
// failed operation's result (from Wait). status.Code(err) is its canonical
// code, read from the answer's "status" field (so a 409 ALREADY_EXISTS is
// codes.AlreadyExists), and errors.As(err, &ae) with ae *apierror.APIError
// finds gax-go's view with Reason, Details and HTTPCode. ErrorKind says what
// it means on every cloud (backupcopy.KindOf).
type Error struct {
	// Operation is the call that failed, e.g. "CopyBackup".
	Operation string
	// HTTPStatus is the answer's HTTP status; 0 for an error that a finished
	// operation (or a backup's status) reports.
	HTTPStatus int
	// Code is the canonical code.
	Code codes.Code
	// Message is the service's message.
	Message string
	// RequestID is the id the service gave the request (a RequestInfo
	// detail or an X-Request-Id header), if any.
	RequestID string
	// RetryDelay is the RetryInfo delay, if the service sent one.
	RetryDelay time.Duration
	// Details holds each error detail object as sent (JSON), of known types
	// or not.
	Details []json.RawMessage

	finished bool // a finished operation's own error
	st       *status.Status
	api      *apierror.APIError
}

func init() {
	gapi.Register(service, func(e *gapi.Error) error {
		return &Error{Operation: e.Op, HTTPStatus: e.HTTPStatus, Code: e.Code, Message: e.Message, RequestID: e.RequestID,
			RetryDelay: e.RetryDelay, Details: e.RawDetails, finished: e.Finished, st: e.GRPCStatus(), api: e.API()}
	})
}

// Error returns "spanner: Operation: Code: message (HTTP status, request id
// ID) reason=REASON".
func (e *Error) Error() string {
	return gapi.Format(service, e.Operation, e.finished, e.Code, e.Message, e.HTTPStatus, e.RequestID, e.Reason())
}

// GRPCStatus returns the canonical status with its details, for status.Code
// and status.FromError.
func (e *Error) GRPCStatus() *status.Status {
	if e.st == nil {
		return status.New(e.Code, e.Message)
	}
	return e.st
}

// Unwrap returns gax-go's *apierror.APIError view, if there is one.
func (e *Error) Unwrap() error {
	if e.api == nil {
		return nil
	}
	return e.api
}

// Reason returns the ErrorInfo reason, if any.
func (e *Error) Reason() string {
	if e.api == nil {
		return ""
	}
	return e.api.Reason()
}

// ErrorKind says why the call failed: a finished operation's own error is
// CopyFailed; otherwise the code decides (UNAVAILABLE Transient,
// RESOURCE_EXHAUSTED Throttled or, for too many pending operations, AtLimit,
// NOT_FOUND NotFound, PERMISSION_DENIED and UNAUTHENTICATED
// PermissionDenied, ALREADY_EXISTS and FAILED_PRECONDITION Conflict, ...).
func (e *Error) ErrorKind() backupcopy.Kind {
	return gapi.Kind(e.Code, e.HTTPStatus, e.finished, e.Message, e.Reason(), e.RetryDelay)
}

// Is lets errors.Is(err, target) match another *Error by code alone, so
// callers can write errors.Is(err, &spanner.Error{Code: codes.NotFound}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Operation == "" && t.Message == "" && t.Code == e.Code
}
