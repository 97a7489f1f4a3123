// Command fsx-copy copies an Amazon FSx backup into another (or the same)
// region and waits until the copy is AVAILABLE, printing its progress.
//
// By default it runs offline, against the in-process fake (fsxtest) with a
// seeded source backup, and finishes in a few seconds:
//
//	go run ./examples/fsx-copy
//
// With -live it copies in FSx, with credentials from the environment or
// ~/.aws, into the region -region (else AWS_REGION, AWS_DEFAULT_REGION or the
// profile's); -source is then required:
//
//	go run ./examples/fsx-copy -live -region us-west-2 \
//		-source backup-0123456789abcdef0 -source-region us-east-1 -tag purpose=dr -copy-tags
//
// It prints the new backup's id first. If it is interrupted, the copy goes
// on in FSx; follow it again with
//
//	go run ./examples/fsx-copy -live -region us-west-2 -resume BACKUP_ID
//
// The exit code is 0 when the copy is AVAILABLE, 1 when it (or a call)
// failed, 2 for a wrong command line. -h lists the flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/examples/internal/example"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/lro"
)

const name = "fsx-copy"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type config struct {
	live                                                  bool
	source, sourceRegion, region, kmsKeyID, token, resume string
	endpoint                                              string
	tags                                                  tagFlags
	copyTags                                              bool
	timeout, pollMax, fakeDuration                        time.Duration
}

// tagFlags collects repeated -tag key=value flags.
type tagFlags []fsx.Tag

func (t *tagFlags) String() string {
	var parts []string
	for _, tag := range *t {
		parts = append(parts, tag.Key+"="+tag.Value)
	}
	return strings.Join(parts, ",")
}

func (t *tagFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return errors.New("want key=value")
	}
	*t = append(*t, fsx.Tag{Key: k, Value: val})
	return nil
}

