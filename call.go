package backupcopy

// Sent says whether a failed request may have reached the service, and so
// whether it may have taken effect there.
type Sent int

const (
	// SentMaybe means the request may have reached the service: the
	// connection broke after it was written, or the caller's context ended
	// while it was in flight. It is the zero value, the safe assumption.
	SentMaybe Sent = iota
	// SentNever means no byte of the request reached the service: it failed
	// validation, its credentials could not be obtained, or the connection
	// could not be made.
	SentNever
	// SentYes means the service answered the request.
	SentYes
)

// String returns "maybe", "never" or "yes".
func (s Sent) String() string {
	switch s {
	case SentNever:
		return "never"
	case SentYes:
		return "yes"
	}
	return "maybe"
}

// CallError describes a failed call of any of the four clients: why it
// failed, whether the request may have reached the service, how many
// attempts were made and what the service said. Every error that a client's
// call returns (other than a *ValidationError found before any I/O) has one
// in its chain, so
//
//	var ce *backupcopy.CallError
//	if errors.As(err, &ce) { ... ce.Kind, ce.Sent, ce.RequestID ... }
//
// works the same way on every cloud. The ecosystem's own error is Err (a
// *bigtable.Error or *spanner.Error that status.Code and *apierror.APIError
// read, an FSx *smithy.OperationError, a *cbr.Error), so errors.As finds it
// through the CallError as before.
type CallError struct {
	// Service is the client's package name: "bigtable", "spanner", "cbr" or
	// "fsx".
	Service string
	// Operation is the API operation, for example "CopyBackup".
	Operation string
	// Kind is why the call failed.
	Kind Kind
	// Sent says whether the request may have reached the service.
	Sent Sent
	// Attempts is how many attempts the call made (1 when it was not
	// retried; 0 when it failed before the first one).
	Attempts int
	// HTTPStatus is the status of the last answer, 0 if none came.
	HTTPStatus int
	// RequestID is the id the service gave the last answer, if any: quote it
	// to the cloud's support.
	RequestID string
	// Err is what failed: the service's error type for an error answer,
	// otherwise the transport, authentication or decoding failure. Its
	// message is the whole message of the CallError.
	Err error
}

// Error returns Err's message, which starts with the package and the
// operation ("cbr: CopyBackup: ...", or aws-sdk-go-v2's "operation error
// FSx: CopyBackup, ..." for an FSx error answer).
func (e *CallError) Error() string {
	if e.Err == nil {
		return e.Service + ": " + e.Operation + ": " + e.Kind.String()
	}
	return e.Err.Error()
}

// Unwrap returns Err.
func (e *CallError) Unwrap() error { return e.Err }

// ErrorKind returns Kind.
func (e *CallError) ErrorKind() Kind { return e.Kind }
