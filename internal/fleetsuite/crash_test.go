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
	"strconv"
	"strings"
	"sync/atomic"
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
	// envCrash is "starting:K" or "running:K": the child kills itself with
	// SIGKILL at its K-th record of that state, right after writing a
	// Starting record (before the request is sent) or right before writing a
	// Running record (after the cloud accepted the copy): the two sides of
	// the window a crash can hit.
	envCrash = "FLEETSUITE_CRASH_AT"
)

// crashStore kills the process at a chosen record.
type crashStore struct {
	fleet.Store
	state fleet.State
	left  atomic.Int64
}

func (s *crashStore) Put(r *fleet.Record) error {
	if r.State != s.state {
		return s.Store.Put(r)
	}
	if s.state == fleet.Running && s.left.Add(-1) == 0 {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL) // accepted, not recorded
		select {}
	}
	err := s.Store.Put(r)
	if s.state == fleet.Starting && s.left.Add(-1) == 0 {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL) // recorded, not sent
		select {}
	}
	return err
}

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
	var store fleet.Store = st
	if at := os.Getenv(envCrash); at != "" {
		mode, k, _ := strings.Cut(at, ":")
		cs := &crashStore{Store: st, state: fleet.Starting}
		if mode == "running" {
			cs.state = fleet.Running
		}
		n, err := strconv.Atoi(k)
		if err != nil {
			t.Fatal(err)
		}
		cs.left.Store(int64(n))
		store = cs
	}
	res, err := fleet.Run(ctx, fleetsuite.Plan(e, c), quick(fleet.Options{Store: store}))
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestCrashResume kills a process running a plan with SIGKILL (several
// seeds): twice at a random record on either side of a start (a starting
// record written and its request not sent; a request answered and its
// running record not written), then four times at a random moment. It runs
// the plan again until it finishes and checks that every plan item ends with
// exactly one copy in the fakes, none lost, and the journal all done.
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
			kills, between := 0, 0
			for round := 0; ; round++ {
				if round > 20 {
					t.Fatal("the plan did not finish in 20 runs")
				}
				cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
				cmd.Env = append(os.Environ(), envChild+"=1", envFakes+"="+f.Env.Encode(), envState+"="+state)
				// Rounds 1 and 2 crash on either side of a start (at a
				// random record); rounds 3 to 6 are killed at a random
				// moment; later rounds run to the end.
				switch round {
				case 0, 1:
					mode := [2]string{"starting", "running"}[rng.IntN(2)]
					cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%s:%d", envCrash, mode, 1+rng.IntN(8)))
				}
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				exited := make(chan error, 1)
				go func() { exited <- cmd.Wait() }()
				var err error
				if round >= 2 && round < 6 {
					// Kill at a random moment: early (often before any
					// start is recorded) up to well into the copies.
					select {
					case err = <-exited:
					case <-time.After(10*time.Millisecond + time.Duration(rng.Int64N(int64(300*time.Millisecond)))):
						_ = cmd.Process.Signal(syscall.SIGKILL)
						err = <-exited
					}
				} else {
					err = <-exited
				}
				var ee *exec.ExitError
				switch {
				case err == nil:
					t.Logf("finished in run %d after %d kills (%d copies caught between request and record); %d copy requests", round+1, kills, between, f.CopyRequests())
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
					kills++
					if snap, rerr := journal.Read(state); rerr == nil && snap != nil {
						var counts fleet.Totals
						for _, r := range snap.Records {
							switch r.State {
							case fleet.Starting:
								counts.Starting++
							case fleet.Running:
								counts.Running++
							case fleet.Done:
								counts.Done++
							}
						}
						t.Logf("killed run %d: journal has %d starting, %d running, %d done", round+1, counts.Starting, counts.Running, counts.Done)
						between += counts.Starting
					}
					continue
				default:
					t.Fatalf("run %d: %v\n%s", round+1, err, out.String())
				}
			}
		})
	}
}
