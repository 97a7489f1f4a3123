package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/backupcopy/backupcopy/lro"
)

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool { return isatty.IsTerminal(f.Fd()) }

// labelWidth bounds a progress label, so that a bar line (label, bar,
// percent, elapsed) fits a 100-column terminal.
const labelWidth = 44

// shorten cuts s to n runes, keeping its end (where names differ).
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return "..." + string(r[len(r)-(n-3):])
}

// labelName names a copy in progress, after its cloud: for Google the
// backup the operation makes (operations/NAME/operations/ID or
// NAME/operations/ID), else the resume token; cut to fit a bar line.
func labelName(cloud, name string) string {
	target := strings.TrimPrefix(name, "operations/")
	if i := strings.Index(target, "/operations/"); i > 0 {
		target = target[:i]
	}
	return shorten(target, labelWidth-len(cloud)-1)
}

// progress shows how copies advance on standard error: live bars redrawn in
// place on a terminal (one per copy in progress, with percent and elapsed
// time), else one timestamped line whenever a copy's percent changes.
type progress struct {
	w   io.Writer
	tty bool
	p   *mpb.Progress

	mu sync.Mutex
}

func (a *app) newProgress(ctx context.Context) *progress {
	pr := &progress{w: a.stderr, tty: a.stderrTTY}
	if pr.tty {
		pr.p = mpb.NewWithContext(ctx, mpb.WithOutput(a.stderr), mpb.WithWidth(30), mpb.WithRefreshRate(150*time.Millisecond))
	}
	return pr
}

// task is one copy's progress.
type task struct {
	pr    *progress
	label string
	bar   *mpb.Bar
	last  int
	start time.Time
}

// add starts showing a copy of cloud called name.
func (pr *progress) add(cloud, name string) *task {
	t := &task{pr: pr, label: cloud + " " + name, last: -2, start: time.Now()}
	if pr.tty {
		// A bar's label is cut to fit the line, keeping the cloud and the
		// end of the name; a plain line keeps it whole.
		t.label = cloud + " " + shorten(name, labelWidth-len(cloud)-1)
		t.bar = pr.p.AddBar(100,
			mpb.PrependDecorators(decor.Name(t.label, decor.WC{C: decor.DindentRight | decor.DextraSpace, W: labelWidth + 1})),
			mpb.AppendDecorators(
				decor.OnAbort(decor.Percentage(decor.WC{W: 5}), "failed"),
				decor.Name(" "),
				decor.Elapsed(decor.ET_STYLE_GO, decor.WC{W: 6})),
		)
	}
	return t
}

// update is an lro.WithProgress callback.
func (t *task) update(p lro.Progress) {
	pct := p.Percent
	if t.bar != nil {
		if pct >= 0 {
			t.bar.SetCurrent(int64(pct))
		}
		return
	}
	t.pr.mu.Lock()
	defer t.pr.mu.Unlock()
	if pct == t.last {
		return
	}
	t.last = pct
	shown := "no progress reported"
	if pct >= 0 {
		shown = fmt.Sprintf("%d%%", pct)
	}
	fmt.Fprintf(t.pr.w, "%s %s %s (%s)\n", time.Now().UTC().Format(time.RFC3339), t.label, shown, time.Since(t.start).Round(time.Second))
}

// end marks the copy done, failed or running (interrupted: the bar stays
// where it was); "" removes it without a word (it never started).
func (t *task) end(state string) {
	if t.bar != nil {
		if state == "done" {
			t.bar.SetCurrent(100) // completes the bar (its total is 100)
		} else {
			t.bar.Abort(state == "")
		}
		return
	}
	if state == "" {
		return
	}
	t.pr.mu.Lock()
	defer t.pr.mu.Unlock()
	fmt.Fprintf(t.pr.w, "%s %s %s (%s)\n", time.Now().UTC().Format(time.RFC3339), t.label, state, time.Since(t.start).Round(time.Second))
}

// wait ends the live view (after every task ended).
func (pr *progress) wait() {
	if pr.p != nil {
		pr.p.Wait()
	}
}
