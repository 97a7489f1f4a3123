package lro_test

import (
	"context"
	"fmt"
	"time"

	"github.com/backupcopy/backupcopy/lro"
)

type Backup struct{ Name string }
type CopyMetadata struct{ Percent int }

// A poll function makes one round trip; here an in-memory operation that
// advances 40 points per poll.
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
