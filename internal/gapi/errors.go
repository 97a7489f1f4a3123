// Package gapi holds what the two Google clients (bigtable, spanner) share on
// top of the call path: the JSON error model mapped to gRPC codes and gax-go's
// apierror, retry classification, the long-running Operation JSON, and the
// REST encodings of timestamps and int64 values.
package gapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/googleapi"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// Error is a Google API error. status.Code(err) is the canonical code named by
// the body's "status" field (so a 409 ALREADY_EXISTS is codes.AlreadyExists,
// not the Aborted an HTTP-only mapping gives), and errors.As(err, &ae) with
// ae *apierror.APIError finds the gax-go view, whose HTTPCode, Reason and
// Details are filled from the same body.
type Error struct {
	// Service and Op say which call failed, e.g. "bigtable", "CopyBackup".
	Service, Op string
	// HTTPStatus is the response status; 0 for an operation's own error.
	HTTPStatus int
	// Code is the canonical code; Message the service's message.
	Code    codes.Code
	Message string
	// RequestID is the id the service gave the request (RequestInfo detail
	// or an X-Request-Id header), if any.
	RequestID string
	// RetryDelay is the RetryInfo delay, if the service sent one.
	RetryDelay time.Duration
	// RawDetails holds each detail object as sent, known types or not.
	RawDetails []json.RawMessage

	// Finished marks a finished operation's own error (the copy ran and
	// failed), as opposed to an error answer to a call.
	Finished bool

	st  *status.Status
	api *apierror.APIError
}

func (e *Error) Error() string {
	return Format(e.Service, e.Op, e.Finished, e.Code, e.Message, e.HTTPStatus, e.RequestID, e.Reason())
}

// Format is the message of a Google API error: "service: Op: Code: message
// (HTTP status, request id ID) reason=REASON", with "the operation failed"
// after Op for a finished operation's own error.
func Format(service, op string, finished bool, code codes.Code, msg string, httpStatus int, requestID, reason string) string {
	var b strings.Builder
	b.WriteString(service)
	if op != "" {
		b.WriteString(": " + op)
	}
	if finished {
		b.WriteString(": the operation failed")
	}
	fmt.Fprintf(&b, ": %s: %s", code, msg)
	if httpStatus != 0 {
		fmt.Fprintf(&b, " (HTTP %d", httpStatus)
		if requestID != "" {
			b.WriteString(", request id " + requestID)
		}
		b.WriteString(")")
	} else if requestID != "" {
		b.WriteString(" (request id " + requestID + ")")
	}
	if reason != "" {
		b.WriteString(" reason=" + reason)
	}
	return b.String()
}

// GRPCStatus returns the canonical status with its details, for status.Code
// and status.FromError.
func (e *Error) GRPCStatus() *status.Status { return e.st }

// Unwrap returns the *apierror.APIError view.
func (e *Error) Unwrap() error {
	if e.api == nil {
		return nil
	}
	return e.api
}

// API returns the *apierror.APIError view (nil if gax-go could not build one).
func (e *Error) API() *apierror.APIError { return e.api }

// Register makes the errors that DecodeAPIError and OperationError build for
// service (a Google package's name) that package's public error type:
// public turns the *Error into it. Each Google package registers once, in
// init, so that every Google error it returns, whoever decoded it, is its
// own type.
func Register(service string, public func(*Error) error) { publics.Store(service, public) }

var publics sync.Map // service name -> func(*Error) error

// public returns e as its service's registered public type, or e itself.
func public(e *Error) error {
	if f, ok := publics.Load(e.Service); ok {
		return f.(func(*Error) error)(e)
	}
	return e
}

// Reason returns the ErrorInfo reason, if any.
func (e *Error) Reason() string {
	if e.api == nil {
		return ""
	}
	return e.api.Reason()
}

// Is lets errors.Is(err, target) match another *Error by code alone, so
// callers can write errors.Is(err, &gapi.Error{Code: codes.NotFound}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Service == "" && t.Op == "" && t.Message == "" && t.Code == e.Code
}

// wireStatus is google.rpc.Status as JSON, in both of its REST shapes: the
// HTTP error body's {"code": <http>, "status": "NAME"} and an Operation's
// {"code": <rpc code number>}.
type wireStatus struct {
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Status  string            `json:"status"`
	Details []json.RawMessage `json:"details"`
}

