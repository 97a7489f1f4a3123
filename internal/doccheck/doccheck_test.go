package doccheck

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestPublicPackages: what go doc shows of the module's public packages is
// documented and mentions no internal package.
func TestPublicPackages(t *testing.T) {
	problems, err := Check(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// TestCheckFindsEachProblem: on a module that breaks each rule once (and
// keeps each once), Check reports exactly the broken ones.
func TestCheckFindsEachProblem(t *testing.T) {
	problems, err := Check(filepath.Join("testdata", "mod"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pub/pub.go:7: type Alias is an alias of an internal type",
		"pub/pub.go:10: type Option mentions internal package example.com/mod/internal/secret (secret.Settings)",
		"pub/pub.go:12: type Bare has no doc comment",
		"pub/pub.go:19: field Shown.Bad has no doc comment",
		"pub/pub.go:21: field Shown.Inner mentions internal package example.com/mod/internal/secret (secret.Settings)",
		"pub/pub.go:28: method Shown.Bare has no doc comment",
		"pub/pub.go:31: function Leak mentions internal package example.com/mod/internal/secret (secret.Settings)",
		"pub/pub.go:34: var ErrX mentions internal package example.com/mod/internal/secret (secret.New)",
		"pub/pub.go:42: var Undocumented has no doc comment",
		"pub/pub.go:47: method Iface.Missing has no doc comment",
	}
	sort.Strings(want) // as Check sorts its lines
	if got := strings.Join(problems, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
