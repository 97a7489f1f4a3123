// Package example holds what the example programs share, so that they behave
// alike: the help layout, the exit codes, one-line errors that start with
// the program's name, progress lines, and what to say when a wait ends
// before the operation does.
//
// Every example runs offline against its in-process fake by default and
// against the real service only with -live (its resource flags are then
// required); -h prints the help and exits 0.
package example

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/backupcopy/backupcopy/lro"
)

// Exit codes of every example.
const (
	ExitOK      = 0 // everything finished well (or -h)
	ExitFailure = 1 // an operation, or a call, failed
	ExitUsage   = 2 // the command line is wrong; nothing was started
)

// DefaultFakeDuration is how long the fakes take to finish an operation
// offline (-fake-duration).
const DefaultFakeDuration = 2 * time.Second

// Default -timeout values.
const (
	OfflineTimeout = 30 * time.Second
	LiveTimeout    = 24 * time.Hour
)

// OfflinePolls is the poll schedule offline: the fakes finish in seconds.
func OfflinePolls() lro.WaitOption {
	return lro.WithPollInterval(200*time.Millisecond, 500*time.Millisecond)
}

// usageError is a command-line problem: exit code 2.
type usageError struct {
	err     error
	printed bool // the flag package has printed it already
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// Usagef returns a command-line error (exit code ExitUsage).
func Usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// FlagSet returns the program's flag set: errors and help go to errOut, and
// -h prints
//
//	Usage: NAME [flags]
//
//	ABOUT
//
//	Flags:
//	  ...
func FlagSet(name, about string, errOut io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {
		fmt.Fprintf(errOut, "Usage: %s [flags]\n\n%s\n\nFlags:\n", name, strings.TrimSpace(about))
		fs.PrintDefaults()
	}
	return fs
}

// Parse parses args and refuses positional arguments. Its error is nil,
// flag.ErrHelp (for -h), or a command-line error.
func Parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err: err, printed: true}
	}
	if fs.NArg() > 0 {
		return Usagef("unexpected arguments %q (every input is a flag; see -h)", fs.Args())
	}
	return nil
}

// Timeout returns d, or the default for the mode when d is 0.
func Timeout(d time.Duration, live bool) time.Duration {
	switch {
	case d > 0:
		return d
	case live:
		return LiveTimeout
	}
	return OfflineTimeout
}

// Required returns a command-line error naming every flag in flags (name,
// value pairs) whose value is empty, or nil.
func Required(why string, flags ...string) error {
	var missing []string
	for i := 0; i+1 < len(flags); i += 2 {
		if flags[i+1] == "" {
			missing = append(missing, flags[i])
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return Usagef("%s needs %s", why, strings.Join(missing, ", "))
}

// NoResumeOffline is the error for -resume without -live.
func NoResumeOffline() error {
	return Usagef("-resume needs -live: offline, each run starts a new in-process fake, which knows nothing of an earlier run's operations")
}

// Exit prints err, if any, as one line that starts with the program's name
// (unless the flag package printed it already) and returns the exit code.
func Exit(name string, errOut io.Writer, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		if !ue.printed {
			fmt.Fprintf(errOut, "%s: %v\n", name, err)
		}
		return ExitUsage
	}
	fmt.Fprintf(errOut, "%s: %v\n", name, err)
	return ExitFailure
}

// Progress returns a WithProgress option that prints a line each time the
// percent changes: "  42%  STATE  (1.2s)", where state reports the
// operation's state as the service names it.
func Progress(out io.Writer, state func() string) lro.WaitOption {
	last := -2
	return lro.WithProgress(func(p lro.Progress) {
		if p.Percent == last && !p.Done {
			return
		}
		last = p.Percent
		pct := "   -"
		if p.Percent >= 0 {
			pct = fmt.Sprintf("%3d%%", p.Percent)
		}
		fmt.Fprintf(out, "  %s  %-17s (%s)\n", pct, state(), p.Elapsed.Round(100*time.Millisecond))
	})
}

// WaitEnded explains a wait that ended before the operation did (ctx ended:
// Ctrl-C or -timeout). Live, the operation goes on in the service and can be
// followed again with resume (the flags to pass); offline, it ran in the
// in-process fake, which stopped with the program, so there is nothing to
// resume. For any other error it returns err unchanged.
func WaitEnded(ctx context.Context, err error, live bool, service, resume string) error {
	if ctx.Err() == nil {
		return err
	}
	why := "interrupted"
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		why = "-timeout reached"
	}
	if live {
		return fmt.Errorf("%s before the operation finished; it goes on in %s: follow it with -live %s", why, service, resume)
	}
	return fmt.Errorf("%s before the operation finished; it ran in the in-process fake, which stopped with this program, so there is nothing to resume (run again, or use -live)", why)
}
