// Command spanner-backup backs up a Cloud Spanner database (or copies a
// backup to another instance) and waits for it, printing the progress.
//
// By default it runs offline, against the in-process fake (spannertest)
// with a seeded database, and finishes in a few seconds:
//
//	go run ./examples/spanner-backup
//	go run ./examples/spanner-backup -source projects/demo-project/instances/demo/backups/seed
//
// With -live it works in Cloud Spanner (Application Default Credentials);
// -parent and -database (or -source, to copy) are then required:
//
//	go run ./examples/spanner-backup -live \
//	    -parent projects/P/instances/I -database projects/P/instances/I/databases/D \
//	    -backup-id nightly -expire 168h
//
// Copy a backup to another instance (-parent is the destination):
//
//	go run ./examples/spanner-backup -live -parent projects/P/instances/DR \
//	    -source projects/P/instances/I/backups/nightly -backup-id nightly-dr
//
// It prints the operation's name first. If it is interrupted, the operation
// goes on in Spanner; follow it again (with -copy when it is a copy) with
//
//	go run ./examples/spanner-backup -live -resume projects/P/instances/I/backups/B/operations/N
//
// Interrupting the program (Ctrl-C) stops waiting but leaves the operation
// running; -cancel-on-interrupt cancels it instead.
//
// The exit code is 0 when the backup is READY, 1 when it (or a call) failed,
// 2 for a wrong command line. -h lists the flags.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy/auth/google"
	"github.com/backupcopy/backupcopy/examples/internal/example"
	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

const name = "spanner-backup"

// Resource names the offline run seeds into the fake.
const (
	demoParent   = "projects/demo-project/instances/demo"
	demoDatabase = "projects/demo-project/instances/demo/databases/orders"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type config struct {
	live                                                 bool
	parent, database, backupID, source, resume, endpoint string
	expire, timeout, pollMax, fakeDuration               time.Duration
	copy, cancelOnInterrupt                              bool
}

func parseFlags(args []string, errOut io.Writer) (*config, error) {
	var c config
	fs := example.FlagSet(name, "Backs up a Cloud Spanner database (or copies a backup) and waits for it.\n"+
		"Offline against an in-process fake by default; -live for Cloud Spanner.", errOut)
	fs.BoolVar(&c.live, "live", false, "use Cloud Spanner (default: an in-process fake, offline)")
	fs.StringVar(&c.parent, "parent", "", "live: instance of the new backup, projects/P/instances/I")
	fs.StringVar(&c.database, "database", "", "live: database to back up, projects/P/instances/I/databases/D")
	fs.StringVar(&c.source, "source", "", "copy this backup (projects/P/instances/I/backups/B) instead of backing up -database")
	fs.StringVar(&c.backupID, "backup-id", "", "id of the new backup (default "+name+"-YYYYMMDD-HHMMSS)")
	fs.DurationVar(&c.expire, "expire", 7*24*time.Hour, "how long the backup is kept (6h to 8784h)")
	fs.StringVar(&c.resume, "resume", "", "live: follow the operation with this name instead of starting one")
	fs.BoolVar(&c.copy, "copy", false, "with -resume: the operation is a copy")
	fs.StringVar(&c.endpoint, "endpoint", "", "live: API endpoint (default "+spanner.DefaultEndpoint+")")
	fs.DurationVar(&c.fakeDuration, "fake-duration", example.DefaultFakeDuration, "offline: how long the fake takes")
	fs.DurationVar(&c.timeout, "timeout", 0, "give up waiting after this long (default 30s offline, 24h live)")
	fs.DurationVar(&c.pollMax, "poll-max", 0, "longest interval between polls (default: the client's, 1m)")
	fs.BoolVar(&c.cancelOnInterrupt, "cancel-on-interrupt", false, "cancel the operation when interrupted")
	if err := example.Parse(fs, args); err != nil {
		return nil, err
	}
	if c.backupID == "" {
		c.backupID = name + "-" + time.Now().UTC().Format("20060102-150405")
	}
	maxExpire := spanner.MaxCreateExpire
	if c.source != "" {
		maxExpire = spanner.MaxCopyExpire
	}
	if c.expire < spanner.MinExpire || c.expire > maxExpire {
		return nil, example.Usagef("-expire %v: must be from %v to %v", c.expire, spanner.MinExpire, maxExpire)
	}
	c.timeout = example.Timeout(c.timeout, c.live)
	switch {
	case c.copy && c.resume == "":
		return nil, example.Usagef("-copy goes with -resume; to start a copy, give -source")
	case !c.live && c.resume != "":
		return nil, example.NoResumeOffline()
	case c.live && c.resume == "" && c.source != "":
		if err := example.Required("-live -source", "-parent", c.parent); err != nil {
			return nil, err
		}
	case c.live && c.resume == "":
		if err := example.Required("-live", "-parent", c.parent, "-database (or -source)", c.database); err != nil {
			return nil, err
		}
	case !c.live:
		if c.parent == "" {
			c.parent = demoParent
		}
		if c.database == "" {
			c.database = demoDatabase
		}
	}
	return &c, nil
}

// handle is what the program needs of either operation type.
type handle interface {
	Name() string
	Done() bool
	Cancel(ctx context.Context) error
	Wait(ctx context.Context, opts ...lro.WaitOption) (*spanner.Backup, error)
}

func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	cfg, err := parseFlags(args, errOut)
	if err == nil {
		err = backup(ctx, cfg, out)
	}
	return example.Exit(name, errOut, err)
}

