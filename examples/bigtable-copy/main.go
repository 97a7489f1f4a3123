// Command bigtable-copy copies a Cloud Bigtable backup to another cluster and
// waits for the copy, printing its progress.
//
// Offline, against an in-process fake with a seeded source backup:
//
//	go run ./examples/bigtable-copy -fake
//
// Against Cloud Bigtable (Application Default Credentials):
//
//	go run ./examples/bigtable-copy \
//	    -source projects/P/instances/I/clusters/C1/backups/B \
//	    -parent projects/P/instances/I/clusters/C2 -backup-id B-copy -expire 168h
//
// Resume waiting for a copy started earlier (even by another process):
//
//	go run ./examples/bigtable-copy -resume operations/projects/P/.../operations/N
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
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/lro"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bigtable-copy:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type config struct {
	parent, backupID, source, resume, endpoint string
	expire, timeout, pollMax                   time.Duration
	fake                                       bool
	fakeDuration                               time.Duration
}

func parseFlags(args []string, out io.Writer) (*config, error) {
	var c config
	fs := flag.NewFlagSet("bigtable-copy", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.parent, "parent", "projects/demo-project/instances/demo/clusters/demo-c2", "destination cluster, projects/P/instances/I/clusters/C")
	fs.StringVar(&c.backupID, "backup-id", "nightly-copy", "id of the new backup")
	fs.StringVar(&c.source, "source", "projects/demo-project/instances/demo/clusters/demo-c1/backups/nightly", "source backup, projects/P/instances/I/clusters/C/backups/B")
	fs.DurationVar(&c.expire, "expire", 7*24*time.Hour, "how long the copy is kept (6h to 720h)")
	fs.StringVar(&c.resume, "resume", "", "wait for the copy operation with this name instead of starting one")
	fs.StringVar(&c.endpoint, "endpoint", "", "API endpoint (default https://bigtableadmin.googleapis.com)")
	fs.BoolVar(&c.fake, "fake", false, "run against an in-process fake with a seeded source backup")
	fs.DurationVar(&c.fakeDuration, "fake-duration", 2*time.Second, "how long the fake takes to copy")
	fs.DurationVar(&c.timeout, "timeout", time.Hour, "give up waiting after this long")
	fs.DurationVar(&c.pollMax, "poll-max", 0, "longest interval between polls (default: the client's, 1 minute)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.fake && c.resume != "" {
		return nil, errors.New("-resume needs a real endpoint: the fake lives only as long as this process")
	}
	return &c, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	var opts []bigtable.Option
	if cfg.endpoint != "" {
		opts = append(opts, bigtable.WithEndpoint(cfg.endpoint))
	}
	waitOpts := []lro.WaitOption{lro.WithProgress(func(p lro.Progress) {
		switch {
		case p.Done && p.Err != nil:
			fmt.Fprintf(out, "  failed after %s\n", p.Elapsed.Round(time.Millisecond))
		case p.Done:
			fmt.Fprintf(out, "  100%% done after %s\n", p.Elapsed.Round(time.Millisecond))
		case p.Percent >= 0:
			fmt.Fprintf(out, "  %3d%% (%s)\n", p.Percent, p.Elapsed.Round(time.Millisecond))
		default:
			fmt.Fprintf(out, "  running (%s)\n", p.Elapsed.Round(time.Millisecond))
		}
	})}
	if cfg.pollMax > 0 {
		waitOpts = append(waitOpts, lro.WithPollInterval(0, cfg.pollMax))
	}
	if cfg.fake {
		fake := bigtabletest.NewServer()
		defer fake.Close()
		fake.SetOperationDuration(cfg.fakeDuration)
		fake.AddBackup(bigtable.Backup{Name: cfg.source, SourceTable: tableFor(cfg.source), SizeBytes: 3 << 30})
		fake.AddCluster(cfg.parent)
		opts = append(opts, bigtable.WithEndpoint(fake.URL()),
			bigtable.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "fake-token"})))
		// The fake finishes in seconds: look often.
		waitOpts = append(waitOpts, lro.WithPollInterval(200*time.Millisecond, 500*time.Millisecond))
		fmt.Fprintf(out, "fake Bigtable Admin API at %s, source %s seeded\n", fake.URL(), cfg.source)
	}
	client, err := bigtable.NewClient(ctx, opts...)
	if err != nil {
		return err
	}
	defer client.Close()

	var op *bigtable.CopyBackupOperation
	if cfg.resume != "" {
		op = client.CopyBackupOperation(cfg.resume)
		fmt.Fprintf(out, "resuming %s\n", op.Name())
	} else {
		op, err = client.CopyBackup(ctx, &bigtable.CopyBackupRequest{
			Parent:       cfg.parent,
			BackupID:     cfg.backupID,
			SourceBackup: cfg.source,
			ExpireTime:   time.Now().Add(cfg.expire),
		})
		if err != nil {
			if status.Code(err) == codes.AlreadyExists {
				return fmt.Errorf("%w\n(choose another -backup-id, or delete %s/backups/%s)", err, cfg.parent, cfg.backupID)
			}
			return err
		}
		fmt.Fprintf(out, "copying %s\n     to %s/backups/%s\noperation %s\n(to resume later: -resume %s)\n", cfg.source, cfg.parent, cfg.backupID, op.Name(), op.Name())
	}
	b, err := op.Wait(ctx, waitOpts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "backup %s is %s: %d bytes, expires %s\n", b.Name, b.State, b.SizeBytes, b.ExpireTime.Format(time.RFC3339))
	if m := op.Metadata(); m != nil {
		fmt.Fprintf(out, "copied from %s (table %s)\n", m.SourceBackupInfo.Backup, m.SourceBackupInfo.SourceTable)
	}
	return nil
}

// tableFor invents a source table name in the source backup's instance, for
// the fake's seeded backup.
func tableFor(backup string) string {
	parts := strings.Split(backup, "/")
	if len(parts) != 8 {
		return ""
	}
	return strings.Join(parts[:4], "/") + "/tables/demo-table"
}
