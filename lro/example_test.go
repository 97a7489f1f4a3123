package lro_test

import (
	"context"
	"fmt"
	"time"

	"github.com/backupcopy/backupcopy/lro"
)

type Backup struct{ Name string }
type CopyMetadata struct{ Percent int }

// A client builds an operation from a poll function that makes one round
// trip; here an in-memory operation that advances 40 points per poll.
func Example() {
	percent := 0
	poll := func(ctx context.Context, name string) (lro.State[Backup, CopyMetadata], error) {
		percent = min(percent+40, 100)
		if percent == 100 {
			return lro.State[Backup, CopyMetadata]{Done: true, Result: &Backup{Name: "backups/copy-1"}}, nil
		}
		return lro.State[Backup, CopyMetadata]{Percent: percent, Metadata: &CopyMetadata{Percent: percent}}, nil
	}
	op := lro.New("operations/copy-1", poll, lro.Config{})
	b, err := op.Wait(context.Background(),
		lro.WithPollInterval(time.Millisecond, 5*time.Millisecond),
		lro.WithProgress(func(p lro.Progress) { fmt.Printf("%s: %d%% done=%v\n", op.Name(), p.Percent, p.Done) }))
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("copied to", b.Name)
	// Output:
	// operations/copy-1: 40% done=false
	// operations/copy-1: 80% done=false
	// operations/copy-1: 100% done=true
	// copied to backups/copy-1
}

// An operation is resumed from its name alone, for example in another
// process after a restart: the new handle knows nothing until it polls.
func ExampleNew() {
	service := map[string]int{"operations/copy-7": 90} // the service's view
	poll := func(ctx context.Context, name string) (lro.State[Backup, CopyMetadata], error) {
		p, ok := service[name]
		if !ok {
			return lro.State[Backup, CopyMetadata]{}, fmt.Errorf("operation %s not found", name)
		}
		service[name] = p + 10
		if p+10 >= 100 {
			return lro.State[Backup, CopyMetadata]{Done: true, Result: &Backup{Name: "backups/copy-7"}}, nil
		}
		return lro.State[Backup, CopyMetadata]{Percent: p + 10}, nil
	}

	saved := "operations/copy-7" // op.Name() of the handle that started the copy
	op := lro.New(saved, poll, lro.Config{})
	fmt.Println("done before polling:", op.Done(), "percent:", op.Progress().Percent)
	b, err := op.Wait(context.Background())
	fmt.Println(b.Name, err, op.Done())
	// Output:
	// done before polling: false percent: -1
	// backups/copy-7 <nil> true
}

// Poll makes one round trip and never blocks on the operation.
func ExampleOperation_Poll() {
	op := lro.NewWithState("operations/copy-8",
		lro.State[Backup, CopyMetadata]{Percent: 0},
		func(ctx context.Context, name string) (lro.State[Backup, CopyMetadata], error) {
			return lro.State[Backup, CopyMetadata]{Percent: 35, Metadata: &CopyMetadata{Percent: 35}}, nil
		}, lro.Config{})
	b, err := op.Poll(context.Background())
	fmt.Println(b, err, op.Done(), op.Progress().Percent, op.Metadata().Percent)
	// Output:
	// <nil> <nil> false 35 35
}