// DecodeAPIError builds an *Error from an HTTP error response to op. It is
// the call path's DecodeAPIError hook for the Google clients.
func DecodeAPIError(service string) func(op string, resp *rest.Response) error {
	return func(op string, resp *rest.Response) error {
		var body struct {
			Error *wireStatus `json:"error"`
		}
		var ws wireStatus
		if json.Unmarshal(resp.Body, &body) == nil && body.Error != nil {
			ws = *body.Error
		} else {
			ws.Message = strings.TrimSpace(string(resp.Body))
			if len(ws.Message) > 512 {
				ws.Message = ws.Message[:512] + "…"
			}
			if ws.Message == "" {
				ws.Message = http.StatusText(resp.StatusCode)
			}
		}
		code, ok := codeByName[ws.Status]
		if !ok || code == codes.OK { // an error answer is never OK, whatever its body says
			code = codeFromHTTP(resp.StatusCode)
		}
		e := newError(service, resp.StatusCode, code, ws.Message, ws.Details, resp.Header)
		e.Op = op
		if e.RequestID == "" {
			e.RequestID = resp.RequestID
		}
		return public(e)
	}
}

// OperationError builds the error of a finished Operation's "error" field
// (Kind CopyFailed: the operation ran and failed), as service's public type.
func OperationError(service, op string, raw json.RawMessage) error {
	e := statusError(service, raw)
	e.Op = op
	e.Finished = true
	return public(e)
}

// StatusError builds the error of a google.rpc.Status that is not an
// operation's outcome (for example a backup's encryption status), as
// service's public type; its Kind follows its code.
func StatusError(service string, raw json.RawMessage) error { return public(statusError(service, raw)) }

func statusError(service string, raw json.RawMessage) *Error {
	var ws wireStatus
	if err := json.Unmarshal(raw, &ws); err != nil {
		return &Error{Service: service, Code: codes.Unknown, Message: "undecodable status: " + err.Error(),
			st: status.New(codes.Unknown, "undecodable status")}
	}
	code := codes.Code(ws.Code)
	if ws.Code <= 0 || ws.Code > int(codes.Unauthenticated) {
		code = codes.Unknown
	}
	return newError(service, 0, code, ws.Message, ws.Details, nil)
}

func newError(service string, httpStatus int, code codes.Code, msg string, rawDetails []json.RawMessage, hdr http.Header) *Error {
	e := &Error{Service: service, HTTPStatus: httpStatus, Code: code, Message: msg, RawDetails: rawDetails}
	var known []json.RawMessage
	var protos []protoadapt.MessageV1
	for _, d := range rawDetails {
		var a anypb.Any
		if protojson.Unmarshal(d, &a) != nil {
			continue // an unknown or malformed detail stays in RawDetails only
		}
		m, err := a.UnmarshalNew()
		if err != nil {
			continue
		}
		known = append(known, d)
		if v1, ok := m.(protoadapt.MessageV1); ok {
			protos = append(protos, v1)
		} else {
			protos = append(protos, protoadapt.MessageV1Of(m))
		}
		switch m := m.(type) {
		case *errdetails.RetryInfo:
			if m.GetRetryDelay() != nil {
				e.RetryDelay = m.GetRetryDelay().AsDuration()
			}
		case *errdetails.RequestInfo:
			e.RequestID = m.GetRequestId()
		}
	}
	st := status.New(code, msg)
	if code != codes.OK && len(protos) > 0 {
		if withDetails, err := st.WithDetails(protos...); err == nil {
			st = withDetails
		}
	}
	e.st = st
	if httpStatus != 0 {
		// gax-go parses details from the body and gives up on all of them when
		// one type is unknown, so hand it a body with the known ones only.
		wire := map[string]any{"code": httpStatus, "message": msg, "status": statusName(code)}
		if len(known) > 0 {
			wire["details"] = known
		}
		clean, _ := json.Marshal(map[string]any{"error": wire})
		gerr := &googleapi.Error{Code: httpStatus, Message: msg, Body: string(clean), Header: hdr}
		e.api, _ = apierror.ParseError(gerr, true)
	} else {
		e.api, _ = apierror.ParseError(st.Err(), true)
	}
	return e
}

// Code returns the canonical code of err, as status.Code reads it from the
// Google error in its chain (codes.Unknown if there is none).
func Code(err error) codes.Code { return status.Code(err) }

