package fleet

import (
	"fmt"

	"github.com/backupcopy/backupcopy"
)

// KindError is an error of a known kind that an adapter reports from a
// finding of its own, for example a backup of the copy's name that is not
// this copy (backupcopy.Conflict), rather than from a client's answer.
type KindError struct {
	// Kind is why the copy cannot go on.
	Kind backupcopy.Kind
	// Msg is the one-line message.
	Msg string
}

// Error returns Msg.
func (e *KindError) Error() string { return e.Msg }

// ErrorKind implements backupcopy.Kinded.
func (e *KindError) ErrorKind() backupcopy.Kind { return e.Kind }

// Errorf returns a *KindError of kind with a formatted message.
func Errorf(kind backupcopy.Kind, format string, args ...any) error {
	return &KindError{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Digest returns a hex SHA-256 digest of parts, each length-prefixed so that
// no two lists of parts share a digest: adapters build Adapter.Digest with it.
func Digest(parts ...string) string {
	var b []byte
	for _, p := range parts {
		b = fmt.Appendf(b, "%d:%s;", len(p), p)
	}
	return digest(string(b))
}
