package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy/auth/google"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

// environment is where the tasks run: their clients' options and the wait
// options (poll schedule).
type environment struct {
	tasks map[string]task
	wait  []lro.WaitOption
}

// Resource names the offline run seeds into the fakes.
const (
	demoBTSource  = "projects/demo-project/instances/prod/clusters/prod-c1/backups/nightly"
	demoBTParent  = "projects/demo-project/instances/prod/clusters/dr-c2"
	demoSPDB      = "projects/demo-project/instances/orders/databases/orders-db"
	demoCBRDestPj = "5c9d2a41e0b7f3864a1e7d0c2b9f6a35"
)

type fakes struct {
	env   environment
	close func()
}

// startFakes starts the four fakes, seeds a source in each, and returns the
// tasks pointed at them.
func startFakes(cfg *config) *fakes {
	d := cfg.fakeDuration

	bt := bigtabletest.NewServer()
	bt.SetOperationDuration(d)
	bt.AddCluster(demoBTParent)
	bt.AddBackup(bigtable.Backup{Name: demoBTSource, SourceTable: "projects/demo-project/instances/prod/tables/events", SizeBytes: 3 << 30})

	sp := spannertest.NewServer(spannertest.WithOperationDuration(d))
	sp.AddInstance(instanceOf(demoSPDB))
	sp.AddDatabase(demoSPDB)

	cb := cbrtest.NewServer()
	cb.SetOperationDuration(d)
	vault := cb.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion}).ID
	src := cb.AddBackup(cbr.Backup{Name: "ecs-web-01-daily", ResourceName: "ecs-web-01", ResourceSize: 40}).ID

	fx := startFSxFake(cfg)

	token := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "quickstart-token"})
	c := *cfg
	c.btSource, c.btParent = demoBTSource, demoBTParent
	c.spDatabase = demoSPDB
	c.cbrRegion, c.cbrBackup, c.cbrDestRegion, c.cbrDestProject, c.cbrDestVault = cbrtest.Region, src, cbrtest.DestinationRegion, demoCBRDestPj, vault
	env := environment{
		tasks: map[string]task{
			"bigtable": bigtableTask(&c, bigtable.WithEndpoint(bt.URL()), bigtable.WithTokenSource(token)),
			"spanner":  spannerTask(&c, spanner.WithEndpoint(sp.URL()), spanner.WithTokenSource(token)),
			"cbr": cbrTask(&c, cbr.WithEndpoint(cb.URL()), cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey),
				cbr.WithProjectID(cbrtest.ProjectID)),
			"fsx": fx.task(&c),
		},
		wait: []lro.WaitOption{lro.WithPollInterval(200*time.Millisecond, 500*time.Millisecond)},
	}
	return &fakes{env: env, close: func() { bt.Close(); sp.Close(); cb.Close(); fx.close() }}
}

// liveEnv returns the tasks against the real services, with the default
// credentials of each cloud.
func liveEnv(cfg *config) environment {
	return environment{tasks: map[string]task{
		"bigtable": googleLiveTask(bigtableTask(cfg)),
		"spanner":  googleLiveTask(spannerTask(cfg)),
		"cbr":      cbrLiveTask(cfg),
		"fsx":      fsxLiveTask(cfg),
	}}
}

// hint turns a client construction error into one line that says what to
// set.
func hint(err error, what string) error {
	return fmt.Errorf("%s (%s)", firstLine(err.Error()), what)
}

const (
	googleHint = "set GOOGLE_APPLICATION_CREDENTIALS to a key file or run `gcloud auth application-default login`"
	huaweiHint = "set HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_PROJECT_ID"
	awsHint    = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials"
)

