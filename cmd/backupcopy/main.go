// Command backupcopy copies cloud backups on Bigtable, Spanner, Huawei CBR
// and Amazon FSx from a shell, and serves a local emulator of the four
// backup APIs.
//
//	backupcopy emulator [--listen HOST:PORT] [--sources N] [--duration D] [-o env|json] [-v]
//	backupcopy copy {bigtable|spanner|cbr|fsx} [flags] [--wait]
//	backupcopy wait CLOUD NAME
//	backupcopy apply -f PLAN --state FILE
//	backupcopy status --state FILE
//	backupcopy version
//	backupcopy completion bash|zsh|fish
//
// Every command takes -h. Commands that print results take -o table|json:
// json prints one JSON document on standard output, with progress and logs
// on standard error. Exit status: 0 success, 1 an API error or a failed
// copy, 2 bad usage (a missing flag, a bad value, missing credentials: one
// line that says what to fix; nothing is sent), 130 interrupted (the
// command that resumes is printed).
//
// Endpoints and credentials come from the libraries' usual sources
// (Application Default Credentials, the AWS chain, HUAWEICLOUD_SDK_*) and
// BACKUPCOPY_BIGTABLE_ENDPOINT, BACKUPCOPY_SPANNER_ENDPOINT,
// BACKUPCOPY_CBR_ENDPOINT and BACKUPCOPY_FSX_ENDPOINT (a loopback http://
// Google endpoint means no authentication, as for an emulator).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// usageError is bad usage: exit 2, nothing sent.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// interruptedError ends a command stopped by a signal; resume is the command
// line that carries on.
type interruptedError struct{ resume string }

func (e *interruptedError) Error() string {
	if e.resume == "" {
		return "interrupted"
	}
	return "interrupted; to resume, run: " + e.resume
}

// exitError ends a command with a status after it printed its own result
// (a failed copy, for example).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// app holds what commands share: the streams and whether stderr is a terminal.
type app struct {
	stdout, stderr io.Writer
	// stderrTTY says whether standard error is a terminal (live bars).
	stderrTTY bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	a := &app{stdout: os.Stdout, stderr: os.Stderr, stderrTTY: isTerminal(os.Stderr)}
	code := a.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func (a *app) run(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var ue *usageError
	var ie *interruptedError
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(a.stderr, "backupcopy:", ee.msg)
		}
		return ee.code
	case errors.As(err, &ie):
		fmt.Fprintln(a.stderr, "backupcopy:", ie.Error())
		return exitInterrupted
	case errors.As(err, &ue):
		fmt.Fprintln(a.stderr, "backupcopy:", oneLine(ue.msg))
		return exitUsage
	case isFlagError(err):
		fmt.Fprintln(a.stderr, "backupcopy:", flagMessage(cmd, err))
		return exitUsage
	}
	fmt.Fprintln(a.stderr, "backupcopy:", oneLine(err.Error()))
	return exitFailed
}

// isFlagError reports whether err is cobra's or pflag's complaint about the
// command line (unknown command or flag, a flag's bad value, wrong
// arguments), which cobra returns as plain errors.
func isFlagError(err error) bool {
	var fe *flagErr
	if errors.As(err, &fe) {
		return true
	}
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "accepts ", "requires at least", "required flag", "bad flag syntax"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// flagMessage says what is wrong with the command line of cmd, naming the
// command and where its help is: "copy fsx: unknown flag: --sorce (see
// backupcopy copy fsx -h)".
func flagMessage(cmd *cobra.Command, err error) string {
	msg := oneLine(err.Error())
	if cmd == nil {
		return msg + " (see backupcopy -h)"
	}
	// cobra.NoArgs says `unknown command "x" for "backupcopy status"` of
	// a command that has no subcommands: x is an argument too many.
	if arg, ok := strings.CutPrefix(msg, "unknown command "); ok && cmd.HasParent() && !cmd.HasSubCommands() {
		arg, _, _ = strings.Cut(arg, " for ")
		msg = "unexpected argument " + arg
	}
	if !strings.HasPrefix(msg, "unknown command ") && cmd.HasParent() {
		msg = strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ") + ": " + msg
	}
	return msg + " (see " + cmd.CommandPath() + " -h)"
}

// flagErr wraps errors from the flag parser (SetFlagErrorFunc).
type flagErr struct{ err error }

func (e *flagErr) Error() string { return e.err.Error() }
func (e *flagErr) Unwrap() error { return e.err }

// oneLine keeps the first line of a message, without a repeated
// "backupcopy: " prefix (the tool adds its own).
func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimPrefix(s, "backupcopy: ")
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "backupcopy",
		Short: "Copy cloud backups on Bigtable, Spanner, Huawei CBR and Amazon FSx, and emulate their APIs",
		Long: `backupcopy copies cloud backups on Bigtable, Spanner, Huawei CBR and Amazon FSx in one way,
waits for them and resumes them, and serves a local emulator of the four backup APIs.

Exit status: 0 success, 1 an API error or a failed copy, 2 bad usage (nothing sent),
130 interrupted (the command that resumes is printed).

Credentials come from each cloud's usual sources: Application Default Credentials
(Bigtable, Spanner), the AWS chain (FSx), HUAWEICLOUD_SDK_AK, _SK, _PROJECT_ID and
_REGION (CBR). BACKUPCOPY_BIGTABLE_ENDPOINT, _SPANNER_, _CBR_ and _FSX_ENDPOINT (or
--endpoint) point a cloud elsewhere. To try it offline, against the emulator:

  backupcopy emulator > emulator.env &
  sleep 1; . ./emulator.env     # its export lines
  backupcopy copy fsx --source backup-00000000000000001 --wait`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &flagErr{err} })
	root.AddCommand(a.copyCommand(), a.waitCommand(), a.applyCommand(), a.statusCommand(), a.emulatorCommand(), a.versionCommand())
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			// Without this, `completion foo` prints help and exits 0.
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if len(args) == 0 {
					return cmd.Help()
				}
				return usagef("completion: unknown shell %q: use bash, zsh, fish or powershell", args[0])
			}
		}
	}
	return root
}
