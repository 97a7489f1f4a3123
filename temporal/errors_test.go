package temporal

import (
	"errors"
	"fmt"
	"testing"

	sdktemporal "go.temporal.io/sdk/temporal"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/fleet"
)

func TestApplicationError(t *testing.T) {
	for _, tc := range []struct {
		err          error
		typ          string
		nonRetryable bool
	}{
		{fleet.Errorf(backupcopy.InvalidInput, "bad"), "backupcopy.invalid-input", true},
		{fleet.Errorf(backupcopy.NotFound, "gone"), "backupcopy.not-found", true},
		{fleet.Errorf(backupcopy.PermissionDenied, "no"), "backupcopy.permission-denied", true},
		{fleet.Errorf(backupcopy.Conflict, "taken"), "backupcopy.conflict", true},
		{fleet.Errorf(backupcopy.CopyFailed, "failed"), "backupcopy.copy-failed", true},
		{fleet.Errorf(backupcopy.AtLimit, "full"), "backupcopy.at-limit", false},
		{fleet.Errorf(backupcopy.Throttled, "slow down"), "backupcopy.throttled", false},
		{fleet.Errorf(backupcopy.Transient, "503"), "backupcopy.transient", false},
		{fleet.Errorf(backupcopy.OutcomeUnknown, "lost"), "backupcopy.outcome-unknown", false},
		{fmt.Errorf("wrapped: %w", fleet.Errorf(backupcopy.NotFound, "gone")), "backupcopy.not-found", true},
		{errors.New("no kind"), "backupcopy.unknown", false},
	} {
		err := applicationError(tc.err)
		var ae *sdktemporal.ApplicationError
		if !errors.As(err, &ae) {
			t.Fatalf("%v: not an application error: %T", tc.err, err)
		}
		if ae.Type() != tc.typ || ae.NonRetryable() != tc.nonRetryable {
			t.Errorf("%v: type %q non-retryable %v, want %q %v", tc.err, ae.Type(), ae.NonRetryable(), tc.typ, tc.nonRetryable)
		}
		if ae.Message() != tc.err.Error() {
			t.Errorf("message %q, want the error's own %q", ae.Message(), tc.err.Error())
		}
		if k := errorKind(err); ErrorType(k) != tc.typ {
			t.Errorf("%v: errorKind = %v, want the kind of %q", tc.err, k, tc.typ)
		}
	}
	if applicationError(nil) != nil {
		t.Error("applicationError(nil) is not nil")
	}
}
