package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// row is one operation on the board.
type row struct {
	cloud, call string
	name        string // the operation's Name(), once known
	state       string // "starting", "running", "resumed", "done", "failed"
	percent     int    // -1: the API reports none
	started     time.Time
	elapsed     time.Duration
	result      string
	err         error
}

// board shows one line per operation. On a terminal it redraws the lines in
// place; otherwise it prints a line whenever an operation changes state or
// passes another quarter of its progress, so logs stay short.
type board struct {
	mu     sync.Mutex
	out    io.Writer
	tty    bool
	rows   []*row
	drawn  int   // lines drawn last time (tty)
	quarts []int // last quarter printed per row (plain)
	states []string
}

func newBoard(out io.Writer, tty bool) *board { return &board{out: out, tty: tty} }

// isTerminal reports whether w is a character device that understands the
// cursor movements the in-place display uses.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (b *board) add(cloud, call string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rows = append(b.rows, &row{cloud: cloud, call: call, state: "starting", percent: -1, started: time.Now()})
	b.quarts = append(b.quarts, -1)
	b.states = append(b.states, "")
	return len(b.rows) - 1
}

// update changes row i under the lock and shows the change.
func (b *board) update(i int, f func(r *row)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.rows[i]
	f(r)
	if r.state != "done" && r.state != "failed" {
		r.elapsed = time.Since(r.started)
	}
	if b.tty {
		b.drawLocked()
		return
	}
	// A line when the state changes, or when the progress passes another
	// quarter (no progress reported yet counts as 0%: a row is not printed
	// again just because its first poll said 0%).
	q := max(r.percent, 0) / 25
	if r.state != b.states[i] || q > b.quarts[i] {
		b.states[i], b.quarts[i] = r.state, q
		fmt.Fprintln(b.out, line(r))
	}
}

// tick refreshes elapsed times on a terminal.
func (b *board) tick() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.tty {
		return
	}
	for _, r := range b.rows {
		if r.state != "done" && r.state != "failed" {
			r.elapsed = time.Since(r.started)
		}
	}
	b.drawLocked()
}

func (b *board) drawLocked() {
	if b.drawn > 0 {
		fmt.Fprintf(b.out, "\x1b[%dA", b.drawn)
	}
	for _, r := range b.rows {
		fmt.Fprintf(b.out, "\x1b[2K%s\n", line(r))
	}
	b.drawn = len(b.rows)
}

func line(r *row) string {
	bar := strings.Repeat("·", 20)
	pct := "    "
	if r.percent >= 0 {
		n := min(r.percent, 100) / 5
		bar = strings.Repeat("█", n) + strings.Repeat("·", 20-n)
		pct = fmt.Sprintf("%3d%%", r.percent)
	}
	s := fmt.Sprintf("%-8s %-13s [%s] %s  %-8s %5.1fs", r.cloud, r.call, bar, pct, r.state, r.elapsed.Seconds())
	if r.err != nil {
		s += "  " + firstLine(r.err.Error())
	}
	return s
}

// Widths of the summary table's shortened cells, so that it fits 100
// columns: operation names are elided in the middle (a CBR name is about 170
// characters; -o json prints them in full), results and errors cut.
const (
	nameWidth   = 28
	resultWidth = 36
)

// summary prints the final table, then each failure's error in full.
func (b *board) summary() {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintln(b.out)
	tw := tabwriter.NewWriter(b.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLOUD\tCALL\tOPERATION\tELAPSED\tRESULT")
	elided := false
	for _, r := range b.rows {
		res := r.result
		if r.err != nil {
			res = "FAILED (below)"
		}
		name := r.name
		if name == "" {
			name = "-"
		}
		if short := elide(name, nameWidth); short != name {
			name, elided = short, true
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1fs\t%s\n", r.cloud, r.call, name, r.elapsed.Seconds(), cut(res, resultWidth))
	}
	tw.Flush()
	if elided {
		fmt.Fprintln(b.out, "(operation names shortened; -o json prints them in full)")
	}
	for _, r := range b.rows {
		if r.err != nil {
			fmt.Fprintf(b.out, "%s: %s\n", r.cloud, firstLine(r.err.Error()))
		}
	}
}

// jsonRow is one operation in the -o json document.
type jsonRow struct {
	Cloud          string  `json:"cloud"`
	Call           string  `json:"call"`
	Name           string  `json:"name"`
	State          string  `json:"state"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	Result         string  `json:"result,omitempty"`
	Error          string  `json:"error,omitempty"`
}

// json writes the outcome as one JSON document, with full operation names.
func (b *board) json(w io.Writer) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	doc := struct {
		Operations []jsonRow `json:"operations"`
	}{Operations: []jsonRow{}}
	for _, r := range b.rows {
		jr := jsonRow{Cloud: r.cloud, Call: r.call, Name: r.name, State: r.state,
			ElapsedSeconds: r.elapsed.Round(time.Millisecond).Seconds(), Result: r.result}
		if r.err != nil {
			jr.Error = r.err.Error()
		}
		doc.Operations = append(doc.Operations, jr)
	}
	return json.NewEncoder(w).Encode(doc)
}

// cut shortens s to at most n runes, ending it with "…".
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (b *board) failed() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, r := range b.rows {
		if r.err != nil {
			n++
		}
	}
	return n
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