// bigtableTask copies a Bigtable backup, and resumes the copy by name in a
// fresh client before waiting, as a restarted program would.
func bigtableTask(cfg *config, opts ...bigtable.Option) task {
	return task{cloud: "bigtable", call: "CopyBackup", start: func(ctx context.Context) (started, error) {
		opts := append(opts, bigtable.WithUserAgent("quickstart"))
		c, err := bigtable.NewClient(ctx, opts...)
		if err != nil {
			return started{}, hint(err, googleHint)
		}
		op, err := c.CopyBackup(ctx, &bigtable.CopyBackupRequest{
			Parent:       cfg.btParent,
			BackupID:     cfg.btBackupID,
			SourceBackup: cfg.btSource,
			ExpireTime:   time.Now().Add(7 * 24 * time.Hour),
		})
		if err != nil {
			c.Close()
			return started{}, err
		}
		saved := op.Name()
		return started{name: saved, wait: func(ctx context.Context, h hooks, wo ...lro.WaitOption) (string, error) {
			// Follow the copy with this client for a while, then let it go
			// and resume by name through a fresh client, as a program
			// restarted after a crash would: the name is all it needs.
			first, stop := context.WithCancel(ctx)
			defer stop()
			b, err := op.Wait(first, append(wo, lro.WithProgress(func(p lro.Progress) {
				h.progress(p)
				if p.Percent >= 25 {
					stop()
				}
			}))...)
			c.Close()
			switch {
			case err == nil:
				return fmt.Sprintf("%s, %s", b.State, size(b.SizeBytes)), nil
			case ctx.Err() != nil || first.Err() == nil:
				return "", err
			}
			c2, err := bigtable.NewClient(ctx, opts...)
			if err != nil {
				return "", hint(err, googleHint)
			}
			defer c2.Close()
			resumed := c2.CopyBackupOperation(saved)
			h.resumed()
			b, err = resumed.Wait(ctx, append(wo, lro.WithProgress(h.progress))...)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%s, %s, resumed by name", b.State, size(b.SizeBytes)), nil
		}}, nil
	}}
}

// spannerTask backs up a Spanner database.
func spannerTask(cfg *config, opts ...spanner.Option) task {
	return task{cloud: "spanner", call: "CreateBackup", start: func(ctx context.Context) (started, error) {
		c, err := spanner.NewClient(ctx, append(opts, spanner.WithUserAgent("quickstart"))...)
		if err != nil {
			return started{}, hint(err, googleHint)
		}
		op, err := c.CreateBackup(ctx, &spanner.CreateBackupRequest{
			Parent:     instanceOf(cfg.spDatabase),
			BackupID:   cfg.spBackupID,
			Database:   cfg.spDatabase,
			ExpireTime: time.Now().Add(7 * 24 * time.Hour),
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
			return fmt.Sprintf("%s, %s", b.State, size(b.SizeBytes)), nil
		}}, nil
	}}
}

// googleLiveTask checks for Application Default Credentials before t
// starts, so that a missing one is one line that says what to set (the
// client's own error also names options this program has no flag for).
func googleLiveTask(t task) task {
	start := t.start
	t.start = func(ctx context.Context) (started, error) {
		if _, err := google.DefaultAuthenticator(ctx, google.CloudPlatformScope); err != nil {
			return started{}, hint(err, googleHint)
		}
		return start(ctx)
	}
	return t
}

// cbrLiveTask checks the Huawei Cloud variables before it starts, so that a
// missing one is one line that names what to set.
func cbrLiveTask(cfg *config) task {
	t := cbrTask(cfg)
	start := t.start
	t.start = func(ctx context.Context) (started, error) {
		for _, k := range []string{cbr.EnvAccessKey, cbr.EnvSecretKey, cbr.EnvProjectID} {
			if os.Getenv(k) == "" {
				return started{}, fmt.Errorf("no %s (%s)", k, huaweiHint)
			}
		}
		return start(ctx)
	}
	return t
}

// cbrTask replicates a CBR backup to another region.
func cbrTask(cfg *config, opts ...cbr.Option) task {
	return task{cloud: "cbr", call: "CopyBackup", start: func(ctx context.Context) (started, error) {
		opts := append(opts, cbr.WithRegion(cfg.cbrRegion), cbr.WithUserAgent("quickstart"))
		c, err := cbr.NewClient(ctx, opts...)
		if err != nil {
			return started{}, hint(err, huaweiHint)
		}
		op, err := c.CopyBackup(ctx, &cbr.CopyBackupRequest{
			BackupID:             cfg.cbrBackup,
			DestinationProjectID: cfg.cbrDestProject,
			DestinationRegion:    cfg.cbrDestRegion,
			DestinationVaultID:   cfg.cbrDestVault,
		})
		if err != nil {
			c.Close()
			return started{}, err
		}
		return started{name: op.Name(), wait: func(ctx context.Context, h hooks, wo ...lro.WaitOption) (string, error) {
			defer c.Close()
			rec, err := op.Wait(ctx, append(wo, lro.WithProgress(h.progress))...)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("replica %s in %s", elide(rec.DestinationBackupID, 13), rec.DestinationRegion), nil
		}}, nil
	}}
}

func instanceOf(database string) string {
	if i := strings.Index(database, "/databases/"); i >= 0 {
		return database[:i]
	}
	return database
}

// elide shortens s to at most n runes by replacing its middle with "…".
func elide(s string, n int) string {
	r := []rune(s)
	if len(r) <= n || n < 3 {
		return s
	}
	head := (n - 1) / 2
	return string(r[:head]) + "…" + string(r[len(r)-(n-1-head):])
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}
