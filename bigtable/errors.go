package bigtable

import (
	"errors"

	"github.com/backupcopy/backupcopy/internal/gapi"
)

// Error is an error reported by the Bigtable Admin API, either for a call or
// as a failed operation's result. status.Code(err) is its canonical code (a
// 409 ALREADY_EXISTS is codes.AlreadyExists), and errors.As(err, &ae) with
// ae *apierror.APIError finds gax-go's view with Reason, Details and HTTPCode.
type Error = gapi.Error

const service = "bigtable"

// withOp names the call in an API error (the shared decoder leaves Op empty).
func withOp(op string, err error) error {
	var e *Error
	if errors.As(err, &e) && e.Op == "" {
		e.Op = op
	}
	return err
}
