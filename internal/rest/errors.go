package rest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/backupcopy/backupcopy"
)

// This file is the one error model of the four clients: what a failed
// attempt means (its Kind and whether it reached the server), the one rule
// that decides whether to send it again (Retryable, used for calls and for
// operation polls alike), and the *backupcopy.CallError every call returns.

// Hint is what a service adds to the Kind of an error answer: whether a
// fresh credential or a corrected clock may cure it, and the service's
// requested delay.
type Hint struct {
	// Refresh: the credential was refused as expired. The authenticator is
	// invalidated (if it has an Invalidate method) and the request sent once
	// more; a second refusal ends the call.
	Refresh bool
	// Resign: the signature was refused for its date. If the answer's Date is
	// far from the local clock, later signatures are dated by the server's
	// clock and the request is sent once more.
	Resign bool
	// Delay is the service's own retry hint (RetryInfo); zero if none. A
	// Retry-After header is read by the call path itself.
	Delay time.Duration
}

// Retryable is the one retry rule of the four clients, for a call's attempts
// and for an operation's polls: an attempt that failed with kind after it
// was (or may have been) sent as sent is sent again only when that cannot
// act twice. Transient failures are retried when the request never left or
// when mode is Idempotent; throttling is a refusal that did nothing and is
// always retried. Nothing else is: a limit on work in progress frees only
// after minutes, and bad input, a missing resource or a refused credential
// stay so.
func Retryable(kind backupcopy.Kind, sent backupcopy.Sent, mode Mode) bool {
	switch kind {
	case backupcopy.Throttled:
		return true
	case backupcopy.Transient:
		return sent == backupcopy.SentNever || mode == Idempotent
	}
	return false
}

// RetryPoll reports whether a failed poll of an operation is worth another
// poll: Retryable for an idempotent read. It is every client's
// lro.Config.IsTransient, so an authentication or permission failure ends a
// Wait at once (the call path has already refreshed the credential once
// where that can help).
func RetryPoll(err error) bool {
	if err == nil {
		return false
	}
	return Retryable(backupcopy.KindOf(err), sentOf(err), Idempotent)
}

func sentOf(err error) backupcopy.Sent {
	var ce *backupcopy.CallError
	if errors.As(err, &ce) {
		return ce.Sent
	}
	return backupcopy.SentMaybe
}

// KindOfStatus is the Kind of an HTTP error status whose body names nothing
// more specific.
func KindOfStatus(status int) backupcopy.Kind {
	switch {
	case status == http.StatusTooManyRequests:
		return backupcopy.Throttled
	case status == http.StatusRequestTimeout || status >= 500 && status != http.StatusNotImplemented:
		return backupcopy.Transient
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return backupcopy.PermissionDenied
	case status == http.StatusNotFound:
		return backupcopy.NotFound
	case status == http.StatusConflict || status == http.StatusPreconditionFailed:
		return backupcopy.Conflict
	}
	return backupcopy.InvalidInput
}

// transportKind classifies an error from sending a request or reading its
// answer, and says whether the request may have reached the server.
func transportKind(ctx context.Context, err error) (backupcopy.Kind, backupcopy.Sent) {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return backupcopy.Canceled, backupcopy.SentMaybe
	}
	if notSent(err) {
		return backupcopy.Transient, backupcopy.SentNever
	}
	return backupcopy.Transient, backupcopy.SentMaybe
}

// notSent reports whether err certainly happened before any byte of the
// request reached a server: a failed dial or name lookup.
func notSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && (opErr.Op == "dial" || opErr.Op == "proxyconnect") {
		return true
	}
	return false
}

// authKind classifies a failure of the authenticator (no request was sent):
// the caller's context ending is Canceled, a token endpoint that cannot be
// reached or timed out is Transient, a Kinded error keeps its kind, and
// anything else (no credentials, a refused or malformed one) is
// PermissionDenied.
func authKind(ctx context.Context, err error) backupcopy.Kind {
	if ctx.Err() != nil {
		return backupcopy.Canceled
	}
	var k backupcopy.Kinded
	if errors.As(err, &k) && k.ErrorKind() != backupcopy.KindUnknown {
		return k.ErrorKind()
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) {
		return backupcopy.Transient
	}
	return backupcopy.PermissionDenied
}

