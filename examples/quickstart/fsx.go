package main

import (
	"context"
	"fmt"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/lro"
)

type fsxFake struct {
	srv *fsxtest.Server
	src string
}

// startFSxFake starts fsxtest with an AVAILABLE source backup in another
// region.
func startFSxFake(cfg *config) *fsxFake {
	srv := fsxtest.NewServer()
	srv.SetOperationDuration(cfg.fakeDuration)
	src := srv.AddBackupIn(fsxtest.SourceRegion, fsx.Backup{BackupID: "backup-0a1b2c3d4e5f60718", SizeInBytes: 512 << 30})
	return &fsxFake{srv: srv, src: src.BackupID}
}

func (f *fsxFake) close() { f.srv.Close() }

func (f *fsxFake) task(cfg *config) task {
	c := *cfg
	c.fsxRegion, c.fsxSource, c.fsxSourceRegion = fsxtest.Region, f.src, fsxtest.SourceRegion
	return fsxTask(&c, fsx.WithEndpoint(f.srv.URL()),
		fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")))
}

// fsxLiveTask checks that the AWS credential chain has credentials before it
// starts, so that a missing credential is one line, not a signing error.
func fsxLiveTask(cfg *config) task {
	t := fsxTask(cfg)
	start := t.start
	t.start = func(ctx context.Context) (started, error) {
		if _, err := auth.DefaultAWSCredentials().Retrieve(ctx); err != nil {
			return started{}, hint(err, awsHint)
		}
		return start(ctx)
	}
	return t
}

// fsxTask copies an FSx backup into the client's region.
func fsxTask(cfg *config, opts ...fsx.Option) task {
	return task{cloud: "fsx", call: "CopyBackup", start: func(ctx context.Context) (started, error) {
		opts := append(opts, fsx.WithUserAgent("quickstart"))
		if cfg.fsxRegion != "" {
			opts = append(opts, fsx.WithRegion(cfg.fsxRegion))
		}
		c, err := fsx.NewClient(ctx, opts...)
		if err != nil {
			return started{}, hint(err, awsHint)
		}
		op, err := c.CopyBackup(ctx, &fsx.CopyBackupRequest{
			SourceBackupID: cfg.fsxSource,
			SourceRegion:   cfg.fsxSourceRegion,
			CopyTags:       true,
		})
		if err != nil {
			c.Close()
			return started{}, err
		}
		return started{name: op.Name(), wait: func(ctx context.Context, h hooks, wo ...lro.WaitOption) (string, error) {
			defer c.Close()
			b, err := op.Wait(ctx, append(wo, lro.WithProgress(h.progress))...)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%s, %s", b.Lifecycle, size(b.SizeInBytes)), nil
		}}, nil
	}}
}