var codeByName = func() map[string]codes.Code {
	m := map[string]codes.Code{}
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		m[statusName(c)] = c
	}
	return m
}()

// statusName is the google.rpc.Code enum name (ALREADY_EXISTS), which the
// REST error body's "status" field carries.
func statusName(c codes.Code) string {
	switch c {
	case codes.OK:
		return "OK"
	case codes.Canceled:
		return "CANCELLED"
	}
	// codes.Code.String gives "AlreadyExists"; convert camel case to upper snake.
	s := c.String()
	var b bytes.Buffer
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// codeFromHTTP maps an HTTP status to a code when the body names none.
func codeFromHTTP(s int) codes.Code {
	switch s {
	case 400:
		return codes.InvalidArgument
	case 401:
		return codes.Unauthenticated
	case 403:
		return codes.PermissionDenied
	case 404:
		return codes.NotFound
	case 409:
		return codes.Aborted
	case 412:
		return codes.FailedPrecondition
	case 416:
		return codes.OutOfRange
	case 429:
		return codes.ResourceExhausted
	case 499:
		return codes.Canceled
	case 501:
		return codes.Unimplemented
	case 503:
		return codes.Unavailable
	case 504:
		return codes.DeadlineExceeded
	}
	switch {
	case s >= 300 && s < 400:
		return codes.FailedPrecondition // a redirect this client refused to follow
	case s >= 400 && s < 500:
		return codes.FailedPrecondition
	case s >= 500:
		return codes.Internal
	}
	return codes.Unknown
}

// ErrorKind says why the call failed: Kind of its fields.
func (e *Error) ErrorKind() backupcopy.Kind {
	return Kind(e.Code, e.HTTPStatus, e.Finished, e.Message, e.Reason(), e.RetryDelay)
}

// Kind says why a Google call failed, from the canonical code. A finished
// operation's own error is CopyFailed, whatever its code: the copy ran and
// failed (or was cancelled). RESOURCE_EXHAUSTED is Throttled (a request
// rate or quota), or AtLimit when the message or ErrorInfo reason says too
// many operations are pending; FAILED_PRECONDITION is AtLimit when it says a
// creation is already pending (Spanner's one pending backup creation per
// database); ABORTED with a RetryInfo delay is Transient.
func Kind(code codes.Code, httpStatus int, finished bool, msg, reason string, retryDelay time.Duration) backupcopy.Kind {
	if finished {
		return backupcopy.CopyFailed
	}
	switch code {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Internal, codes.DataLoss, codes.Canceled:
		return backupcopy.Transient
	case codes.Unknown:
		if httpStatus >= 500 {
			return backupcopy.Transient
		}
		return rest.KindOfStatus(httpStatus)
	case codes.ResourceExhausted:
		if pendingLimit(msg) || pendingLimit(reason) {
			return backupcopy.AtLimit
		}
		return backupcopy.Throttled
	case codes.Unauthenticated, codes.PermissionDenied:
		return backupcopy.PermissionDenied
	case codes.NotFound:
		return backupcopy.NotFound
	case codes.FailedPrecondition:
		// Spanner: "Only one pending backup creation per database is
		// allowed": the database is busy with another creation, which will
		// end; retry later rather than give up.
		if pendingLimit(msg) {
			return backupcopy.AtLimit
		}
		return backupcopy.Conflict
	case codes.AlreadyExists:
		return backupcopy.Conflict
	case codes.Aborted:
		if retryDelay > 0 {
			return backupcopy.Transient
		}
		return backupcopy.Conflict
	}
	return backupcopy.InvalidInput // InvalidArgument, OutOfRange, Unimplemented
}

// pendingLimit recognises a RESOURCE_EXHAUSTED that is about work in
// progress ("too many pending operations", "Maximum number of pending
// backups ... exceeded") rather than a request rate.
func pendingLimit(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "too many") || strings.Contains(s, "pending") || strings.Contains(s, "concurrent")
}

// Hint is the call path's Hint hook for the Google clients: an
// UNAUTHENTICATED answer may be cured by a fresh token (once), and a
// RetryInfo delay is the service's wish.
func Hint(_ *rest.Response, apiErr error) rest.Hint {
	st, ok := status.FromError(apiErr)
	if !ok {
		return rest.Hint{}
	}
	h := rest.Hint{Refresh: st.Code() == codes.Unauthenticated}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			h.Delay = ri.GetRetryDelay().AsDuration()
		}
	}
	return h
}
