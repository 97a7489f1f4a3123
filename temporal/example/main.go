// Command example is a Temporal worker that makes backup copies, and starts
// a plan of them: the CLI's YAML plan format (see package planfile).
//
//	go run ./example -plan nightly.yaml      # serve, start the plan, follow it to its end
//	go run ./example                         # only serve (start plans from elsewhere)
//
// It connects to the Temporal server in TEMPORAL_ADDRESS (default
// localhost:7233; namespace TEMPORAL_NAMESPACE, default "default"), serves
// the task queue -queue with the workflow and activities of package
// temporal, and builds its clients from the usual credentials and the
// BACKUPCOPY_<CLOUD>_ENDPOINT variables (planfile's Settings.Clients), with the
// plan's clouds: section when -plan is given. The workflow id (-id) names the
// run: the copies' tokens derive from it, so starting the same plan again
// under the same id asks for the same copies, and a new id makes new ones.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/backupcopy/backupcopy/planfile"
	"github.com/backupcopy/backupcopy/temporal"
)

func main() {
	planPath := flag.String("plan", "", "plan file (YAML) to start; empty: only serve")
	id := flag.String("id", "", "workflow id of the plan's run (default: backupcopy-<plan file name>-<UTC date>)")
	queue := flag.String("queue", "backupcopy", "task queue to serve and to start the plan on")
	serve := flag.Bool("serve", true, "run a worker in this process")
	zlib := flag.Bool("zlib", false, "compress payloads (temporal.DataConverter), for plans over about 6,000 copies; every client and worker of the queue must agree")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*planPath, *id, *queue, *serve, *zlib); err != nil {
		log.Fatal(err)
	}
}

func run(planPath, id, queue string, serve, zlib bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var plan *planfile.Plan
	var settings planfile.Settings
	if planPath != "" {
		var err error
		if plan, err = planfile.ParseFile(planPath); err != nil {
			return err
		}
		settings = plan.Settings
	}
	if !serve && plan == nil {
		return errors.New("example: nothing to do: give -plan, or leave -serve on")
	}

	addr := os.Getenv("TEMPORAL_ADDRESS")
	if addr == "" {
		addr = "localhost:7233"
	}
	ns := os.Getenv("TEMPORAL_NAMESPACE")
	if ns == "" {
		ns = "default"
	}
	opts := client.Options{HostPort: addr, Namespace: ns}
	if zlib {
		opts.DataConverter = temporal.DataConverter()
	}
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		return fmt.Errorf("example: cannot reach the Temporal server at %s (TEMPORAL_ADDRESS): %w", addr, err)
	}
	defer tc.Close()

	if serve {
		clients, err := settings.Clients(ctx, planfile.ClientOptions{})
		defer clients.Close()
		if err != nil {
			log.Printf("example: some clients are missing (their copies will fail): %v", err)
		}
		w := worker.New(tc, queue, worker.Options{})
		temporal.Register(w, &temporal.Activities{Clients: clients})
		if err := w.Start(); err != nil {
			return fmt.Errorf("example: cannot start the worker: %w", err)
		}
		defer w.Stop()
		log.Printf("example: serving task queue %q on %s", queue, addr)
	}
	if plan == nil {
		<-ctx.Done()
		return nil
	}

	name := strings.TrimSuffix(filepath.Base(planPath), filepath.Ext(planPath))
	if id == "" {
		id = "backupcopy-" + name + "-" + time.Now().UTC().Format("20060102")
	}
	wr, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, temporal.WorkflowName, temporal.PlanOf(name, plan))
	if err != nil {
		return fmt.Errorf("example: cannot start the plan: %w", err)
	}
	log.Printf("example: plan %s runs as workflow %s (%d copies; started now, or joined if it was running)", planPath, id, len(plan.Copies))

	done := make(chan error, 1)
	var res temporal.Result
	go func() { done <- wr.Get(ctx, &res) }() // follows the run through continue-as-new
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("example: plan %s: %w", id, err)
			}
			t := res.Totals
			log.Printf("example: plan %s finished: %d done, %d failed, in %d runs", id, t.Done, t.Failed, res.Runs)
			return res.Err()
		case <-tick.C:
			v, err := tc.QueryWorkflow(ctx, id, "", temporal.ProgressQuery)
			if err != nil {
				log.Printf("example: progress: %v", err)
				continue
			}
			var p temporal.Progress
			if err := v.Get(&p); err == nil {
				t := p.Totals
				log.Printf("example: %d queued, %d starting, %d running, %d done, %d failed", t.Queued, t.Starting, t.Running, t.Done, t.Failed)
			}
		case <-ctx.Done():
			log.Printf("example: stopped; the plan goes on in Temporal (workflow %s): run this again with -id %s to follow it", id, id)
			return nil
		}
	}
}
