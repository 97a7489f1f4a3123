// Command quickstart copies a backup on each of four clouds at once and shows
// every copy's progress to its end: a Bigtable backups:copy, a Spanner
// backups.create, a Huawei CBR replication and an Amazon FSx CopyBackup.
//
// By default it runs offline, against the in-process fakes (bigtabletest,
// spannertest, cbrtest, fsxtest), and finishes in a few seconds:
//
//	go run ./examples/quickstart
//
// It also shows resume: it saves the Bigtable operation's Name(), builds a
// fresh client, and waits on the operation through the new client, as a
// program restarted after a crash would.
//
// With -live it runs against the real services, with each cloud's default
// credentials (Application Default Credentials, the AWS credential chain,
// HUAWEICLOUD_SDK_AK/SK/PROJECT_ID) and flags naming the resources; -only
// picks the clouds:
//
//	go run ./examples/quickstart -live -only fsx \
//		-fsx-region eu-west-1 -fsx-source-backup backup-0123456789abcdef0 -fsx-source-region us-east-1
//
// The exit code is 1 if any operation fails, 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/backupcopy/backupcopy/lro"
)

// clouds in display order.
var clouds = []string{"bigtable", "spanner", "cbr", "fsx"}

type config struct {
	live         bool
	only         []string
	fakeDuration time.Duration
	timeout      time.Duration
	plain        bool

	btSource, btParent, btBackupID string
	spDatabase, spBackupID         string
	cbrRegion, cbrBackup           string
	cbrDestRegion, cbrDestProject  string
	cbrDestVault                   string
	fsxRegion, fsxSource           string
	fsxSourceRegion                string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func parseFlags(args []string, errOut io.Writer) (*config, error) {
	var c config
	var only string
	stamp := time.Now().UTC().Format("20060102-150405")
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.BoolVar(&c.live, "live", false, "use the real clouds (default: in-process fakes, offline)")
	fs.StringVar(&only, "only", strings.Join(clouds, ","), "clouds to run, comma-separated: "+strings.Join(clouds, ","))
	fs.DurationVar(&c.fakeDuration, "fake-duration", 2*time.Second, "how long each fake takes to finish an operation")
	fs.DurationVar(&c.timeout, "timeout", 0, "give up after this long (default: 30s offline, 24h live)")
	fs.BoolVar(&c.plain, "plain", false, "print plain progress lines even on a terminal")
	fs.StringVar(&c.btSource, "bigtable-source", "", "live: source backup, projects/P/instances/I/clusters/C/backups/B")
	fs.StringVar(&c.btParent, "bigtable-parent", "", "live: destination cluster, projects/P/instances/I/clusters/C")
	fs.StringVar(&c.btBackupID, "bigtable-backup-id", "quickstart-"+stamp, "id of the Bigtable copy")
	fs.StringVar(&c.spDatabase, "spanner-database", "", "live: database to back up, projects/P/instances/I/databases/D")
	fs.StringVar(&c.spBackupID, "spanner-backup-id", "quickstart-"+stamp, "id of the Spanner backup")
	fs.StringVar(&c.cbrRegion, "cbr-region", "", "live: source region, e.g. cn-north-4")
	fs.StringVar(&c.cbrBackup, "cbr-backup", "", "live: ID of the backup to replicate")
	fs.StringVar(&c.cbrDestRegion, "cbr-dest-region", "", "live: destination region")
	fs.StringVar(&c.cbrDestProject, "cbr-dest-project", "", "live: destination project ID")
	fs.StringVar(&c.cbrDestVault, "cbr-dest-vault", "", "live: replication vault ID in the destination region")
	fs.StringVar(&c.fsxRegion, "fsx-region", "", "live: destination region (default AWS_REGION)")
	fs.StringVar(&c.fsxSource, "fsx-source-backup", "", "live: source backup ID, backup-...")
	fs.StringVar(&c.fsxSourceRegion, "fsx-source-region", "", "live: the source backup's region (empty: same region)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, name := range strings.Split(only, ",") {
		name = strings.TrimSpace(strings.ToLower(name))
		if name == "" {
			continue
		}
		if !slices.Contains(clouds, name) {
			return nil, fmt.Errorf("-only: unknown cloud %q (choose from %s)", name, strings.Join(clouds, ", "))
		}
		if !slices.Contains(c.only, name) {
			c.only = append(c.only, name)
		}
	}
	if len(c.only) == 0 {
		return nil, errors.New("-only: name at least one cloud")
	}
	if c.timeout == 0 {
		c.timeout = 30 * time.Second
		if c.live {
			c.timeout = 24 * time.Hour
		}
	}
	if c.live {
		if err := c.checkLive(); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// checkLive names the flags a live run still needs, all at once.
func (c *config) checkLive() error {
	need := map[string][][2]string{
		"bigtable": {{"-bigtable-source", c.btSource}, {"-bigtable-parent", c.btParent}},
		"spanner":  {{"-spanner-database", c.spDatabase}},
		"cbr": {{"-cbr-region", c.cbrRegion}, {"-cbr-backup", c.cbrBackup}, {"-cbr-dest-region", c.cbrDestRegion},
			{"-cbr-dest-project", c.cbrDestProject}, {"-cbr-dest-vault", c.cbrDestVault}},
		"fsx": {{"-fsx-source-backup", c.fsxSource}},
	}
	var msgs []string
	for _, cl := range c.only {
		var missing []string
		for _, f := range need[cl] {
			if f[1] == "" {
				missing = append(missing, f[0])
			}
		}
		if len(missing) > 0 {
			msgs = append(msgs, cl+" needs "+strings.Join(missing, ", "))
		}
	}
	if len(msgs) > 0 {
		return fmt.Errorf("-live: %s (or leave clouds out with -only)", strings.Join(msgs, "; "))
	}
	return nil
}

// task is one cloud's operation: start begins it and returns its name and a
// function that waits for it and describes the result.
type task struct {
	cloud, call string
	start       func(ctx context.Context) (started, error)
}

type started struct {
	name    string
	resumed bool
	wait    func(ctx context.Context, opts ...lro.WaitOption) (string, error)
}

func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	cfg, err := parseFlags(args, errOut)
	if errors.Is(err, flag.ErrHelp) {
		return 0 // -h: the usage is printed, as asked
	}
	if err != nil {
		fmt.Fprintln(errOut, "quickstart:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	var env environment
	if cfg.live {
		env = liveEnv(cfg)
		fmt.Fprintln(out, "backupcopy quickstart: live, against the real clouds")
	} else {
		fake := startFakes(cfg)
		defer fake.close()
		env = fake.env
		fmt.Fprintln(out, "backupcopy quickstart: offline, against in-process fakes (use -live for the real clouds)")
	}
	fmt.Fprintln(out)

	b := newBoard(out, !cfg.plain && isTerminal(out))
	var tasks []task
	for _, cl := range cfg.only {
		tasks = append(tasks, env.tasks[cl])
	}
	rows := make([]int, len(tasks))
	for i, t := range tasks {
		rows[i] = b.add(t.cloud, t.call)
	}

	stopTick := make(chan struct{})
	tickDone := make(chan struct{})
	go func() {
		defer close(tickDone)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopTick:
				return
			case <-t.C:
				b.tick()
			}
		}
	}()

	var wg sync.WaitGroup
	for i, t := range tasks {
		wg.Go(func() { runTask(ctx, b, rows[i], t, env.wait) })
	}
	wg.Wait()
	close(stopTick)
	<-tickDone
	b.tick()
	b.summary()

	if n := b.failed(); n > 0 {
		fmt.Fprintf(errOut, "quickstart: %d of %d operations failed\n", n, len(tasks))
		return 1
	}
	return 0
}

func runTask(ctx context.Context, b *board, i int, t task, waitOpts []lro.WaitOption) {
	s, err := t.start(ctx)
	if err != nil {
		b.update(i, func(r *row) { r.state, r.err = "failed", err })
		return
	}
	b.update(i, func(r *row) {
		r.name, r.state = s.name, "running"
		if s.resumed {
			r.state = "resumed"
		}
	})
	opts := append(slices.Clip(waitOpts), lro.WithProgress(func(p lro.Progress) {
		if p.Done {
			return // the final update below shows the outcome
		}
		b.update(i, func(r *row) {
			if p.Percent > r.percent {
				r.percent = p.Percent
			}
		})
	}))
	res, err := s.wait(ctx, opts...)
	b.update(i, func(r *row) {
		r.elapsed = time.Since(r.started)
		if err != nil {
			r.state, r.err = "failed", err
			return
		}
		r.state, r.percent, r.result = "done", 100, res
	})
}
