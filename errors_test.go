package backupcopy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/backupcopy/backupcopy"
)

type kinded struct{ k backupcopy.Kind }

func (e kinded) Error() string              { return "kinded " + e.k.String() }
func (e kinded) ErrorKind() backupcopy.Kind { return e.k }

func TestKindOf(t *testing.T) {
	cases := []struct {
		err   error
		kind  backupcopy.Kind
		class backupcopy.Class
	}{
		{nil, backupcopy.KindUnknown, backupcopy.Unclassified},
		{errors.New("plain"), backupcopy.KindUnknown, backupcopy.Unclassified},
		{context.Canceled, backupcopy.Canceled, backupcopy.RetryLater},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), backupcopy.Canceled, backupcopy.RetryLater},
		{kinded{backupcopy.AtLimit}, backupcopy.AtLimit, backupcopy.RetryLater},
		{kinded{backupcopy.Throttled}, backupcopy.Throttled, backupcopy.RetryLater},
		{kinded{backupcopy.Transient}, backupcopy.Transient, backupcopy.RetryLater},
		{kinded{backupcopy.InvalidInput}, backupcopy.InvalidInput, backupcopy.GiveUp},
		{kinded{backupcopy.NotFound}, backupcopy.NotFound, backupcopy.GiveUp},
		{kinded{backupcopy.PermissionDenied}, backupcopy.PermissionDenied, backupcopy.GiveUp},
		{kinded{backupcopy.Conflict}, backupcopy.Conflict, backupcopy.GiveUp},
		{kinded{backupcopy.CopyFailed}, backupcopy.CopyFailed, backupcopy.GiveUp},
		{kinded{backupcopy.OutcomeUnknown}, backupcopy.OutcomeUnknown, backupcopy.CheckFirst},
		// The first Kinded error in the chain decides, even around a context error.
		{fmt.Errorf("op: %w", errors.Join(kinded{backupcopy.OutcomeUnknown}, context.Canceled)), backupcopy.OutcomeUnknown, backupcopy.CheckFirst},
	}
	for _, c := range cases {
		if got := backupcopy.KindOf(c.err); got != c.kind {
			t.Errorf("KindOf(%v) = %v, want %v", c.err, got, c.kind)
		}
		if got := backupcopy.ClassOf(c.err); got != c.class {
			t.Errorf("ClassOf(%v) = %v, want %v", c.err, got, c.class)
		}
	}
}

func TestNames(t *testing.T) {
	for k := backupcopy.KindUnknown; k <= backupcopy.OutcomeUnknown; k++ {
		if k.String() == "" || (k != backupcopy.KindUnknown && k.String() == "unknown") {
			t.Errorf("kind %d has no name", int(k))
		}
	}
	if backupcopy.Kind(99).String() != "unknown" || backupcopy.Kind(99).Class() != backupcopy.Unclassified {
		t.Error("out-of-range kind must be unknown and unclassified")
	}
	for c, want := range map[backupcopy.Class]string{backupcopy.Unclassified: "unclassified", backupcopy.RetryLater: "retry-later", backupcopy.GiveUp: "give-up", backupcopy.CheckFirst: "check-first"} {
		if c.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(c), c.String(), want)
		}
	}
}

func ExampleClassOf() {
	err := fmt.Errorf("fsx: CopyBackup: %w", context.DeadlineExceeded)
	switch backupcopy.ClassOf(err) {
	case backupcopy.RetryLater:
		fmt.Println("retry later:", backupcopy.KindOf(err))
	case backupcopy.GiveUp:
		fmt.Println("give up")
	case backupcopy.CheckFirst:
		fmt.Println("check whether the copy exists first")
	}
	// Output: retry later: canceled
}

func TestCallError(t *testing.T) {
	inner := errors.New("cbr: CopyBackup: HTTP 400 BackupService.1009: already replicated")
	ce := &backupcopy.CallError{Service: "cbr", Operation: "CopyBackup", Kind: backupcopy.Conflict, Sent: backupcopy.SentYes,
		Attempts: 1, HTTPStatus: 400, RequestID: "rid", Err: inner}
	err := fmt.Errorf("wrapped: %w", ce)
	if ce.Error() != inner.Error() {
		t.Errorf("Error() = %q, want the wrapped message", ce.Error())
	}
	if !errors.Is(err, inner) || backupcopy.KindOf(err) != backupcopy.Conflict || backupcopy.ClassOf(err) != backupcopy.GiveUp {
		t.Errorf("chain: Is %v, kind %v", errors.Is(err, inner), backupcopy.KindOf(err))
	}
	if got := (&backupcopy.CallError{Service: "fsx", Operation: "CopyBackup", Kind: backupcopy.Transient}).Error(); got != "fsx: CopyBackup: transient" {
		t.Errorf("no Err: %q", got)
	}
	for s, want := range map[backupcopy.Sent]string{backupcopy.SentMaybe: "maybe", backupcopy.SentNever: "never", backupcopy.SentYes: "yes"} {
		if s.String() != want {
			t.Errorf("%d: %q, want %q", s, s.String(), want)
		}
	}
}

func TestValidationError(t *testing.T) {
	err := fmt.Errorf("fsx: CopyBackup: %w", &backupcopy.ValidationError{Field: "CopyBackupRequest.SourceBackupID", Rule: "must start with backup-", Value: "b1"})
	if got, want := err.Error(), `fsx: CopyBackup: invalid CopyBackupRequest.SourceBackupID "b1": must start with backup-`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if backupcopy.KindOf(err) != backupcopy.InvalidInput {
		t.Errorf("kind %v", backupcopy.KindOf(err))
	}
	long := (&backupcopy.ValidationError{Field: "F", Rule: "r", Value: strings.Repeat("x", 100)}).Error()
	if want := `invalid F "` + strings.Repeat("x", 77) + `...": r`; long != want {
		t.Errorf("got %q", long)
	}
	if got := (&backupcopy.ValidationError{Field: "F", Rule: "is required"}).Error(); got != "invalid F: is required" {
		t.Errorf("got %q", got)
	}
}
