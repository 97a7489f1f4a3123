package backupcopy_test

import (
	"context"
	"errors"
	"fmt"
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
