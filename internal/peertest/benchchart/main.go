// Command benchchart reads the output of BenchmarkWaitFleet (go test
// -bench WaitFleet) on standard input and writes an SVG chart to standard
// output: for each cloud, poll requests per second and detection delay
// (p50, p99) against the number of waits, ours beside per-operation
// polling. bench.sh fleetwait runs it.
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type point struct {
	cloud string
	n     int
	m     map[string]float64
}

var nameRE = regexp.MustCompile(`^BenchmarkWaitFleet/([a-z]+)/([0-9]+)`)

func parse(r io.Reader) []point {
	var pts []point
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			continue
		}
		mm := nameRE.FindStringSubmatch(f[0])
		if mm == nil {
			continue
		}
		n, _ := strconv.Atoi(mm[2])
		p := point{cloud: mm[1], n: n, m: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				p.m[f[i+1]] = v
			}
		}
		pts = append(pts, p)
	}
	return pts
}

// panel draws one metric pair (ours, per-op) for every cloud as grouped
// bars on a log scale, at x, y.
func panel(w io.Writer, x, y float64, title, unit string, pts []point, ours, perop string) {
	const width, height = 440.0, 220.0
	fmt.Fprintf(w, `<g transform="translate(%g,%g)">`+"\n", x, y)
	fmt.Fprintf(w, `<text x="0" y="-8" font-weight="bold">%s (%s, log scale)</text>`+"\n", title, unit)
	fmt.Fprintf(w, `<rect x="0" y="0" width="%g" height="%g" fill="none" stroke="#999"/>`+"\n", width, height)
	hi := 1.0
	for _, p := range pts {
		hi = math.Max(hi, math.Max(p.m[ours], p.m[perop]))
	}
	top := math.Ceil(math.Log10(hi))
	bottom := -1.0
	scale := func(v float64) float64 {
		v = math.Max(v, math.Pow(10, bottom))
		return height * (math.Log10(v) - bottom) / (top - bottom)
	}
	for e := bottom; e <= top; e++ {
		yy := height - scale(math.Pow(10, e))
		fmt.Fprintf(w, `<line x1="0" x2="%g" y1="%g" y2="%g" stroke="#eee"/><text x="-4" y="%g" text-anchor="end" font-size="10">%g</text>`+"\n", width, yy, yy, yy+3, math.Pow(10, e))
	}
	group := width / float64(max(len(pts), 1))
	for i, p := range pts {
		gx := float64(i) * group
		for j, k := range []string{ours, perop} {
			h := scale(p.m[k])
			color := []string{"#2a7ab0", "#d9822b"}[j]
			bx := gx + group*0.15 + float64(j)*group*0.35
			fmt.Fprintf(w, `<rect x="%g" y="%g" width="%g" height="%g" fill="%s"><title>%s %d %s: %g</title></rect>`+"\n", bx, height-h, group*0.3, h, color, p.cloud, p.n, k, p.m[k])
		}
		fmt.Fprintf(w, `<text x="%g" y="%g" text-anchor="middle" font-size="10">%s %d</text>`+"\n", gx+group/2, height+12, p.cloud, p.n)
	}
	fmt.Fprintln(w, `</g>`)
}

func main() {
	pts := parse(os.Stdin)
	if len(pts) == 0 {
		fmt.Fprintln(os.Stderr, "benchchart: no BenchmarkWaitFleet lines on standard input")
		os.Exit(1)
	}
	sort.SliceStable(pts, func(i, j int) bool {
		if pts[i].cloud != pts[j].cloud {
			return pts[i].cloud < pts[j].cloud
		}
		return pts[i].n < pts[j].n
	})
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintln(w, `<svg xmlns="http://www.w3.org/2000/svg" width="1040" height="620" font-family="sans-serif" font-size="12">`)
	fmt.Fprintln(w, `<text x="20" y="20" font-size="14" font-weight="bold">Waiting on many copies per client: shared polls (blue) vs per-operation polling (orange)</text>`)
	panel(w, 60, 60, "Poll requests per second, sustained", "req/s", pts, "req/s", "perop-req/s")
	panel(w, 580, 60, "Poll requests in the worst second", "req", pts, "req/s-worst", "perop-req/s-worst")
	panel(w, 60, 360, "Detection delay p50", "s", pts, "delay-p50-s", "perop-delay-p50-s")
	panel(w, 580, 360, "Detection delay p99", "s", pts, "delay-p99-s", "perop-delay-p99-s")
	fmt.Fprintln(w, `</svg>`)
}