func parseFlags(args []string, errOut io.Writer) (*config, error) {
	var c config
	fs := example.FlagSet(name, "Copies an Amazon FSx backup into a region and waits until the copy is AVAILABLE.\n"+
		"Offline against an in-process fake by default; -live for Amazon FSx.", errOut)
	fs.BoolVar(&c.live, "live", false, "use Amazon FSx (default: an in-process fake, offline)")
	fs.StringVar(&c.region, "region", "", "destination region (default $AWS_REGION, $AWS_DEFAULT_REGION or the profile's)")
	fs.StringVar(&c.source, "source", "", "live: ID of the backup to copy, backup-...")
	fs.StringVar(&c.sourceRegion, "source-region", "", "region of the source backup (default: -region)")
	fs.StringVar(&c.kmsKeyID, "kms-key-id", "", "KMS key for the copy (optional)")
	fs.StringVar(&c.token, "token", "", "ClientRequestToken (default: a new UUID)")
	fs.Var(&c.tags, "tag", "tag key=value for the copy (repeatable)")
	fs.BoolVar(&c.copyTags, "copy-tags", false, "copy the source backup's tags")
	fs.StringVar(&c.resume, "resume", "", "live: follow the copy with this backup ID instead of starting one")
	fs.StringVar(&c.endpoint, "endpoint", "", "live: API endpoint (default https://fsx.REGION.amazonaws.com)")
	fs.DurationVar(&c.fakeDuration, "fake-duration", example.DefaultFakeDuration, "offline: how long the fake takes to copy")
	fs.DurationVar(&c.timeout, "timeout", 0, "give up waiting after this long (default 30s offline, 24h live)")
	fs.DurationVar(&c.pollMax, "poll-max", 0, "longest interval between polls (default: the client's, 30s)")
	if err := example.Parse(fs, args); err != nil {
		return nil, err
	}
	c.timeout = example.Timeout(c.timeout, c.live)
	switch {
	case !c.live && c.resume != "":
		return nil, example.NoResumeOffline()
	case c.live:
		if c.region == "" && auth.AWSRegion("") == "" {
			return nil, example.Usagef("-live needs -region (or $AWS_REGION, $AWS_DEFAULT_REGION, or a region in the AWS profile)")
		}
		if c.resume == "" {
			if err := example.Required("-live", "-source", c.source); err != nil {
				return nil, err
			}
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

	opts := []fsx.Option{fsx.WithUserAgent(name + "-example")}
	var waitOpts []lro.WaitOption
	if cfg.live {
		if cfg.endpoint != "" {
			opts = append(opts, fsx.WithEndpoint(cfg.endpoint))
		}
		fmt.Fprintln(out, name+": live, against Amazon FSx")
	} else {
		srv := fsxtest.NewServer()
		defer srv.Close()
		srv.SetOperationDuration(cfg.fakeDuration)
		seedFake(srv, cfg)
		opts = append(opts, fsx.WithEndpoint(srv.URL()),
			fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")))
		waitOpts = append(waitOpts, example.OfflinePolls())
		fmt.Fprintf(out, "%s: offline, against an in-process fake at %s (use -live for Amazon FSx)\n", name, srv.URL())
	}
	if cfg.region != "" {
		opts = append(opts, fsx.WithRegion(cfg.region))
	}
	if cfg.pollMax > 0 {
		waitOpts = append(waitOpts, lro.WithPollInterval(0, cfg.pollMax))
	}
	client, err := fsx.NewClient(ctx, opts...)
	if err != nil {
		return err
	}
	defer client.Close()

	var op *fsx.CopyBackupOperation
	if cfg.resume != "" {
		op = client.CopyBackupOperation(cfg.resume)
		fmt.Fprintf(out, "resuming %s\n", op.Name())
	} else {
		op, err = client.CopyBackup(ctx, &fsx.CopyBackupRequest{
			SourceBackupID:     cfg.source,
			SourceRegion:       cfg.sourceRegion,
			KMSKeyID:           cfg.kmsKeyID,
			ClientRequestToken: cfg.token,
			CopyTags:           cfg.copyTags,
			Tags:               cfg.tags,
		})
		if err != nil {
			return err
		}
		from := cfg.sourceRegion
		if from == "" {
			from = client.Region()
		}
		fmt.Fprintf(out, "copying %s/%s\n     to %s\noperation %s (the new backup's id)\n", from, cfg.source, client.Region(), op.Name())
	}
	waitOpts = append(waitOpts, example.Progress(out, func() string {
		if m := op.Metadata(); m != nil {
			return string(m.Lifecycle)
		}
		return "?"
	}))
	b, err := op.Wait(ctx, waitOpts...)
	if err != nil {
		var fe *fsx.CopyFailedError
		if errors.As(err, &fe) {
			return fmt.Errorf("copy failed: %w", err)
		}
		return example.WaitEnded(ctx, err, cfg.live, "FSx", "-region "+client.Region()+" -resume "+op.Name())
	}
	fmt.Fprintf(out, "done: backup %s is %s (copy of %s from %s, %d bytes, tags %v)\n",
		b.BackupID, b.Lifecycle, b.SourceBackupID, b.SourceBackupRegion, b.SizeInBytes, b.Tags)
	return nil
}

// seedFake gives the fake a source backup and fills the flags the user left
// empty.
func seedFake(srv *fsxtest.Server, cfg *config) {
	if cfg.region == "" {
		cfg.region = fsxtest.Region
	}
	if cfg.sourceRegion == "" {
		cfg.sourceRegion = fsxtest.SourceRegion
	}
	b := fsx.Backup{BackupID: cfg.source, SizeInBytes: 1200 << 30, FileSystemType: "LUSTRE",
		Tags: []fsx.Tag{{Key: "Name", Value: "nightly"}}}
	if cfg.sourceRegion == fsxtest.Region {
		cfg.source = srv.AddBackup(b).BackupID
	} else {
		cfg.source = srv.AddBackupIn(cfg.sourceRegion, b).BackupID
	}
	if len(cfg.tags) == 0 {
		cfg.tags = tagFlags{{Key: "purpose", Value: "disaster-recovery"}}
	}
}
