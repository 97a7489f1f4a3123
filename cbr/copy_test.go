package cbr

import (
	"errors"
	"strings"
	"testing"
)

// The cause of an unknown outcome carries the call's prefix too; the message
// says "cbr: CopyBackup:" once.
func TestOutcomeUnknownSaysItsPrefixOnce(t *testing.T) {
	err := &OutcomeUnknownError{Err: errors.New(`cbr: CopyBackup: Post "https://cbr.example/v3/p/backups/b/replicate": connection reset by peer`)}
	msg := err.Error()
	if n := strings.Count(msg, "cbr: CopyBackup:"); n != 1 {
		t.Errorf("%q names the call %d times, want once", msg, n)
	}
	if !strings.HasSuffix(msg, "connection reset by peer") {
		t.Errorf("%q lost its cause", msg)
	}
}
