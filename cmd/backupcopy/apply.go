package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/fleet/journal"
	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/planfile"
)

// planName is the name runs of `backupcopy apply` carry in their state
// files (the plan's content, not its file name, decides what may resume).
const planName = "backupcopy"

// copyStatus is one copy in the output of apply and status.
type copyStatus struct {
	Key   string `json:"key"`
	Cloud string `json:"cloud"`
	// State is queued, running, done or failed.
	State string `json:"state"`
	// Name is the operation's resume token, empty until started.
	Name   string `json:"name"`
	Error  string `json:"error"`
	Result string `json:"result,omitempty"`
}

// runStatus is the JSON document of apply and status.
type runStatus struct {
	Copies []copyStatus   `json:"copies"`
	Counts map[string]int `json:"counts"`
	Run    *runStatusInfo `json:"run,omitempty"`
}

type runStatusInfo struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
}

// stateName maps a fleet state to the four the CLI reports: a copy that is
// starting (its request may be on the way) counts as running.
func stateName(s fleet.State) string {
	if s == fleet.Starting {
		return "running"
	}
	return s.String()
}

func newRunStatus(info fleet.RunInfo, copies []copyStatus) runStatus {
	st := runStatus{Copies: copies, Counts: map[string]int{"queued": 0, "running": 0, "done": 0, "failed": 0}}
	if st.Copies == nil {
		st.Copies = []copyStatus{}
	}
	for _, c := range copies {
		st.Counts[c.State]++
	}
	if info.ID != "" {
		st.Run = &runStatusInfo{ID: info.ID, Created: info.Created}
	}
	return st
}

// writeRunTable prints a run's copies, one per line, in columns sized to
// their content. Nothing is cut: a key, a backup name or an error shortened
// with "..." could not be copied into the next command, and an error would
// lose its code or request id.
func writeRunTable(w io.Writer, st runStatus) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "KEY\tCLOUD\tSTATE\tBACKUP / ERROR")
	for _, c := range st.Copies {
		detail := c.Result
		if c.Error != "" {
			detail = c.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Key, c.Cloud, c.State, detail)
	}
	tw.Flush()
	var parts []string
	for _, s := range []string{"done", "failed", "running", "queued"} {
		parts = append(parts, fmt.Sprintf("%d %s", st.Counts[s], s))
	}
	noun := "copies"
	if len(st.Copies) == 1 {
		noun = "copy"
	}
	fmt.Fprintf(w, "%d %s: %s\n", len(st.Copies), noun, strings.Join(parts, ", "))
}

// fleetClients makes the clients the plan's clouds need.
func (a *app) fleetClients(ctx context.Context, p *planfile.Plan) (planfile.Clients, error) {
	var used []string
	for _, cp := range p.Copies {
		if !slices.Contains(used, cp.Cloud) {
			used = append(used, cp.Cloud)
		}
	}
	c, err := p.Settings.Clients(ctx, clientOptions(newSendCounter()), used...)
	if err != nil {
		c.Close()
		return c, configErr(err, true)
	}
	return c, nil
}

