// Command cbr-replicate replicates a Huawei Cloud CBR backup to another
// region and follows the replication to its end, printing its progress.
//
// By default it runs offline, against the in-process fake (cbrtest) with a
// seeded source backup and destination vault, and finishes in a few seconds:
//
//	go run ./examples/cbr-replicate
//
// With -live it replicates in CBR, with AK/SK credentials from
// HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK and the project from -project
// (else HUAWEICLOUD_SDK_PROJECT_ID); -region, -source, -dest-region,
// -dest-project and -dest-vault are then required:
//
//	go run ./examples/cbr-replicate -live -region cn-north-4 -source BACKUP_ID \
//		-dest-region cn-east-3 -dest-project DEST_PROJECT_ID -dest-vault DEST_VAULT_ID
//
// It prints the operation's name first. If it is interrupted, the
// replication goes on in CBR; follow it again with
//
//	go run ./examples/cbr-replicate -live -region cn-north-4 -resume NAME
//
// The exit code is 0 when the replica exists, 1 when the replication (or a
// call) failed, 2 for a wrong command line. -h lists the flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/examples/internal/example"
	"github.com/backupcopy/backupcopy/lro"
)

const name = "cbr-replicate"

// demoDestProject is the destination project the offline run uses.
const demoDestProject = "5c9d2a41e0b7f3864a1e7d0c2b9f6a35"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type config struct {
	live                                       bool
	source, destProject, destRegion, destVault string
	region, project, name, description, resume string
	endpoint                                   string
	accelerate, check                          bool
	timeout, pollMax, fakeDuration             time.Duration
}

func parseFlags(args []string, errOut io.Writer) (*config, error) {
	var c config
	fs := example.FlagSet(name, "Replicates a Huawei Cloud CBR backup to another region and follows the replication.\n"+
		"Offline against an in-process fake by default; -live for CBR.", errOut)
	fs.BoolVar(&c.live, "live", false, "use Huawei Cloud CBR (default: an in-process fake, offline)")
	fs.StringVar(&c.region, "region", "", "live: source region, e.g. cn-north-4")
	fs.StringVar(&c.project, "project", "", "live: source project ID (default $"+cbr.EnvProjectID+")")
	fs.StringVar(&c.source, "source", "", "live: ID of the backup to replicate")
	fs.StringVar(&c.destRegion, "dest-region", "", "live: destination region, e.g. cn-east-3")
	fs.StringVar(&c.destProject, "dest-project", "", "live: destination project ID")
	fs.StringVar(&c.destVault, "dest-vault", "", "live: replication vault ID in the destination region")
	fs.StringVar(&c.name, "name", "", "replica name (optional)")
	fs.StringVar(&c.description, "description", "", "replica description (optional)")
	fs.BoolVar(&c.accelerate, "accelerate", false, "enable replication acceleration")
	fs.BoolVar(&c.check, "check", false, "check the replication capabilities before replicating")
	fs.StringVar(&c.resume, "resume", "", "live: follow the replication with this operation name instead of starting one")
	fs.StringVar(&c.endpoint, "endpoint", "", "live: API endpoint (default https://cbr.REGION.myhuaweicloud.com)")
	fs.DurationVar(&c.fakeDuration, "fake-duration", example.DefaultFakeDuration, "offline: how long the fake takes to replicate")
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
		if c.project == "" {
			c.project = os.Getenv(cbr.EnvProjectID)
		}
		why, flags := "-live", []string{"-region", c.region, "-project (or $" + cbr.EnvProjectID + ")", c.project}
		if c.resume == "" {
			flags = append(flags, "-source", c.source, "-dest-region", c.destRegion, "-dest-project", c.destProject, "-dest-vault", c.destVault)
		} else {
			why = "-live -resume"
		}
		if err := example.Required(why, flags...); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	cfg, err := parseFlags(args, errOut)
	if err == nil {
		err = replicate(ctx, cfg, out)
	}
	return example.Exit(name, errOut, err)
}

func replicate(ctx context.Context, cfg *config, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	opts := []cbr.Option{cbr.WithUserAgent(name + "-example")}
	var waitOpts []lro.WaitOption
	if cfg.live {
		if os.Getenv(cbr.EnvAccessKey) == "" || os.Getenv(cbr.EnvSecretKey) == "" {
			return fmt.Errorf("no credentials: set %s and %s (an access key and its secret key)", cbr.EnvAccessKey, cbr.EnvSecretKey)
		}
		if cfg.endpoint != "" {
			opts = append(opts, cbr.WithEndpoint(cfg.endpoint))
		}
		fmt.Fprintln(out, name+": live, against Huawei Cloud CBR")
	} else {
		srv := cbrtest.NewServer()
		defer srv.Close()
		srv.SetOperationDuration(cfg.fakeDuration)
		seedFake(srv, cfg)
		opts = append(opts, cbr.WithEndpoint(srv.URL()), cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey))
		waitOpts = append(waitOpts, example.OfflinePolls())
		fmt.Fprintf(out, "%s: offline, against an in-process fake at %s (use -live for CBR)\n", name, srv.URL())
	}
	opts = append(opts, cbr.WithRegion(cfg.region), cbr.WithProjectID(cfg.project))
	if cfg.check {
		opts = append(opts, cbr.WithRegionCheck())
	}
	if cfg.pollMax > 0 {
		waitOpts = append(waitOpts, lro.WithPollInterval(0, cfg.pollMax))
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
			BackupID:             cfg.source,
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
		fmt.Fprintf(out, "replicating %s/%s\n         to %s/%s (vault %s)\noperation %s\n",
			r.SourceRegion, r.BackupID, r.DestinationRegion, r.DestinationProjectID, r.DestinationVaultID, op.Name())
	}
	waitOpts = append(waitOpts, example.Progress(out, func() string {
		if m := op.Metadata(); m != nil {
			return string(m.Status)
		}
		return "?"
	}))
	rec, err := op.Wait(ctx, waitOpts...)
	if err != nil {
		var re *cbr.ReplicationError
		if errors.As(err, &re) {
			return fmt.Errorf("replication failed: %w", err)
		}
		return example.WaitEnded(ctx, err, cfg.live, "CBR", "-region "+cfg.region+" -resume "+op.Name())
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
		cfg.destProject = demoDestProject
	}
	if cfg.destVault == "" {
		cfg.destVault = srv.AddVault(cbrtest.Vault{Region: cfg.destRegion}).ID
	} else {
		srv.AddVault(cbrtest.Vault{ID: cfg.destVault, Region: cfg.destRegion})
	}
	b := cbr.Backup{ID: cfg.source, Name: "ecs-web-01-daily", ResourceName: "ecs-web-01", ResourceSize: 40}
	cfg.source = srv.AddBackup(b).ID
	if cfg.name == "" {
		cfg.name = "ecs-web-01-daily-dr"
	}
}
