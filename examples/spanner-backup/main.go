// Command spanner-backup backs up a Cloud Spanner database (or copies a
// backup to another instance) and waits for it, printing the progress.
//
// Offline, against an in-process fake with a seeded database:
//
//	go run ./examples/spanner-backup -fake
//	go run ./examples/spanner-backup -fake -source projects/demo-project/instances/demo/backups/seed
//
// Against Cloud Spanner (Application Default Credentials):
//
//	go run ./examples/spanner-backup \
//	    -parent projects/P/instances/I -database projects/P/instances/I/databases/D \
//	    -backup-id nightly -expire 168h
//
// Copy a backup to another instance (-parent is the destination):
//
//	go run ./examples/spanner-backup -parent projects/P/instances/DR \
//	    -source projects/P/instances/I/backups/nightly -backup-id nightly-dr
//
// Resume waiting for an operation started earlier (even by another process),
// with -copy when it is a copy:
//
//	go run ./examples/spanner-backup -resume projects/P/instances/I/backups/B/operations/N
//
// Interrupting the program (Ctrl-C) stops waiting but leaves the operation
// running; -cancel-on-interrupt cancels it instead.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "spanner-backup:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type config struct {
	parent, database, backupID, source, resume, endpoint string
	expire, timeout, pollMax, fakeDuration               time.Duration
	fake, copy, cancelOnInterrupt                        bool
}

func parseFlags(args []string, out io.Writer) (*config, error) {
	var c config
	fs := flag.NewFlagSet("spanner-backup", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.parent, "parent", "projects/demo-project/instances/demo", "instance of the new backup, projects/P/instances/I")
	fs.StringVar(&c.database, "database", "projects/demo-project/instances/demo/databases/orders", "database to back up, projects/P/instances/I/databases/D")
	fs.StringVar(&c.backupID, "backup-id", "orders-nightly", "id of the new backup")
	fs.StringVar(&c.source, "source", "", "copy this backup (projects/P/instances/I/backups/B) instead of backing up -database")
	fs.DurationVar(&c.expire, "expire", 7*24*time.Hour, "how long the backup is kept (6h to 8784h)")
	fs.StringVar(&c.resume, "resume", "", "wait for the operation with this name instead of starting one")
	fs.BoolVar(&c.copy, "copy", false, "with -resume: the operation is a copy")
	fs.StringVar(&c.endpoint, "endpoint", "", "API endpoint (default "+spanner.DefaultEndpoint+")")
	fs.BoolVar(&c.fake, "fake", false, "run against an in-process fake with a seeded database (and -source backup)")
	fs.DurationVar(&c.fakeDuration, "fake-duration", spannertest.DefaultDuration, "how long the fake takes")
	fs.DurationVar(&c.timeout, "timeout", 2*time.Hour, "give up waiting after this long (the operation keeps running)")
	fs.DurationVar(&c.pollMax, "poll-max", 0, "longest interval between polls (default: the client's, 1 minute)")
	fs.BoolVar(&c.cancelOnInterrupt, "cancel-on-interrupt", false, "cancel the operation when interrupted")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.fake && c.resume != "" {
		return nil, errors.New("-resume needs a real endpoint: the fake lives only as long as this process")
	}
	if c.copy && c.resume == "" {
		return nil, errors.New("-copy goes with -resume; to start a copy, give -source")
	}
	return &c, nil
}

// handle is what the program needs of either operation type.
type handle interface {
	Name() string
	Cancel(ctx context.Context) error
	Wait(ctx context.Context, opts ...lro.WaitOption) (*spanner.Backup, error)
}

func run(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	var opts []spanner.Option
	if cfg.endpoint != "" {
		opts = append(opts, spanner.WithEndpoint(cfg.endpoint))
	}
	if cfg.fake {
		srv := spannertest.NewServer(spannertest.WithOperationDuration(cfg.fakeDuration))
		defer srv.Close()
		srv.AddInstance(cfg.parent)
		srv.AddDatabase(cfg.database)
		if cfg.source != "" {
			srv.AddBackup(spanner.Backup{Name: cfg.source, Database: cfg.database, SizeBytes: 64 << 20})
		}
		opts = append(opts, spanner.WithEndpoint(srv.URL()),
			spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "fake-token"})))
		fmt.Fprintf(out, "using an in-process fake at %s\n", srv.URL())
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
		fmt.Fprintf(out, "copying %s to %s/backups/%s\n", cfg.source, cfg.parent, cfg.backupID)
	default:
		cop, err := c.CreateBackup(ctx, &spanner.CreateBackupRequest{
			Parent: cfg.parent, BackupID: cfg.backupID, Database: cfg.database,
			ExpireTime: time.Now().Add(cfg.expire),
		})
		if err != nil {
			return err
		}
		op = cop
		fmt.Fprintf(out, "backing up %s to %s/backups/%s\n", cfg.database, cfg.parent, cfg.backupID)
	}
	resumeFlags := "-resume " + op.Name()
	if _, isCopy := op.(*spanner.CopyBackupOperation); isCopy {
		resumeFlags += " -copy"
	}
	fmt.Fprintf(out, "operation: %s\n(resume with %s)\n", op.Name(), resumeFlags)

	waitCtx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	waitOpts := []lro.WaitOption{lro.WithProgress(func(p lro.Progress) {
		switch {
		case p.Done && p.Err == nil:
			fmt.Fprintf(out, "progress: 100%% done after %s\n", p.Elapsed.Round(time.Millisecond))
		case p.Done:
			fmt.Fprintf(out, "failed after %s\n", p.Elapsed.Round(time.Millisecond))
		case p.Percent >= 0:
			fmt.Fprintf(out, "progress: %3d%% %s\n", p.Percent, bar(p.Percent))
		default:
			fmt.Fprintf(out, "waiting (%d polls)\n", p.Polls)
		}
	})}
	switch {
	case cfg.pollMax > 0:
		waitOpts = append(waitOpts, lro.WithPollInterval(min(time.Second, cfg.pollMax), cfg.pollMax))
	case cfg.fake:
		waitOpts = append(waitOpts, lro.WithPollInterval(250*time.Millisecond, 500*time.Millisecond))
	}
	b, err := op.Wait(waitCtx, waitOpts...)
	if err != nil {
		if ctx.Err() != nil && cfg.cancelOnInterrupt {
			cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer ccancel()
			if cerr := op.Cancel(cctx); cerr != nil {
				return fmt.Errorf("%w (and cancelling failed: %v)", err, cerr)
			}
			return fmt.Errorf("%w: cancel requested for %s", err, op.Name())
		}
		return err
	}
	fmt.Fprintf(out, "backup %s is %s: %d bytes, version time %s, expires %s\n",
		b.Name, b.State, b.SizeBytes, b.VersionTime.Format(time.RFC3339), b.ExpireTime.Format(time.RFC3339))
	if b.SourceBackup != "" {
		fmt.Fprintf(out, "copied from %s\n", b.SourceBackup)
	}
	return nil
}

func bar(percent int) string {
	n := max(0, min(percent, 100)) / 5
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", 20-n) + "]"
}
