// Command cbr-replicate replicates a Huawei Cloud CBR backup to another
// region and follows the replication to its end, printing its progress.
//
// Offline, against the in-process fake (no account needed):
//
//	go run ./examples/cbr-replicate -fake
//
// Against CBR, with AK/SK credentials from HUAWEICLOUD_SDK_AK and
// HUAWEICLOUD_SDK_SK (and the project from HUAWEICLOUD_SDK_PROJECT_ID or
// -project):
//
//	go run ./examples/cbr-replicate -region cn-north-4 -backup BACKUP_ID \
//		-dest-region cn-east-3 -dest-project DEST_PROJECT_ID -dest-vault DEST_VAULT_ID
//
// The program prints the operation's name first. If it is interrupted, the
// replication goes on in CBR; follow it again with
//
//	go run ./examples/cbr-replicate -region cn-north-4 -resume NAME
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/lro"
)

type config struct {
	backup, destProject, destRegion, destVault string
	region, project, name, description, resume string
	accelerate, fake, check                    bool
	timeout                                    time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.backup, "backup", "", "ID of the backup to replicate")
	flag.StringVar(&cfg.destProject, "dest-project", "", "destination project ID")
	flag.StringVar(&cfg.destRegion, "dest-region", "", "destination region, e.g. cn-east-3")
	flag.StringVar(&cfg.destVault, "dest-vault", "", "replication vault ID in the destination region")
	flag.StringVar(&cfg.region, "region", "", "source region, e.g. cn-north-4")
	flag.StringVar(&cfg.project, "project", "", "source project ID (default HUAWEICLOUD_SDK_PROJECT_ID)")
	flag.StringVar(&cfg.name, "name", "", "replica name (optional)")
	flag.StringVar(&cfg.description, "description", "", "replica description (optional)")
	flag.BoolVar(&cfg.accelerate, "accelerate", false, "enable replication acceleration")
	flag.BoolVar(&cfg.check, "check", false, "check the replication capabilities before replicating")
	flag.StringVar(&cfg.resume, "resume", "", "follow the replication with this operation name instead of starting one")
	flag.BoolVar(&cfg.fake, "fake", false, "run against an in-process fake of CBR (offline)")
	flag.DurationVar(&cfg.timeout, "timeout", 6*time.Hour, "give up waiting after this long")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "cbr-replicate:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, cfg config) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	opts := []cbr.Option{cbr.WithUserAgent("cbr-replicate-example")}
	var pollEvery lro.WaitOption // nil: the package defaults
	if cfg.fake {
		if cfg.resume != "" {
			return errors.New("-resume cannot be used with -fake: the fake lives and dies with this process")
		}
		srv := cbrtest.NewServer()
		defer srv.Close()
		seedFake(srv, &cfg)
		opts = append(opts, cbr.WithEndpoint(srv.URL()), cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey))
		pollEvery = lro.WithPollInterval(200*time.Millisecond, 400*time.Millisecond)
		fmt.Fprintf(out, "fake CBR at %s: replicating backup %s from %s to %s\n", srv.URL(), cfg.backup, cfg.region, cfg.destRegion)
	}
	if cfg.region != "" {
		opts = append(opts, cbr.WithRegion(cfg.region))
	}
	if cfg.project != "" {
		opts = append(opts, cbr.WithProjectID(cfg.project))
	}
	if cfg.check {
		opts = append(opts, cbr.WithRegionCheck())
	}
	client, err := cbr.NewClient(ctx, opts...)
	if err != nil {
		return err
	}
	defer client.Close()

	var op *cbr.CopyBackupOperation
	if cfg.resume != "" {
		op = client.CopyBackupOperation(cfg.resume)
		fmt.Fprintf(out, "resuming %s\n", op.Name())
	} else {
		op, err = client.CopyBackup(ctx, &cbr.CopyBackupRequest{
			BackupID:             cfg.backup,
			DestinationProjectID: cfg.destProject,
			DestinationRegion:    cfg.destRegion,
			DestinationVaultID:   cfg.destVault,
			Name:                 cfg.name,
			Description:          cfg.description,
			EnableAcceleration:   cfg.accelerate,
		})
		if err != nil {
			return err
		}
		r := op.Replication()
		fmt.Fprintf(out, "replication %s started: %s/%s -> %s/%s (vault %s)\n",
			r.ReplicationRecordID, r.SourceRegion, r.BackupID, r.DestinationRegion, r.DestinationProjectID, r.DestinationVaultID)
		fmt.Fprintf(out, "operation name (for -resume): %s\n", op.Name())
	}

	last := -2
	rec, err := op.Wait(ctx, pollEvery, lro.WithProgress(func(p lro.Progress) {
		if p.Percent == last {
			return
		}
		last = p.Percent
		status := "?"
		if m := op.Metadata(); m != nil {
			status = string(m.Status)
		}
		fmt.Fprintf(out, "  %3d%%  %-17s (%s)\n", max(p.Percent, 0), status, p.Elapsed.Round(100*time.Millisecond))
	}))
	if err != nil {
		var re *cbr.ReplicationError
		if errors.As(err, &re) {
			return fmt.Errorf("replication failed: %s %s", re.FailCode, re.FailReason)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w; the replication continues in CBR: follow it with -resume %s", err, op.Name())
		}
		return err
	}
	fmt.Fprintf(out, "done: replica %s in %s (vault %s)\n", rec.DestinationBackupID, rec.DestinationRegion, rec.DestinationVaultID)
	return nil
}

// seedFake gives the fake a source backup and a destination vault, and fills
// the flags the user left empty.
func seedFake(srv *cbrtest.Server, cfg *config) {
	if cfg.region == "" {
		cfg.region = cbrtest.Region
	}
	if cfg.project == "" {
		cfg.project = cbrtest.ProjectID
	}
	if cfg.destRegion == "" {
		cfg.destRegion = cbrtest.DestinationRegion
	}
	if cfg.destProject == "" {
		cfg.destProject = "5c9d2a41e0b7f3864a1e7d0c2b9f6a35"
	}
	if cfg.destVault == "" {
		cfg.destVault = srv.AddVault(cbrtest.Vault{Region: cfg.destRegion}).ID
	} else {
		srv.AddVault(cbrtest.Vault{ID: cfg.destVault, Region: cfg.destRegion})
	}
	b := cbr.Backup{ID: cfg.backup, Name: "ecs-web-01-daily", ResourceName: "ecs-web-01", ResourceSize: 40}
	cfg.backup = srv.AddBackup(b).ID
	if cfg.name == "" {
		cfg.name = "ecs-web-01-daily-dr"
	}
}
