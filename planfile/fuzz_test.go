package planfile

import (
	"strings"
	"testing"
)

// FuzzParse: Parse never panics, errors are one line, and an accepted plan
// has unique non-empty keys and exactly one request per copy, the one its
// Cloud names.
func FuzzParse(f *testing.F) {
	f.Add([]byte(designPlan))
	f.Add([]byte(`{"copies": [{"fsx": {"source": "backup-0123456789abcdef0", "tags": [{"key": "a", "value": "b"}]}}]}`))
	f.Add([]byte("copies:\n  - {key: a, cbr: {source: s, destination_project_id: p, destination_region: r, destination_vault_id: v}}\n"))
	f.Add([]byte("copies: [{bigtable: {source: x, expire_after: 1h, sourse: y}}]"))
	f.Add([]byte("copies: &a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of more than one line: %q", err)
			}
			return
		}
		keys := map[string]bool{}
		for _, c := range p.Copies {
			if c.Key == "" || keys[c.Key] {
				t.Fatalf("key %q empty or repeated", c.Key)
			}
			keys[c.Key] = true
			n := 0
			for _, set := range []bool{c.Bigtable != nil, c.Spanner != nil, c.CBR != nil, c.FSx != nil} {
				if set {
					n++
				}
			}
			if n != 1 || c.Source() == "" {
				t.Fatalf("copy %+v: %d requests", c, n)
			}
		}
	})
}
