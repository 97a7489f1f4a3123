// Command bigtable-copy copies a Cloud Bigtable backup to another cluster and
// waits for the copy, printing its progress.
//
// By default it runs offline, against the in-process fake (bigtabletest)
// with a seeded source backup, and finishes in a few seconds:
//
//	go run ./examples/bigtable-copy
//
// With -live it copies in Cloud Bigtable (Application Default Credentials);
// -source and -parent are then required:
//
//	go run ./examples/bigtable-copy -live \
//	    -source projects/P/instances/I/clusters/C1/backups/B \
//	    -parent projects/P/instances/I/clusters/C2 -backup-id B-copy -expire 168h
//
// It prints the operation's name first. If it is interrupted, the copy goes
// on in Bigtable; follow it again (even from another machine) with
//
//	go run ./examples/bigtable-copy -live -resume operations/projects/P/.../operations/N
//
// The exit code is 0 when the copy is READY, 1 when it (or a call) failed,
// 2 for a wrong command line. -h lists the flags.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy/auth/google"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/examples/internal/example"
	"github.com/backupcopy/backupcopy/lro"
)

const name = "bigtable-copy"

// Resource names the offline run seeds into the fake.
const (
	demoSource = "projects/demo-project/instances/demo/clusters/demo-c1/backups/nightly"
	demoParent = "projects/demo-project/instances/demo/clusters/demo-c2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type config struct {
	live                                       bool
	parent, backupID, source, resume, endpoint string
	expire, timeout, pollMax, fakeDuration     time.Duration
}

func parseFlags(args []string, errOut io.Writer) (*config, error) {
	var c config
	fs := example.FlagSet(name, "Copies a Cloud Bigtable backup to another cluster and waits for the copy.\n"+
		"Offline against an in-process fake by default; -live for Cloud Bigtable.", errOut)
	fs.BoolVar(&c.live, "live", false, "use Cloud Bigtable (default: an in-process fake, offline)")
	fs.StringVar(&c.source, "source", "", "live: source backup, projects/P/instances/I/clusters/C/backups/B")
	fs.StringVar(&c.parent, "parent", "", "live: destination cluster, projects/P/instances/I/clusters/C")
	fs.StringVar(&c.backupID, "backup-id", "", "id of the copy (default "+name+"-YYYYMMDD-HHMMSS)")
	fs.DurationVar(&c.expire, "expire", 7*24*time.Hour, "how long the copy is kept (6h to 720h)")
	fs.StringVar(&c.resume, "resume", "", "live: follow the copy operation with this name instead of starting one")
	fs.StringVar(&c.endpoint, "endpoint", "", "live: API endpoint (default "+bigtable.DefaultEndpoint+")")
	fs.DurationVar(&c.fakeDuration, "fake-duration", example.DefaultFakeDuration, "offline: how long the fake takes to copy")
	fs.DurationVar(&c.timeout, "timeout", 0, "give up waiting after this long (default 30s offline, 24h live)")
	fs.DurationVar(&c.pollMax, "poll-max", 0, "longest interval between polls (default: the client's, 1m)")
	if err := example.Parse(fs, args); err != nil {
		return nil, err
	}
	if c.backupID == "" {
		c.backupID = name + "-" + time.Now().UTC().Format("20060102-150405")
	}
	if c.expire < bigtable.MinExpire || c.expire > bigtable.MaxCopyExpire {
		return nil, example.Usagef("-expire %v: must be from %v to %v", c.expire, bigtable.MinExpire, bigtable.MaxCopyExpire)
	}
	c.timeout = example.Timeout(c.timeout, c.live)
	switch {
	case !c.live && c.resume != "":
		return nil, example.NoResumeOffline()
	case c.live && c.resume == "":
		if err := example.Required("-live", "-source", c.source, "-parent", c.parent); err != nil {
			return nil, err
		}
	case !c.live:
		if c.source == "" {
			c.source = demoSource
		}
		if c.parent == "" {
			c.parent = demoParent
		}
	}
	return &c, nil
}

func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	cfg, err := parseFlags(args, errOut)
	if err == nil {
		err = copyBackup(ctx, cfg, out)
	}
	return example.Exit(name, errOut, err)
}

func copyBackup(ctx context.Context, cfg *config, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	var opts []bigtable.Option
	var waitOpts []lro.WaitOption
	if cfg.live {
		// Application Default Credentials, checked first so that a missing
		// one is reported as such (this program has no flag to choose others).
		if _, err := google.DefaultAuthenticator(ctx, google.CloudPlatformScope); err != nil {
			return err
		}
		if cfg.endpoint != "" {
			opts = append(opts, bigtable.WithEndpoint(cfg.endpoint))
		}
		fmt.Fprintln(out, name+": live, against Cloud Bigtable")
	} else {
		fake := bigtabletest.NewServer()
		defer fake.Close()
		fake.SetOperationDuration(cfg.fakeDuration)
		fake.AddBackup(bigtable.Backup{Name: cfg.source, SourceTable: tableFor(cfg.source), SizeBytes: 3 << 30})
		fake.AddCluster(cfg.parent)
		opts = append(opts, bigtable.WithEndpoint(fake.URL()),
			bigtable.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "fake-token"})))
		waitOpts = append(waitOpts, example.OfflinePolls())
		fmt.Fprintf(out, "%s: offline, against an in-process fake at %s (use -live for Cloud Bigtable)\n", name, fake.URL())
	}
	if cfg.pollMax > 0 {
		waitOpts = append(waitOpts, lro.WithPollInterval(0, cfg.pollMax))
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
				return fmt.Errorf("%w (choose another -backup-id, or delete %s/backups/%s)", err, cfg.parent, cfg.backupID)
			}
			return err
		}
		fmt.Fprintf(out, "copying %s\n     to %s/backups/%s\noperation %s\n", cfg.source, cfg.parent, cfg.backupID, op.Name())
	}
	waitOpts = append(waitOpts, example.Progress(out, func() string {
		if op.Done() {
			return "done"
		}
		return "copying"
	}))
	b, err := op.Wait(ctx, waitOpts...)
	if err != nil {
		return example.WaitEnded(ctx, err, cfg.live, "Bigtable", "-resume "+op.Name())
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