func backup(ctx context.Context, cfg *config, out io.Writer) error {
	var opts []spanner.Option
	var waitOpts []lro.WaitOption
	if cfg.live {
		// Application Default Credentials, checked first so that a missing
		// one is reported as such (this program has no flag to choose others).
		if _, err := google.DefaultAuthenticator(ctx, google.CloudPlatformScope); err != nil {
			return err
		}
		if cfg.endpoint != "" {
			opts = append(opts, spanner.WithEndpoint(cfg.endpoint))
		}
		fmt.Fprintln(out, name+": live, against Cloud Spanner")
	} else {
		srv := spannertest.NewServer(spannertest.WithOperationDuration(cfg.fakeDuration))
		defer srv.Close()
		srv.AddInstance(cfg.parent)
		srv.AddDatabase(cfg.database)
		if cfg.source != "" {
			srv.AddBackup(spanner.Backup{Name: cfg.source, Database: cfg.database, SizeBytes: 64 << 20})
		}
		opts = append(opts, spanner.WithEndpoint(srv.URL()),
			spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "fake-token"})))
		waitOpts = append(waitOpts, example.OfflinePolls())
		fmt.Fprintf(out, "%s: offline, against an in-process fake at %s (use -live for Cloud Spanner)\n", name, srv.URL())
	}
	if cfg.pollMax > 0 {
		waitOpts = append(waitOpts, lro.WithPollInterval(0, cfg.pollMax))
	}
	c, err := spanner.NewClient(ctx, opts...)
	if err != nil {
		return err
	}
	defer c.Close()

	var op handle
	switch {
	case cfg.resume != "" && cfg.copy:
		op = c.CopyBackupOperation(cfg.resume)
		fmt.Fprintf(out, "resuming copy %s\n", cfg.resume)
	case cfg.resume != "":
		op = c.CreateBackupOperation(cfg.resume)
		fmt.Fprintf(out, "resuming backup %s\n", cfg.resume)
	case cfg.source != "":
		cop, err := c.CopyBackup(ctx, &spanner.CopyBackupRequest{
			Parent: cfg.parent, BackupID: cfg.backupID, SourceBackup: cfg.source,
			ExpireTime: time.Now().Add(cfg.expire),
		})
		if err != nil {
			return err
		}
		op = cop
		fmt.Fprintf(out, "copying %s\n     to %s/backups/%s\n", cfg.source, cfg.parent, cfg.backupID)
	default:
		cop, err := c.CreateBackup(ctx, &spanner.CreateBackupRequest{
			Parent: cfg.parent, BackupID: cfg.backupID, Database: cfg.database,
			ExpireTime: time.Now().Add(cfg.expire),
		})
		if err != nil {
			return err
		}
		op = cop
		fmt.Fprintf(out, "backing up %s\n        to %s/backups/%s\n", cfg.database, cfg.parent, cfg.backupID)
	}
	resume, state := "-resume "+op.Name(), "creating"
	if _, isCopy := op.(*spanner.CopyBackupOperation); isCopy {
		resume, state = resume+" -copy", "copying"
	}
	fmt.Fprintf(out, "operation %s\n", op.Name())

	waitCtx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	waitOpts = append(waitOpts, example.Progress(out, func() string {
		if op.Done() {
			return "done"
		}
		return state
	}))
	b, err := op.Wait(waitCtx, waitOpts...)
	if err != nil {
		if ctx.Err() != nil && cfg.cancelOnInterrupt {
			cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer ccancel()
			if cerr := op.Cancel(cctx); cerr != nil {
				return fmt.Errorf("interrupted; cancelling %s failed: %w", op.Name(), cerr)
			}
			return fmt.Errorf("interrupted; cancel requested for %s", op.Name())
		}
		return example.WaitEnded(waitCtx, err, cfg.live, "Spanner", resume)
	}
	fmt.Fprintf(out, "backup %s is %s: %d bytes, version time %s, expires %s\n",
		b.Name, b.State, b.SizeBytes, b.VersionTime.Format(time.RFC3339), b.ExpireTime.Format(time.RFC3339))
	if b.SourceBackup != "" {
		fmt.Fprintf(out, "copied from %s\n", b.SourceBackup)
	}
	return nil
}
