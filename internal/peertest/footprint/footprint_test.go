package footprint

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The README's footprint rows hold for programs built the way a user builds
// them: ../bench.sh footprint builds each program in a module of its own
// that requires only what the program imports (backupcopy through a replace
// directive to this checkout), and the bytes each adds above the floor must
// be within 5% of the README's figures. When this fails after a change, run
// `internal/peertest/bench.sh footprint` and update README.md and
// BENCHMARKS.md §3 with its figures.
func TestFootprintMatchesREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nine programs")
	}
	out := t.TempDir()
	cmd := exec.Command("bash", filepath.Join("..", "bench.sh"), "footprint")
	cmd.Env = append(os.Environ(), "OUT="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bench.sh footprint: %v\n%s", err, b)
	}
	added := readTSV(t, filepath.Join(out, "footprint.tsv"))

	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	claims := readmeClaims(t, string(readme))
	for program, claimMB := range claims {
		got, ok := added[program]
		if !ok {
			t.Errorf("%s: not built (see bench.sh footprint)", program)
			continue
		}
		gotMB := float64(got) / 1e6
		if math.Abs(gotMB-claimMB) > 0.05*claimMB {
			t.Errorf("%s adds %.2f MB above the floor; the README says %.2f MB (more than 5%% off): update README.md and BENCHMARKS.md §3",
				program, gotMB, claimMB)
		}
	}
}

// readTSV reads bench.sh's footprint.tsv: program, bytes, bytes above floor.
func readTSV(t *testing.T, path string) map[string]int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	added := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 3 {
			t.Fatalf("footprint.tsv line %q", sc.Text())
		}
		n, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		added[fields[0]] = n
	}
	return added
}

// The README rows, for example
//
//	| Binary size a program gains to copy on all four clouds (stripped) | 3.4 MB | 14.0 MB | ... |
//	| ... on FSx only / CBR only | 0.43 MB / 0.34 MB | 1.80 MB / 2.71 MB | same |
var (
	allRow     = regexp.MustCompile(`(?m)^\| Binary size a program gains to copy on all four clouds[^|]*\| ([0-9.]+) MB \| ([0-9.]+) MB \|`)
	fsxCBRRow  = regexp.MustCompile(`(?m)^\| \.\.\. on FSx only / CBR only \| ([0-9.]+) MB / ([0-9.]+) MB \| ([0-9.]+) MB / ([0-9.]+) MB \|`)
	claimNames = [][]string{{"ours-all", "official-all"}, {"ours-fsx", "ours-cbr", "official-fsx", "official-cbr"}}
)

// readmeClaims returns the MB each footprint program adds according to the
// README.
func readmeClaims(t *testing.T, readme string) map[string]float64 {
	t.Helper()
	claims := map[string]float64{}
	for i, re := range []*regexp.Regexp{allRow, fsxCBRRow} {
		m := re.FindStringSubmatch(readme)
		if m == nil {
			t.Fatalf("README.md has no footprint row matching %s", re)
		}
		for j, name := range claimNames[i] {
			v, err := strconv.ParseFloat(m[j+1], 64)
			if err != nil {
				t.Fatal(fmt.Errorf("%s: %w", name, err))
			}
			claims[name] = v
		}
	}
	return claims
}
