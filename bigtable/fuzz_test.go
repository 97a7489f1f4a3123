package bigtable

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzNamePaths: a backup or operation name that passes validation becomes a
// path that decodes back to exactly /v2/{name}, with no "." or ".." segment
// and nothing that starts a query or fragment.
func FuzzNamePaths(f *testing.F) {
	f.Add("projects/p/instances/i/clusters/c/backups/b")
	f.Add("projects/example.com:p/instances/i/clusters/c/backups/a..b")
	f.Add("operations/projects/p/instances/i/clusters/c/backups/b/operations/1")
	f.Add("projects/p/instances/i/clusters/c/backups/../x")
	f.Add("operations/a/%2e%2e/b")
	f.Fuzz(func(t *testing.T, name string) {
		var p string
		switch {
		case checkBackupName("name", name) == nil:
			p = backupPath("name", name).String()
		case checkOperationName(name) == nil:
			p = operationPath(name).String()
		default:
			return
		}
		if strings.ContainsAny(p, "?#") {
			t.Fatalf("%q -> %q keeps a query or fragment character", name, p)
		}
		for _, seg := range strings.Split(p, "/")[1:] {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("%q -> %q has segment %q", name, p, seg)
			}
		}
		dec, err := url.PathUnescape(p)
		if err != nil || dec != "/v2/"+name {
			t.Fatalf("%q -> %q decodes to %q (%v)", name, p, dec, err)
		}
	})
}
