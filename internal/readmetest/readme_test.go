// Package readmetest checks that the README's code sample compiles as it
// stands, so the README cannot drift from the API.
package readmetest

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sample returns the Go block that follows marker in README.md.
func sample(t *testing.T, readme, marker string) string {
	t.Helper()
	i := strings.Index(readme, marker)
	require.GreaterOrEqual(t, i, 0, "README.md has no %s", marker)
	rest := readme[i+len(marker):]
	start := strings.Index(rest, "```go\n")
	require.GreaterOrEqual(t, start, 0, "no ```go block after %s", marker)
	rest = rest[start+len("```go\n"):]
	end := strings.Index(rest, "```")
	require.GreaterOrEqual(t, end, 0, "unterminated block after %s", marker)
	return rest[:end]
}

// TestREADMESampleBuilds builds the README's whole program inside this
// module, through a build overlay, so nothing is written to the tree. (go vet
// cannot take it: it changes into the package directory, which exists only
// in the overlay.)
func TestREADMESampleBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	raw, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	src := sample(t, string(raw), "<!-- ci:readme-sample -->")
	require.Contains(t, src, "package main")

	dir := t.TempDir()
	file := filepath.Join(dir, "main.go")
	require.NoError(t, os.WriteFile(file, []byte(src), 0o600))
	wd, err := os.Getwd()
	require.NoError(t, err)
	virtual := filepath.Join(wd, "sample", "main.go") // does not exist on disk
	overlay, err := json.Marshal(map[string]any{"Replace": map[string]string{virtual: file}})
	require.NoError(t, err)
	ov := filepath.Join(dir, "overlay.json")
	require.NoError(t, os.WriteFile(ov, overlay, 0o600))

	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	args := []string{"build", "-overlay", ov, "-o", filepath.Join(dir, "sample.bin"), "./sample"}
	out, err := exec.Command(gobin, args...).CombinedOutput()
	require.NoError(t, err, "go %s:\n%s\nsample:\n%s", strings.Join(args, " "), out, src)
}

// TestREADMENamesExist checks that every test, example, benchmark and fuzz
// target the README names exists, and that a name the README says is "in
// each package" is in each of the four client packages.
func TestREADMENamesExist(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	defined := map[string]map[string]bool{} // name -> directories defining it
	funcRE := regexp.MustCompile(`(?m)^func ((?:Test|Example|Benchmark|Fuzz)\w*)\(`)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for _, m := range funcRE.FindAllSubmatch(src, -1) {
			name := string(m[1])
			if defined[name] == nil {
				defined[name] = map[string]bool{}
			}
			defined[name][filepath.ToSlash(rel)] = true
		}
		return nil
	})
	require.NoError(t, err)

	nameRE := regexp.MustCompile("`((?:Test|Example|Benchmark|Fuzz)[A-Za-z0-9_]*)(?:/[^`]*)?`( in each package)?")
	for _, m := range nameRE.FindAllStringSubmatch(string(readme), -1) {
		name, each := m[1], m[2] != ""
		if len(defined[name]) == 0 {
			t.Errorf("README names %s, which no _test.go file defines", name)
			continue
		}
		if each {
			for _, pkg := range []string{"bigtable", "spanner", "cbr", "fsx"} {
				if !defined[name][pkg] {
					t.Errorf("README says %s is in each package; %s has none", name, pkg)
				}
			}
		}
	}
}