// MalformedResponseError reports a 2xx answer whose body is not what the
// operation returns: not the expected JSON, or missing or contradicting what
// the call needs. (An error answer is turned into the service's error type by
// Config.DecodeAPIError instead.)
type MalformedResponseError struct {
	// Service and Op name the call, e.g. "cbr", "CopyBackup".
	Service, Op string
	// Err says what is wrong.
	Err error
}

func (e *MalformedResponseError) Error() string {
	return fmt.Sprintf("%s: %s: the response cannot be read: %v", e.Service, e.Op, e.Err)
}

// Unwrap returns Err.
func (e *MalformedResponseError) Unwrap() error { return e.Err }

// ErrorKind is Transient: another read may be whole. (A call that may have
// created something reports OutcomeUnknown in its CallError instead.)
func (e *MalformedResponseError) ErrorKind() backupcopy.Kind { return backupcopy.Transient }

// TooLargeError reports a response body over the configured bound.
type TooLargeError struct {
	// Limit is the bound in bytes.
	Limit int64
}

func (e *TooLargeError) Error() string {
	return "the response body exceeds the " + strconv.FormatInt(e.Limit, 10) + "-byte limit"
}

// ErrorKind is InvalidInput (class GiveUp): the same request would bring
// the same answer, past what the client reads. (A call that may have created
// something reports OutcomeUnknown in its CallError instead.)
func (e *TooLargeError) ErrorKind() backupcopy.Kind { return backupcopy.InvalidInput }

// HTTPError is the default decoded error answer: a non-2xx status and its
// body.
type HTTPError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Body is the answer's body.
	Body []byte
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.StatusCode, truncate(e.Body, 200))
}

// ErrorKind is KindOfStatus(StatusCode).
func (e *HTTPError) ErrorKind() backupcopy.Kind { return KindOfStatus(e.StatusCode) }

// Sentinel returns an error with message msg whose Kind is kind, for the
// packages' sentinel errors (for example ErrClosed).
func Sentinel(kind backupcopy.Kind, msg string) error { return &sentinel{kind: kind, msg: msg} }

type sentinel struct {
	kind backupcopy.Kind
	msg  string
}

func (e *sentinel) Error() string              { return e.msg }
func (e *sentinel) ErrorKind() backupcopy.Kind { return e.kind }

// Malformed returns the error of a call whose 2xx answer resp the service
// could not use (err says why): a *backupcopy.CallError around a
// *MalformedResponseError, with the Kind the call path gives a body that does
// not decode (OutcomeUnknown for a request that Writes, else Transient).
func (c *Client) Malformed(req *Request, resp *Response, err error) error {
	ce := &backupcopy.CallError{
		Service:   c.cfg.Service,
		Operation: req.Op,
		Kind:      backupcopy.Transient,
		Sent:      backupcopy.SentYes,
		Err:       &MalformedResponseError{Service: c.cfg.Service, Op: req.Op, Err: err},
	}
	if req.Writes {
		ce.Kind = backupcopy.OutcomeUnknown
	}
	if resp != nil {
		ce.Attempts, ce.HTTPStatus, ce.RequestID = resp.Attempts, resp.StatusCode, resp.RequestID
	}
	return ce
}

// MalformedPage returns the wrap function of Pages for the list call op: its
// errors become the call's error for a malformed answer.
func (c *Client) MalformedPage(op string) func(error) error {
	return func(err error) error { return c.Malformed(&Request{Op: op, Mode: Idempotent}, nil, err) }
}

// Prefixed returns err with "service: op: " in front of its message (nil for
// nil), as every error of the four clients reads; errors.As still finds what
// err wraps, such as a *ValidationError.
func Prefixed(service, op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %s: %w", service, op, err)
}
