package fleetsuite_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/fleet/journal"
	"github.com/backupcopy/backupcopy/internal/fleetsuite"
)

// The child process's environment.
const (
	envChild = "FLEETSUITE_CRASH_CHILD"
	envFakes = "FLEETSUITE_CRASH_ENV"
	envState = "FLEETSUITE_CRASH_STATE"
)

// TestCrashChild is the child process of TestCrashResume: it runs the plan
// against the fakes of the parent test process, with the state file the
// parent names, and exits 0 once every copy is done. Without the parent's
// environment it does nothing.
func TestCrashChild(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		t.Skip("run by TestCrashResume")
	}
	e, err := fleetsuite.DecodeEnv(os.Getenv(envFakes))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := fleetsuite.NewClients(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := journal.Open(os.Getenv(envState))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := fleet.Run(ctx, fleetsuite.Plan(e, c), quick(fleet.Options{Store: st}))
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestCrashResume kills a process running a plan with SIGKILL at random
// moments (before, between and after starts; several seeds), runs it again
// until it finishes, and checks that every plan item ends with exactly one
// copy in the fakes, none lost.
func TestCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	n := fleetsuite.Counts{Bigtable: 4, SpannerCopy: 3, SpannerCreate: 4, CBR: 3, FSx: 12}
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 14))
			f := fleetsuite.Start(n, 250*time.Millisecond)
			defer f.Close()
			state := filepath.Join(t.TempDir(), "run.state")
			kills := 0
			for round := 0; ; round++ {
				if round > 20 {
					t.Fatal("the plan did not finish in 20 runs")
				}
				cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
				cmd.Env = append(os.Environ(), envChild+"=1", envFakes+"="+f.Env.Encode(), envState+"="+state)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				exited := make(chan error, 1)
				go func() { exited <- cmd.Wait() }()
				var err error
				if round < 6 {
					// Kill at a random moment: early (often before any
					// start is recorded) up to well into the copies.
					select {
					case err = <-exited:
					case <-time.After(10*time.Millisecond + time.Duration(rng.Int64N(int64(300*time.Millisecond)))):
						_ = cmd.Process.Signal(syscall.SIGKILL)
						err = <-exited
						kills++
					}
				} else {
					err = <-exited
				}
				var ee *exec.ExitError
				switch {
				case err == nil:
					t.Logf("finished in run %d after %d kills; %d copy requests", round+1, kills, f.CopyRequests())
					checkExactlyOnce(t, f)
					snap, rerr := journal.Read(state)
					if rerr != nil {
						t.Fatal(rerr)
					}
					for _, r := range snap.Records {
						if r.State != fleet.Done {
							t.Errorf("journal: %s is %s", r.Key, r.State)
						}
					}
					return
				case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled():
					continue
				default:
					t.Fatalf("run %d: %v\n%s", round+1, err, out.String())
				}
			}
		})
	}
}
