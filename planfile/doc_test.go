package planfile

import (
	"go/parser"
	"go/token"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The package doc's list of each cloud's fields is the fields Parse knows.
func TestDocListsEveryField(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "planfile.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	require.NoError(t, err)
	doc := f.Doc.Text()
	for cloud, typ := range map[string]any{Bigtable: bigtableYAML{}, Spanner: spannerYAML{}, CBR: cbrYAML{}, FSx: fsxYAML{}} {
		m := regexp.MustCompile(`(?m)^\t` + cloud + `: +(.+)$`).FindStringSubmatch(doc)
		require.NotNil(t, m, "no line for %s in the package doc", cloud)
		listed := strings.Split(strings.ReplaceAll(m[1], " or ", ", "), ", ")
		var known []string
		rt := reflect.TypeOf(typ)
		for i := range rt.NumField() {
			known = append(known, rt.Field(i).Tag.Get("yaml"))
		}
		assert.ElementsMatch(t, known, listed, cloud)
	}
}
