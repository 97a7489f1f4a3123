// Command fleet-copy copies 40 backups on four clouds as one fleet run: within
// each API's limits, with live progress per limit group, resumable from its
// state file, and with every copy made exactly once.
//
// It runs offline, against the four in-process fakes (bigtabletest,
// spannertest, cbrtest, fsxtest), and finishes in a few seconds:
//
//	go run ./examples/fleet-copy
//
// The plan has 10 Bigtable copies into two clusters, 6 Spanner copies into
// two instances, 4 Spanner backups of two databases (one creation per
// database at a time, as Spanner allows), 8 CBR replications into one
// region, and 12 FSx copies into one region, more than its limit of 5 copies
// in progress: the runner holds the others in the queue.
//
// The fakes and their clients come from internal/fleetsuite, which the
// fleet's own tests share; buildPlan below is what a program of yours writes:
// one fleet.Copy per copy, a key and the service package's adapter around the
// request it already knows.
//
// Resume: press Ctrl-C during the run. The run stops at once, leaving its
// state file (-state; by default a new file in the OS temp dir, whose path is
// printed, removed when the program ends). The fakes live in this process and die with it, so the program
// resumes right away from that state file against the same fakes, the way
// rerunning it would against real clouds; a second Ctrl-C quits. For a
// non-interactive demo, -interrupt-after N stops the run itself after N
// copies have started, then resumes the same way. Against real clouds
// (fleet.Run with your clients and journal.Open(path)), rerunning the same
// program with the same state file after Ctrl-C, kill -9 or a reboot
// resumes: copies found running are followed, copies caught between being
// recorded and being answered are looked for before anything is sent again.
//
// With -live it copies on the real clouds, with each cloud's default
// credentials (Application Default Credentials, the AWS credential chain,
// HUAWEICLOUD_SDK_AK/SK/PROJECT_ID), the sources named by flags, for example
//
//	go run ./examples/fleet-copy -live -fsx-region eu-west-1 -fsx-source-region us-east-1 \
//		-fsx-sources backup-0123456789abcdef0,backup-0fedcba9876543210
//
// Its state file (-state) defaults to the same path in the OS temp dir on
// every run, so after Ctrl-C running the same command again resumes.
//
// The exit code is 0 when every copy is done, 1 otherwise, 2 for bad flags
// or a bad plan.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/fleet/journal"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/internal/fleetsuite"
	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/spanner"
)

type config struct {
	live           bool
	liveCfg        liveConfig
	state          string
	fakeDuration   time.Duration
	interruptAfter int
	plain          bool
	timeout        time.Duration
}

func main() {
	interrupts := make(chan os.Signal, 2)
	signal.Notify(interrupts, os.Interrupt)
	os.Exit(run(context.Background(), os.Args[1:], interrupts, os.Stdout, os.Stderr))
}

