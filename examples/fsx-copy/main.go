// Command fsx-copy copies an Amazon FSx backup into another (or the same)
// region and waits until the copy is AVAILABLE, printing its progress.
//
// By default it runs offline, against the in-process fake (no account
// needed), and finishes in a few seconds:
//
//	go run ./examples/fsx-copy
//	go run ./examples/fsx-copy -fake
//
// Against FSx, with credentials from the environment or ~/.aws, into the
// region -region (else AWS_REGION):
//
//	go run ./examples/fsx-copy -fake=false -region us-west-2 \
//		-source backup-0123456789abcdef0 -source-region us-east-1 -tag purpose=dr -copy-tags
//
// The program prints the new backup's id first. If it is interrupted, the
// copy goes on in FSx; follow it again with
//
//	go run ./examples/fsx-copy -fake=false -region us-west-2 -resume BACKUP_ID
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

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/lro"
)

type config struct {
	source, sourceRegion, region, kmsKeyID, token, resume string
	tags                                                  tagFlags
	copyTags, fake                                        bool
	timeout                                               time.Duration
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

func main() {
	var cfg config
	flag.StringVar(&cfg.source, "source", "", "ID of the backup to copy (with -fake: a seeded one by default)")
	flag.StringVar(&cfg.sourceRegion, "source-region", "", "region of the source backup (default: the client's region)")
	flag.StringVar(&cfg.region, "region", "", "destination region (default AWS_REGION, AWS_DEFAULT_REGION or the profile's)")
	flag.StringVar(&cfg.kmsKeyID, "kms-key-id", "", "KMS key for the copy (optional)")
	flag.StringVar(&cfg.token, "token", "", "ClientRequestToken (default: a new UUID)")
	flag.Var(&cfg.tags, "tag", "tag key=value for the copy (repeatable)")
	flag.BoolVar(&cfg.copyTags, "copy-tags", false, "copy the source backup's tags")
	flag.StringVar(&cfg.resume, "resume", "", "wait for the copy with this backup ID instead of starting one")
	flag.BoolVar(&cfg.fake, "fake", true, "run against an in-process fake of FSx (offline); -fake=false for AWS")
	flag.DurationVar(&cfg.timeout, "timeout", 6*time.Hour, "give up waiting after this long")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "fsx-copy:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, cfg config) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	opts := []fsx.Option{fsx.WithUserAgent("fsx-copy-example")}
	var pollEvery lro.WaitOption // nil: the package defaults
	if cfg.fake {
		if cfg.resume != "" {
			return errors.New("-resume cannot be used with -fake: the fake lives and dies with this process")
		}
		srv := fsxtest.NewServer()
		defer srv.Close()
		seedFake(srv, &cfg)
		opts = append(opts, fsx.WithEndpoint(srv.URL()),
			fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")))
		pollEvery = lro.WithPollInterval(200*time.Millisecond, 400*time.Millisecond)
		fmt.Fprintf(out, "fake FSx at %s: copying %s from %s to %s\n", srv.URL(), cfg.source, cfg.sourceRegion, cfg.region)
	}
	if cfg.region != "" {
		opts = append(opts, fsx.WithRegion(cfg.region))
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
		fmt.Fprintf(out, "copy started in %s: new backup %s (for -resume)\n", client.Region(), op.Name())
	}

	last := -2
	b, err := op.Wait(ctx, pollEvery, lro.WithProgress(func(p lro.Progress) {
		if p.Percent == last {
			return
		}
		last = p.Percent
		lc := fsx.Lifecycle("?")
		if m := op.Metadata(); m != nil {
			lc = m.Lifecycle
		}
		fmt.Fprintf(out, "  %3d%%  %-9s (%s)\n", max(p.Percent, 0), lc, p.Elapsed.Round(100*time.Millisecond))
	}))
	if err != nil {
		var fe *fsx.CopyFailedError
		if errors.As(err, &fe) {
			return fmt.Errorf("copy failed: %w", err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w; the copy continues in FSx: follow it with -resume %s", err, op.Name())
		}
		return err
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
