// Package doctest checks that the complete programs (and, for the fakes, the
// complete test files) in the package documentation compile as they stand,
// so the package docs cannot drift from the API.
package doctest

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// documented lists the packages (relative to the module root) whose package
// doc must hold a complete program or test file.
var documented = []string{
	"bigtable",
	"bigtable/bigtabletest",
	"spanner",
	"spanner/spannertest",
	"cbr",
	"cbr/cbrtest",
	"lro",
	"fleet",
	"auth",
	"auth/google",
	"auth/sigv4",
}

// packageDoc returns the package comment of the Go package in dir.
func packageDoc(t *testing.T, dir string) string {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var doc string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments|parser.PackageClauseOnly)
		require.NoError(t, err)
		if f.Doc != nil {
			require.Empty(t, doc, "%s has more than one package comment", dir)
			doc = f.Doc.Text()
		}
	}
	require.NotEmpty(t, doc, "%s has no package comment", dir)
	return doc
}

// programs returns the indented code blocks of doc that start with a
// package clause, unindented.
func programs(doc string) []string {
	var out []string
	lines := strings.Split(doc, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "\tpackage ") {
			continue
		}
		var b strings.Builder
		for ; i < len(lines) && (lines[i] == "" || strings.HasPrefix(lines[i], "\t")); i++ {
			b.WriteString(strings.TrimPrefix(lines[i], "\t") + "\n")
		}
		out = append(out, strings.TrimRight(b.String(), "\n")+"\n")
	}
	return out
}

// TestPackageDocProgramsBuild compiles every package doc's program inside
// this module, through a build overlay, so nothing is written to the tree:
// programs (package main) are built, test files are compiled as tests.
func TestPackageDocProgramsBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	wd, err := os.Getwd()
	require.NoError(t, err)
	root := filepath.Join(wd, "..", "..")
	tmp := t.TempDir()
	replace := map[string]string{}
	var mains, tests []string
	for _, rel := range documented {
		progs := programs(packageDoc(t, filepath.Join(root, filepath.FromSlash(rel))))
		require.NotEmpty(t, progs, "the package doc of %s holds no complete program", rel)
		for i, src := range progs {
			f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.PackageClauseOnly)
			require.NoError(t, err, "%s: program %d:\n%s", rel, i, src)
			id := strings.ReplaceAll(rel, "/", "_") + "_" + string(rune('a'+i))
			virtualDir := filepath.Join(wd, "progs", id) // does not exist on disk
			file := filepath.Join(tmp, id+".go")
			require.NoError(t, os.WriteFile(file, []byte(src), 0o600))
			pkg := "./" + filepath.ToSlash(mustRel(t, wd, virtualDir))
			if f.Name.Name == "main" {
				replace[filepath.Join(virtualDir, "main.go")] = file
				mains = append(mains, pkg)
			} else {
				require.True(t, strings.HasSuffix(f.Name.Name, "_test"), "%s: program %d is package %s, neither main nor an external test package", rel, i, f.Name.Name)
				replace[filepath.Join(virtualDir, "doc_test.go")] = file
				tests = append(tests, pkg)
			}
		}
	}
	overlay, err := json.Marshal(map[string]any{"Replace": replace})
	require.NoError(t, err)
	ov := filepath.Join(tmp, "overlay.json")
	require.NoError(t, os.WriteFile(ov, overlay, 0o600))

	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	var runs [][]string
	if len(mains) > 0 {
		runs = append(runs, append([]string{"build", "-overlay", ov, "-o", filepath.Join(tmp, "bin") + string(filepath.Separator)}, mains...))
	}
	if len(tests) > 0 {
		// Compile the test binaries without running them: go vet and a test
		// run change into the package directory, which is only virtual here.
		runs = append(runs, append([]string{"test", "-c", "-vet=off", "-overlay", ov, "-o", filepath.Join(tmp, "testbin") + string(filepath.Separator)}, tests...))
	}
	for _, args := range runs {
		out, err := exec.Command(gobin, args...).CombinedOutput()
		require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
	}
}

func mustRel(t *testing.T, base, path string) string {
	t.Helper()
	r, err := filepath.Rel(base, path)
	require.NoError(t, err)
	return r
}

// TestProgramsExtraction checks the extractor itself on a doc with one
// program between prose.
func TestProgramsExtraction(t *testing.T) {
	doc := "Intro.\n\n\tpackage main\n\n\tfunc main() {\n\t\tprintln()\n\t}\n\nMore prose.\n\n\tnot a program\n"
	got := programs(doc)
	require.Equal(t, []string{"package main\n\nfunc main() {\n\tprintln()\n}\n"}, got)
	require.Empty(t, programs("no code here\n"))
}
