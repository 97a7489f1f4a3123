package cbrtest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/backupcopy/backupcopy/internal/fakesrv"
)

// FaultKind is what an injected fault does.
type FaultKind string

// The fault kinds, the same in the four fakes.
const (
	// Throttle answers HTTP 429 APIGW.0308, the gateway's throttling error.
	Throttle FaultKind = "throttle"
	// ServerError answers HTTP 503 APIGW.0201, the gateway's backend-unavailable error.
	ServerError FaultKind = "server-error"
	// LoseResponse makes the change the request asks for, then closes the
	// connection without an answer: the caller cannot tell whether it
	// happened.
	LoseResponse FaultKind = "lose-response"
	// Slow holds the answer for Fault.Delay, then answers normally.
	Slow FaultKind = "slow"
)

// Fault is a failure to inject into requests, with InjectFault.
type Fault struct {
	// Operation selects the requests, by the names Operations lists ("":
	// every request).
	Operation string
	// Kind is what happens to them.
	Kind FaultKind
	// Times is how many requests the fault affects. With both Times and
	// For set the fault ends when either runs out; with neither it affects
	// one request.
	Times int
	// For is for how long after InjectFault the fault affects every
	// matching request.
	For time.Duration
	// Delay is how long a Slow fault holds the answer (required for Slow,
	// not allowed otherwise).
	Delay time.Duration
	// RetryAfter, for Throttle, is the wait the answer advises (a Retry-After header).
	RetryAfter time.Duration
	// AfterProcessing, for Throttle and ServerError, makes the change
	// first and then answers with the error.
	AfterProcessing bool
}

// InjectFault makes matching requests fail as f says; it returns an error
// naming the field when f is not valid. Faults apply in the order they were
// injected, one per request, before authentication is checked.
func (s *Server) InjectFault(f Fault) error {
	return s.fs.InjectFault(fakesrv.Fault{
		Operation: f.Operation, Kind: fakesrv.FaultKind(f.Kind), Times: f.Times, For: f.For,
		Delay: f.Delay, RetryAfter: f.RetryAfter, AfterProcessing: f.AfterProcessing,
	}, Operations())
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() { s.fs.ClearFaults() }

// Operations returns the operation names the fake knows, for
// CountRequests and Fault.Operation: "CopyBackup", "GetBackup", "ListBackups", "ListReplicationCapabilities".
func Operations() []string {
	return []string{"CopyBackup", "GetBackup", "ListBackups", "ListReplicationCapabilities"}
}

// CountRequests returns how many requests for operation op (one of
// Operations; "" counts every request) the fake received, refused ones
// too.
func (s *Server) CountRequests(op string) int { return s.fs.CountRequests(op) }

// Handler returns the fake's HTTP handler, so another server can serve it
// (backupcopy emulator serves the four fakes on one address).
func (s *Server) Handler() http.Handler { return s.fs.Handler() }

// writeFault answers a Throttle or ServerError fault.
func writeFault(w http.ResponseWriter, r *http.Request, kind fakesrv.FaultKind, retryAfter time.Duration) {
	reqID := newRequestID()
	w.Header().Set("X-Request-Id", reqID)
	if kind == fakesrv.Throttle {
		if retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter.Round(time.Second)/time.Second)))
		}
		writeError(w, reqID, &apiError{status: http.StatusTooManyRequests, code: CodeThrottled, msg: "The throttling threshold has been reached (injected fault)", gatewayForm: true})
		return
	}
	writeError(w, reqID, &apiError{status: http.StatusServiceUnavailable, code: CodeBackendUnavailable, msg: "Backend unavailable (injected fault)", gatewayForm: true})
}