func parseFlags(args []string, errOut io.Writer) (*config, error) {
	var c config
	fs := flag.NewFlagSet("fleet-copy", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: fleet-copy [-interrupt-after N] [-state FILE] [-plain]
       fleet-copy -live [-state FILE] -fsx-region R -fsx-sources ID,... (and/or the other clouds' flags)

Copies 40 backups on four clouds as one fleet run, offline against in-process fakes,
with a live table per limit group. Press Ctrl-C (or give -interrupt-after) and it
resumes from its state file; a second Ctrl-C quits. With -live it copies the sources
the flags name on the real clouds; after Ctrl-C the same command resumes.
Exit status: 0 every copy done, 1 otherwise, 2 bad flags or a bad plan.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.BoolVar(&c.live, "live", false, "copy on the real clouds, with each cloud's default credentials (default: in-process fakes, offline)")
	fs.StringVar(&c.state, "state", "", "state file (default offline: a new file in "+os.TempDir()+", removed at the end; live: "+liveState()+")")
	fs.DurationVar(&c.fakeDuration, "fake-duration", 2*time.Second, "how long each fake takes to finish a copy")
	fs.IntVar(&c.interruptAfter, "interrupt-after", 0, "stop the run after this many copies have started, then resume it (0: only on Ctrl-C)")
	fs.BoolVar(&c.plain, "plain", false, "print plain progress lines even on a terminal")
	fs.DurationVar(&c.timeout, "timeout", 0, "give up after this long (default: 2m offline, 48h live)")
	c.liveCfg.flags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if c.fakeDuration <= 0 || c.timeout < 0 || c.interruptAfter < 0 {
		return nil, errors.New("-fake-duration must be positive, -timeout and -interrupt-after not negative")
	}
	if c.timeout == 0 {
		c.timeout = 2 * time.Minute
		if c.live {
			c.timeout = 48 * time.Hour
		}
	}
	return &c, nil
}

// run is main without the process: interrupts delivers Ctrl-C.
func run(ctx context.Context, args []string, interrupts <-chan os.Signal, out, errOut io.Writer) int {
	cfg, err := parseFlags(args, errOut)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(errOut, "fleet-copy:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	if cfg.live {
		return runLive(ctx, cfg, interrupts, out, errOut)
	}

	fakes := fleetsuite.Start(fleetsuite.Forty, cfg.fakeDuration)
	defer fakes.Close()
	clients, err := fleetsuite.NewClients(ctx, &fakes.Env)
	if err != nil {
		fmt.Fprintln(errOut, "fleet-copy:", err)
		return 1
	}
	defer clients.Close()
	plan := buildPlan(&fakes.Env, clients)

	state := cfg.state
	if state == "" {
		// The fakes die with the process, so a state file of theirs is of
		// no use afterwards: the default one is removed at the end.
		state = filepath.Join(os.TempDir(), "backupcopy-fleet-copy-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".state")
		defer os.Remove(state)
	}
	fmt.Fprintf(out, "offline: %d copies on four clouds against in-process fakes; state file %s\n", len(plan.Copies), state)

	var res *fleet.Result
	// One board for both passes: the resumed pass shows every group with
	// the copies the first pass finished, not only those it still follows.
	b := newBoard(out, !cfg.plain && isTerminal(out))
	for pass := 1; ; pass++ {
		var stopped bool
		res, stopped, err = runOnce(ctx, plan, state, cfg, pass, interrupts, b)
		if err != nil && !stopped {
			fmt.Fprintln(errOut, "fleet-copy:", err)
			return 1
		}
		if !stopped {
			break
		}
		if pass > 1 {
			fmt.Fprintln(out, "stopped again: quitting; the state file keeps where each copy stands")
			return 1
		}
		if res == nil {
			fmt.Fprintf(out, "stopped: before any copy started; resuming from %s (Ctrl-C again quits)\n", state)
			continue
		}
		fmt.Fprintf(out, "stopped: %d done, %d running, %d queued; resuming from %s (Ctrl-C again quits)\n",
			res.Totals.Done, res.Totals.Running+res.Totals.Starting, res.Totals.Queued, state)
	}

	summary(out, res)
	made := fakes.Made()
	once := 0
	for _, n := range made {
		if n == 1 {
			once++
		}
	}
	fmt.Fprintf(out, "the fakes hold exactly one copy for %d of %d plan items\n", once, len(made))
	if err := res.Err(); err != nil {
		fmt.Fprintln(errOut, "fleet-copy:", err)
		return 1
	}
	return 0
}

// runOnce runs the plan with the state file until it ends, Ctrl-C arrives,
// or (first pass) -interrupt-after copies have started, showing it on b.
// stopped reports an interruption.
func runOnce(ctx context.Context, plan fleet.Plan, state string, cfg *config, pass int, interrupts <-chan os.Signal, b *board) (*fleet.Result, bool, error) {
	st, err := journal.Open(state)
	if err != nil {
		return nil, false, err
	}
	defer st.Close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-interrupts:
			stop()
		case <-done:
		}
	}()

	started := 0
	opts := fleet.Options{
		Store:       st,
		WaitOptions: []lro.WaitOption{lro.WithPollInterval(cfg.fakeDuration/8, cfg.fakeDuration/2)},
		Backoff:     cfg.fakeDuration / 8,
		OnEvent: func(e fleet.Event) {
			b.event(e)
			if e.Type == fleet.EventStarted && pass == 1 && cfg.interruptAfter > 0 {
				if started++; started == cfg.interruptAfter {
					stop()
				}
			}
		},
	}
	b.start()
	res, err := fleet.Run(runCtx, plan, opts)
	b.stop()
	if err != nil && runCtx.Err() != nil && ctx.Err() == nil {
		return res, true, err
	}
	return res, false, err
}

// buildPlan is the plan: one fleet.Copy per copy, each a key and a service
// package's adapter around its usual request.
func buildPlan(e *fleetsuite.Env, c *fleetsuite.Clients) fleet.Plan {
	p := fleet.Plan{Name: "fleet-copy-demo"}
	add := func(key string, a fleet.Adapter) { p.Copies = append(p.Copies, fleet.Copy{Key: key, Adapter: a}) }
	week := 7 * 24 * time.Hour
	for i, src := range e.BigtableSources {
		add(fmt.Sprintf("bigtable-%02d", i), &bigtable.FleetCopy{Client: c.Bigtable, ExpireAfter: week, Request: bigtable.CopyBackupRequest{
			Parent: e.BigtableClusters[i%2], BackupID: fmt.Sprintf("nightly-%02d-dr", i), SourceBackup: src}})
	}
	for i, src := range e.SpannerSources {
		add(fmt.Sprintf("spanner-copy-%02d", i), &spanner.FleetCopy{Client: c.Spanner, ExpireAfter: week, Request: spanner.CopyBackupRequest{
			Parent: e.SpannerInstances[i%2], BackupID: fmt.Sprintf("nightly-%02d-dr", i), SourceBackup: src}})
	}
	for i := range e.Counts.SpannerCreate {
		add(fmt.Sprintf("spanner-create-%02d", i), &spanner.FleetCreate{Client: c.Spanner, ExpireAfter: week, Request: spanner.CreateBackupRequest{
			Parent: "projects/demo/instances/orders", BackupID: fmt.Sprintf("hourly-%02d", i), Database: e.SpannerDatabases[i%2]}})
	}
	for i, src := range e.CBRSources {
		add(fmt.Sprintf("cbr-%02d", i), &cbr.FleetCopy{Client: c.CBR, Request: cbr.CopyBackupRequest{
			BackupID: src, DestinationProjectID: cbrtest.ProjectID, DestinationRegion: cbrtest.DestinationRegion, DestinationVaultID: e.CBRVault}})
	}
	for i, src := range e.FSxSources {
		add(fmt.Sprintf("fsx-%02d", i), &fsx.FleetCopy{Client: c.FSx, Request: fsx.CopyBackupRequest{SourceBackupID: src, CopyTags: true}})
	}
	return p
}

// liveState is the default state file of -live: the same path on every
// run, so that running the same command again resumes.
func liveState() string { return filepath.Join(os.TempDir(), "backupcopy-fleet-copy-live.state") }

// runLive runs the plan the flags name on the real clouds. Ctrl-C stops it;
// running the same command again resumes from the state file.
func runLive(ctx context.Context, cfg *config, interrupts <-chan os.Signal, out, errOut io.Writer) int {
	plan, closeAll, err := livePlan(ctx, &cfg.liveCfg)
	if err != nil {
		fmt.Fprintln(errOut, "fleet-copy:", err)
		return 2
	}
	defer closeAll()
	state := cfg.state
	if state == "" {
		state = liveState()
	}
	fmt.Fprintf(out, "live: %d copies; state file %s\n", len(plan.Copies), state)
	res, stopped, err := runOnce(ctx, plan, state, cfg, 0, interrupts, newBoard(out, !cfg.plain && isTerminal(out)))
	if stopped {
		fmt.Fprintln(out, resumeHint(state))
		return 1
	}
	var pe *fleet.PlanError
	if errors.As(err, &pe) {
		fmt.Fprintln(errOut, "fleet-copy:", err)
		return 2
	}
	if err != nil {
		fmt.Fprintln(errOut, "fleet-copy:", err)
		return 1
	}
	summary(out, res)
	if err := res.Err(); err != nil {
		fmt.Fprintln(errOut, "fleet-copy:", err)
		return 1
	}
	return 0
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
