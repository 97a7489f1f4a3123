package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/backupcopy/backupcopy/fleet"
)

// board shows progress per limit group: on a terminal a table redrawn in
// place, otherwise one plain line per copy started, retried, done or failed.
type board struct {
	out     io.Writer
	redraw  bool
	mu      sync.Mutex
	groups  map[string]*groupView
	copies  map[string]*copyView
	totals  fleet.Totals
	drawn   int // lines drawn last time
	stopped chan struct{}
	ended   chan struct{}
}

type groupView struct {
	name                                   string
	limit                                  int
	queued, running, done, failed, retried int
}

type copyView struct {
	group   string
	state   fleet.State
	percent int
}

func newBoard(out io.Writer, redraw bool) *board {
	return &board{out: out, redraw: redraw, groups: map[string]*groupView{}, copies: map[string]*copyView{}}
}

// event takes one fleet event (calls are serialized by the runner).
func (b *board) event(e fleet.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.totals = e.Totals
	g := b.groups[e.Group]
	if g == nil {
		g = &groupView{name: e.Group}
		b.groups[e.Group] = g
	}
	g.limit = e.Limit
	c := b.copies[e.Key]
	if c == nil {
		c = &copyView{group: e.Group, state: fleet.Queued, percent: -1}
		b.copies[e.Key] = c
		g.queued++
	}
	move := func(to fleet.State) {
		g.count(c.state, -1)
		g.count(to, 1)
		c.state = to
	}
	switch e.Type {
	case fleet.EventStarted:
		move(fleet.Running)
		b.line("%-18s started   %s%s", e.Key, e.Name, map[bool]string{true: " (resumed)"}[e.Resumed])
	case fleet.EventProgress:
		c.percent = e.Percent
	case fleet.EventRetried:
		g.retried++
		if e.AtLimit {
			move(fleet.Queued)
			b.line("%-18s at limit  %s: limit now %d, retry in %v: %v", e.Key, e.Group, e.Limit, e.Delay.Round(time.Millisecond), e.Err)
		} else {
			b.line("%-18s retry     in %v: %v", e.Key, e.Delay.Round(time.Millisecond), e.Err)
		}
	case fleet.EventDone:
		move(fleet.Done)
		c.percent = 100
		b.line("%-18s done      %s", e.Key, e.Result)
	case fleet.EventFailed:
		move(fleet.Failed)
		b.line("%-18s FAILED    %v", e.Key, e.Err)
	}
}

func (g *groupView) count(s fleet.State, n int) {
	switch s {
	case fleet.Queued:
		g.queued += n
	case fleet.Starting, fleet.Running:
		g.running += n
	case fleet.Done:
		g.done += n
	case fleet.Failed:
		g.failed += n
	}
}

// line prints a plain progress line (not when redrawing a table).
func (b *board) line(format string, args ...any) {
	if !b.redraw {
		fmt.Fprintf(b.out, format+"\n", args...)
	}
}

// start begins redrawing (on a terminal).
func (b *board) start() {
	if !b.redraw {
		return
	}
	b.drawn = 0 // lines printed since the last draw: draw the table anew below them
	b.stopped, b.ended = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(b.ended)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-b.stopped:
				b.draw()
				return
			case <-t.C:
				b.draw()
			}
		}
	}()
}

func (b *board) stop() {
	if b.redraw {
		close(b.stopped)
		<-b.ended
	}
}

// boardWidth is the widest line the live table draws: it is redrawn by
// moving the cursor up one line per line drawn, which only works while no
// line wraps, so it fits an 80-column terminal.
const boardWidth = 79

// groupWidth bounds a group's name in the live table.
const groupWidth = 28

// draw redraws the table in place.
func (b *board) draw() {
	b.mu.Lock()
	defer b.mu.Unlock()
	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tLIMIT\tQUEUE\tRUN\tDONE\tFAIL\tRETRY\tPROGRESS")
	for _, name := range slices.Sorted(maps.Keys(b.groups)) {
		g := b.groups[name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", shortGroup(g.name, groupWidth), g.limit, g.queued, g.running, g.done, g.failed, g.retried, b.bar(name))
	}
	t := b.totals
	fmt.Fprintf(tw, "all\t\t%d\t%d\t%d\t%d\t\t\n", t.Queued, t.Running+t.Starting, t.Done, t.Failed)
	tw.Flush()
	lines := strings.SplitAfter(strings.TrimSuffix(sb.String(), "\n"), "\n")
	if b.drawn > 0 {
		// Back to the table's first line, at its first column (a ^C the
		// terminal echoed moved the cursor).
		fmt.Fprintf(b.out, "\r\x1b[%dA", b.drawn)
	}
	for _, l := range lines {
		l = strings.TrimRight(l, " \n")
		if len(l) > boardWidth {
			l = l[:boardWidth-1] + "+" // more copies than the line holds
		}
		fmt.Fprint(b.out, l+"\x1b[K\n")
	}
	b.drawn = len(lines)
}

// shortGroup fits a group's name (its kind, then a resource path) in n
// bytes: the kind and as many of the path's last elements as fit, the rest
// shown as "...".
func shortGroup(name string, n int) string {
	if len(name) <= n {
		return name
	}
	kind, path, ok := strings.Cut(name, "/")
	if !ok {
		return name[:n-3] + "..."
	}
	parts := strings.Split(path, "/")
	tail := parts[len(parts)-1]
	for i := len(parts) - 2; i >= 0; i-- {
		if len(kind)+len("/.../")+len(parts[i])+1+len(tail) > n {
			break
		}
		tail = parts[i] + "/" + tail
	}
	s := kind + "/.../" + tail
	if len(s) > n {
		s = s[:n-3] + "..."
	}
	return s
}

// bar is one character per copy of the group: . queued, digit tens of
// percent while running, # done, ! failed.
func (b *board) bar(group string) string {
	var keys []string
	for k, c := range b.copies {
		if c.group == group {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var sb strings.Builder
	for _, k := range keys {
		c := b.copies[k]
		switch c.state {
		case fleet.Done:
			sb.WriteByte('#')
		case fleet.Failed:
			sb.WriteByte('!')
		case fleet.Running, fleet.Starting:
			if c.percent < 0 {
				sb.WriteByte('>')
			} else {
				sb.WriteByte(byte('0' + min(c.percent/10, 9)))
			}
		default:
			sb.WriteByte('.')
		}
	}
	return sb.String()
}

// summary prints one row per group and the failed copies.
func summary(out io.Writer, res *fleet.Result) {
	type row struct{ copies, done, failed, attempts int }
	rows := map[string]*row{}
	for _, c := range res.Copies {
		r := rows[c.Group]
		if r == nil {
			r = &row{}
			rows[c.Group] = r
		}
		r.copies++
		r.attempts += c.Attempts
		switch c.State {
		case fleet.Done:
			r.done++
		case fleet.Failed:
			r.failed++
		}
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tCOPIES\tDONE\tFAILED\tSTART REQUESTS")
	for _, g := range slices.Sorted(maps.Keys(rows)) {
		r := rows[g]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", g, r.copies, r.done, r.failed, r.attempts)
	}
	t := res.Totals
	fmt.Fprintf(tw, "all\t%d\t%d\t%d\t\n", t.All(), t.Done, t.Failed)
	tw.Flush()
	for _, c := range res.Copies {
		if c.State == fleet.Failed {
			fmt.Fprintf(out, "FAILED %s: %v\n", c.Key, c.Err)
		}
	}
}