func (a *app) applyCommand() *cobra.Command {
	var plan, state, out string
	var maxAttempts int
	cmd := &cobra.Command{
		Use:   "apply -f PLAN --state FILE",
		Short: "Run a plan of copies as one fleet; rerun the same command to resume",
		Long: `Run a plan of copies (YAML or JSON) as one fleet: within each API's limits, with
progress, and recorded in the state file so that rerunning the same command after any
interruption (Ctrl-C, kill -9, a reboot) resumes, every copy made exactly once.

A plan lists copies under copies:, each one cloud (bigtable, spanner, cbr or fsx) with the
fields of 'backupcopy copy CLOUD' in snake_case (--backup-id is backup_id) and an optional
key (default: derived from the copy); clouds: holds client settings (fsx: {region},
cbr: {region, project_id}, endpoint for any). Unknown fields are refused by name:

  clouds:
    fsx: {region: eu-west-1}
  copies:
    - key: orders-dr
      spanner: {source: projects/p/instances/prod/backups/orders, parent: projects/p/instances/dr,
                backup_id: orders-dr, expire_after: 168h}
    - fsx: {source: backup-0123456789abcdef0, source_region: us-east-1}

Exit status: 0 when every copy finished well, 1 when any failed, 2 on bad usage or a bad plan
(nothing started: duplicate keys, an unknown cloud, an invalid request, the same source copied
twice to the same destination, a source that is not ready), 130 interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			if maxAttempts < 1 {
				return usagef("apply: --max-attempts %d: use 1 or more", maxAttempts)
			}
			if plan == "" || state == "" {
				return usagef("apply: -f PLAN and --state FILE are required (for example: backupcopy apply -f plan.yaml --state plan.state)")
			}
			p, err := planfile.ParseFile(plan)
			if err != nil {
				return usagef("apply: %s", err)
			}
			ctx := cmd.Context()
			clients, err := a.fleetClients(ctx, p)
			if err != nil {
				return err
			}
			defer clients.Close()
			fp, err := p.Fleet(planName, clients)
			if err != nil {
				return usagef("apply: %s", err)
			}
			st, err := journal.Open(state)
			if err != nil {
				return usagef("apply: %s", oneLine(err.Error()))
			}
			defer st.Close()
			resume := "backupcopy apply -f " + shellQuote(plan) + " --state " + shellQuote(state)
			onEvent, endView := a.fleetView(ctx)
			res, err := fleet.Run(ctx, fp, fleet.Options{Store: st, OnEvent: onEvent, MaxAttempts: maxAttempts})
			endView()
			var pe *fleet.PlanError
			var se *fleet.StateError
			switch {
			case errors.As(err, &pe), errors.As(err, &se):
				return usagef("apply: %s", oneLine(err.Error()))
			case err != nil && ctx.Err() != nil:
				if res != nil {
					a.printRun(res, out)
				}
				return &interruptedError{resume: resume}
			case err != nil:
				return err
			}
			a.printRun(res, out)
			if res.Totals.Failed > 0 {
				return &exitError{code: exitFailed, msg: oneLine(res.Err().Error())}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&plan, "file", "f", "", "the plan, YAML or JSON (- for stdin) (required)")
	fl.StringVar(&state, "state", "", "the run's state file, created if missing (required)")
	fl.StringVarP(&out, "output", "o", "table", "output format: table or json")
	fl.IntVar(&maxAttempts, "max-attempts", 8, "attempts of one copy after errors other than limits and throttling, before it fails")
	return cmd
}

func (a *app) printRun(res *fleet.Result, out string) {
	var copies []copyStatus
	for _, c := range res.Copies {
		cs := copyStatus{Key: c.Key, Cloud: c.Cloud, State: stateName(c.State), Name: c.Name, Result: c.Result}
		if c.Err != nil && c.State == fleet.Failed {
			cs.Error = oneLine(c.Err.Error())
		}
		copies = append(copies, cs)
	}
	st := newRunStatus(res.Run, copies)
	if out == "json" {
		writeJSON(a.stdout, st)
		return
	}
	writeRunTable(a.stdout, st)
}

// fleetView shows a run's events: a live bar per copy in progress on a
// terminal, else a timestamped line per event. Call end once the run
// returned, before printing anything else.
func (a *app) fleetView(ctx context.Context) (onEvent func(fleet.Event), end func()) {
	pr := a.newProgress(ctx)
	tasks := map[string]*task{}
	end = func() {
		for k, t := range tasks {
			t.end("running")
			delete(tasks, k)
		}
		pr.wait()
	}
	return func(e fleet.Event) {
		t := tasks[e.Key]
		switch e.Type {
		case fleet.EventStarted:
			if t == nil {
				t = pr.add(e.Cloud, e.Key)
				tasks[e.Key] = t
			}
			if !pr.tty {
				how := "started"
				if e.Resumed {
					how = "resumed"
				}
				a.logf("%s %s %s %s", e.Cloud, e.Key, how, e.Name)
			}
		case fleet.EventProgress:
			if t != nil {
				t.update(lro.Progress{Percent: e.Percent})
			}
		case fleet.EventRetried:
			if !pr.tty {
				why := "retrying"
				if e.AtLimit {
					why = fmt.Sprintf("at its limit (%s now %d)", e.Group, e.Limit)
				}
				a.logf("%s %s %s, again in %s", e.Cloud, e.Key, why, e.Delay.Round(time.Millisecond))
			}
		case fleet.EventDone, fleet.EventFailed:
			if t == nil {
				t = pr.add(e.Cloud, e.Key)
			}
			delete(tasks, e.Key)
			if e.Type == fleet.EventFailed && !pr.tty {
				t.end("") // one line says it failed, with why
				a.logf("%s %s failed: %s", e.Cloud, e.Key, oneLine(fmt.Sprint(e.Err)))
				break
			}
			t.end(map[fleet.EventType]string{fleet.EventDone: "done", fleet.EventFailed: "failed"}[e.Type])
		}
	}, end
}

// logf writes a timestamped line on stderr.
func (a *app) logf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "%s %s\n", time.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
}

func (a *app) statusCommand() *cobra.Command {
	var state, out string
	cmd := &cobra.Command{
		Use:   "status --state FILE",
		Short: "Show where each copy of a run stands",
		Long: `Show where each copy of a run stands (queued, running, done or failed), from the
state file 'backupcopy apply' was given, without changing it; a run may be going on.`,
		Example: `  backupcopy status --state nightly.state
  backupcopy status --state nightly.state -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			if state == "" {
				return usagef("status: --state FILE is required (the file apply was given)")
			}
			if _, err := os.Stat(state); err != nil {
				return usagef("status: no state file %s: run backupcopy apply -f PLAN --state %s first", state, state)
			}
			snap, err := journal.Read(state)
			if err != nil {
				if errors.Is(err, journal.ErrLocked) {
					return usagef("status: %s is in use by a running apply: run status when it has finished, or watch its progress", state)
				}
				return usagef("status: %s", oneLine(err.Error()))
			}
			var info fleet.RunInfo
			var copies []copyStatus
			if snap != nil {
				info = snap.Run
				recs := append([]fleet.Record(nil), snap.Records...)
				sort.Slice(recs, func(i, j int) bool { return recs[i].Key < recs[j].Key })
				for _, r := range recs {
					cs := copyStatus{Key: r.Key, Cloud: r.Cloud, State: stateName(r.State), Name: r.Operation, Result: r.Result}
					if r.State == fleet.Failed {
						cs.Error = r.Error
					}
					copies = append(copies, cs)
				}
			}
			st := newRunStatus(info, copies)
			if out == "json" {
				return writeJSON(a.stdout, st)
			}
			writeRunTable(a.stdout, st)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&state, "state", "", "the run's state file (required)")
	fl.StringVarP(&out, "output", "o", "table", "output format: table or json")
	return cmd
}
