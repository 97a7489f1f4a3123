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
//		-fsx-region eu-west-1 -fsx-source backup-0123456789abcdef0 -fsx-source-region us-east-1
//
// The summary table fits 100 columns: it shortens long operation names
// (a CBR name is about 170 characters); -o json prints them in full.
//
// The exit code is 0 when every operation finished well, 1 if any failed,
// 2 for a wrong command line. -h lists the flags.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/examples/internal/example"
	"github.com/backupcopy/backupcopy/lro"
)

const name = "quickstart"

// clouds in display order.
var clouds = []string{"bigtable", "spanner", "cbr", "fsx"}

type config struct {
	live         bool
	only         []string
	fakeDuration time.Duration
	timeout      time.Duration
	plain        bool
	output       string

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
	fs := example.FlagSet(name, "Copies a backup on each of four clouds at once and shows every copy's progress.\n"+
		"Offline against in-process fakes by default; -live for the real clouds.", errOut)
	fs.BoolVar(&c.live, "live", false, "use the real clouds (default: in-process fakes, offline)")
	fs.StringVar(&only, "only", strings.Join(clouds, ","), "clouds to run, comma-separated: "+strings.Join(clouds, ","))
	fs.DurationVar(&c.fakeDuration, "fake-duration", example.DefaultFakeDuration, "offline: how long each fake takes to finish an operation")
	fs.DurationVar(&c.timeout, "timeout", 0, "give up waiting after this long (default 30s offline, 24h live)")
	fs.BoolVar(&c.plain, "plain", false, "print plain progress lines even on a terminal")
	fs.StringVar(&c.output, "o", "table", "output: table, or json (one JSON document on stdout, with full operation names; progress on stderr)")
	fs.StringVar(&c.btSource, "bigtable-source", "", "live: source backup, projects/P/instances/I/clusters/C/backups/B")
	fs.StringVar(&c.btParent, "bigtable-parent", "", "live: destination cluster, projects/P/instances/I/clusters/C")
	fs.StringVar(&c.btBackupID, "bigtable-backup-id", "", "id of the Bigtable copy (default "+name+"-YYYYMMDD-HHMMSS)")
	fs.StringVar(&c.spDatabase, "spanner-database", "", "live: database to back up, projects/P/instances/I/databases/D")
	fs.StringVar(&c.spBackupID, "spanner-backup-id", "", "id of the Spanner backup (default "+name+"-YYYYMMDD-HHMMSS)")
	fs.StringVar(&c.cbrRegion, "cbr-region", "", "live: source region, e.g. cn-north-4")
	fs.StringVar(&c.cbrBackup, "cbr-source", "", "live: ID of the backup to replicate")
	fs.StringVar(&c.cbrDestRegion, "cbr-dest-region", "", "live: destination region")
	fs.StringVar(&c.cbrDestProject, "cbr-dest-project", "", "live: destination project ID")
	fs.StringVar(&c.cbrDestVault, "cbr-dest-vault", "", "live: replication vault ID in the destination region")
	fs.StringVar(&c.fsxRegion, "fsx-region", "", "live: destination region (default $AWS_REGION)")
	fs.StringVar(&c.fsxSource, "fsx-source", "", "live: source backup ID, backup-...")
	fs.StringVar(&c.fsxSourceRegion, "fsx-source-region", "", "live: the source backup's region (default: -fsx-region)")
	if err := example.Parse(fs, args); err != nil {
		return nil, err
	}
	stamp := time.Now().UTC().Format("20060102-150405")
	if c.btBackupID == "" {
		c.btBackupID = name + "-" + stamp
	}
	if c.spBackupID == "" {
		c.spBackupID = name + "-" + stamp
	}
	if c.output != "table" && c.output != "json" {
		return nil, example.Usagef("-o %q: choose table or json", c.output)
	}
	for _, name := range strings.Split(only, ",") {
		name = strings.TrimSpace(strings.ToLower(name))
		if name == "" {
			continue
		}
		if !slices.Contains(clouds, name) {
			return nil, example.Usagef("-only: unknown cloud %q (choose from %s)", name, strings.Join(clouds, ", "))
		}
		if !slices.Contains(c.only, name) {
			c.only = append(c.only, name)
		}
	}
	if len(c.only) == 0 {
		return nil, example.Usagef("-only: name at least one cloud")
	}
	c.timeout = example.Timeout(c.timeout, c.live)
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
		"cbr": {{"-cbr-region", c.cbrRegion}, {"-cbr-source", c.cbrBackup}, {"-cbr-dest-region", c.cbrDestRegion},
			{"-cbr-dest-project", c.cbrDestProject}, {"-cbr-dest-vault", c.cbrDestVault}},
		"fsx": {{"-fsx-source", c.fsxSource}},
	}
	if c.fsxRegion == "" && auth.AWSRegion("") == "" {
		need["fsx"] = append(need["fsx"], [2]string{"-fsx-region (or $AWS_REGION)", ""})
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
		return example.Usagef("-live: %s (or leave clouds out with -only)", strings.Join(msgs, "; "))
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
	name string
	// wait waits for the operation with opts, reporting its progress
	// through h, and returns a short description of the result.
	wait func(ctx context.Context, h hooks, opts ...lro.WaitOption) (string, error)
}

// hooks are how a task reports while it waits.
type hooks struct {
	progress func(lro.Progress) // each poll's progress
	resumed  func()             // the wait moved to a fresh client, by name
}

func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	cfg, err := parseFlags(args, errOut)
	if err != nil {
		return example.Exit(name, errOut, err)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	progress := out
	if cfg.output == "json" {
		progress = errOut // stdout carries the JSON document only
	}
	var env environment
	if cfg.live {
		env = liveEnv(cfg)
		fmt.Fprintln(progress, "backupcopy quickstart: live, against the real clouds")
	} else {
		fake := startFakes(cfg)
		defer fake.close()
		env = fake.env
		fmt.Fprintln(progress, "backupcopy quickstart: offline, against in-process fakes (use -live for the real clouds)")
	}
	fmt.Fprintln(progress)

	b := newBoard(progress, !cfg.plain && isTerminal(progress))
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
	if cfg.output == "json" {
		if err := b.json(out); err != nil {
			return example.Exit(name, errOut, err)
		}
	} else {
		b.summary()
	}

	if n := b.failed(); n > 0 {
		fmt.Fprintf(errOut, "%s: %d of %d operations failed\n", name, n, len(tasks))
		return example.ExitFailure
	}
	return example.ExitOK
}

func runTask(ctx context.Context, b *board, i int, t task, waitOpts []lro.WaitOption) {
	s, err := t.start(ctx)
	if err != nil {
		b.update(i, func(r *row) { r.state, r.err = "failed", err })
		return
	}
	b.update(i, func(r *row) { r.name, r.state = s.name, "running" })
	h := hooks{
		progress: func(p lro.Progress) {
			if p.Done {
				return // the final update below shows the outcome
			}
			b.update(i, func(r *row) {
				if p.Percent > r.percent {
					r.percent = p.Percent
				}
			})
		},
		resumed: func() { b.update(i, func(r *row) { r.state = "resumed" }) },
	}
	res, err := s.wait(ctx, h, slices.Clip(waitOpts)...)
	b.update(i, func(r *row) {
		r.elapsed = time.Since(r.started)
		if err != nil {
			r.state, r.err = "failed", err
			return
		}
		r.state, r.percent, r.result = "done", 100, res
	})
}
