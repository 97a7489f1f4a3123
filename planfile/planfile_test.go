package planfile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/spanner"
)

const designPlan = `
clouds:
  fsx: {region: eu-west-1}
  cbr: {region: ap-southeast-1, project_id: 0b9a}
copies:
  - bigtable: {source: projects/p/instances/i/clusters/c/backups/b, parent: projects/p/instances/i2/clusters/c2, backup_id: b-copy, expire_after: 168h}
  - spanner:  {source: projects/p/instances/i/backups/b, parent: projects/p/instances/i2, backup_id: b-copy, expire_after: 168h}
  - key: fsx-nightly-1
    fsx:      {source: backup-0123456789abcdef0, source_region: us-east-1}
  - cbr:      {source: 6df2b54c-dd62-4059-a07c-1b8f24f2725d, destination_project_id: "6858", destination_region: ap-southeast-2, destination_vault_id: 0ca3}
`

func TestParseDesignPlan(t *testing.T) {
	p, err := Parse([]byte(designPlan))
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", p.Settings.FSx.Region)
	assert.Equal(t, CBRSettings{Region: "ap-southeast-1", ProjectID: "0b9a"}, p.Settings.CBR)
	require.Len(t, p.Copies, 4)

	bt := p.Copies[0]
	assert.Equal(t, Bigtable, bt.Cloud)
	assert.Equal(t, "projects/p/instances/i2/clusters/c2", bt.Bigtable.Parent)
	assert.Equal(t, "b-copy", bt.Bigtable.BackupID)
	assert.Equal(t, "projects/p/instances/i/clusters/c/backups/b", bt.Source())
	assert.Equal(t, 168*time.Hour, bt.ExpireAfter)
	assert.True(t, bt.Bigtable.ExpireTime.IsZero())
	assert.Regexp(t, `^bigtable-[0-9a-f]{12}$`, bt.Key)

	assert.Equal(t, Spanner, p.Copies[1].Cloud)
	assert.Equal(t, "fsx-nightly-1", p.Copies[2].Key)
	assert.Equal(t, "us-east-1", p.Copies[2].FSx.SourceRegion)
	assert.Equal(t, "eu-west-1", p.Copies[2].Destination(p.Settings.FSx.Region))
	c := p.Copies[3].CBR
	assert.Equal(t, "6df2b54c-dd62-4059-a07c-1b8f24f2725d", c.BackupID)
	assert.Equal(t, "ap-southeast-2", c.DestinationRegion)
	assert.Equal(t, "0ca3", c.DestinationVaultID)
}

func TestParseJSONAndExpireTime(t *testing.T) {
	p, err := Parse([]byte(`{"copies": [{"spanner": {"source": "projects/p/instances/i/backups/b", "parent": "projects/p/instances/j",
		"backup_id": "b2", "expire_time": "2027-01-02T03:04:05.123456789Z", "encryption_type": "GOOGLE_DEFAULT_ENCRYPTION"}},
		{"fsx": {"source": "backup-0123456789abcdef0", "tags": [{"key": "team", "value": "db"}], "copy_tags": true}}]}`))
	require.NoError(t, err)
	s := p.Copies[0].Spanner
	assert.Equal(t, time.Date(2027, 1, 2, 3, 4, 5, 123456789, time.UTC), s.ExpireTime, "every digit kept")
	assert.Equal(t, "GOOGLE_DEFAULT_ENCRYPTION", string(s.Encryption.Type))
	assert.Zero(t, p.Copies[0].ExpireAfter)
	f := p.Copies[1].FSx
	assert.True(t, f.CopyTags)
	require.Len(t, f.Tags, 1)
	assert.Equal(t, "team", f.Tags[0].Key)
}

func TestParseRefuses(t *testing.T) {
	bt := func(extra string) string {
		return `{source: projects/p/instances/i/clusters/c/backups/b, parent: projects/p/instances/i/clusters/d, backup_id: x` + extra + `}`
	}
	for _, tc := range []struct{ name, plan, want string }{
		{"empty", ``, "empty"},
		{"no copies", `clouds: {}`, "no copies"},
		{"not yaml", `copies: [`, "not a valid YAML plan"},
		{"two documents", "copies: [{fsx: {source: backup-0123456789abcdef0}}]\n---\ncopies: []", "more than one YAML document"},
		{"unknown top field", "copys: []", `unknown field "copys" in the plan`},
		{"unknown cloud", `copies: [{gcs: {source: x}}]`, `unknown field "gcs" in a copy`},
		{"misspelt field", `copies: [{bigtable: ` + bt(`, expire_after: 1h, sourse: y`) + `}]`, `line 1: unknown field "sourse" in a bigtable copy`},
		{"unknown settings field", "clouds: {fsx: {regoin: x}}\ncopies: [{fsx: {source: backup-0123456789abcdef0}}]", `unknown field "regoin" in clouds.fsx`},
		{"no cloud", `copies: [{key: k}]`, "copies[0]: names no cloud"},
		{"two clouds", `copies: [{fsx: {source: backup-0123456789abcdef0}, cbr: {source: a}}]`, "names cbr and fsx"},
		{"missing field", `copies: [{cbr: {source: a, destination_region: r, destination_vault_id: v}}]`, "cbr.destination_project_id is required"},
		{"no expiry", `copies: [{bigtable: ` + bt(``) + `}]`, "expire_after or expire_time is required"},
		{"both expiries", `copies: [{bigtable: ` + bt(`, expire_after: 1h, expire_time: "2027-01-01T00:00:00Z"`) + `}]`, "both set"},
		{"bad duration", `copies: [{bigtable: ` + bt(`, expire_after: 7d`) + `}]`, `expire_after "7d" is not a positive Go duration`},
		{"bad time", `copies: [{bigtable: ` + bt(`, expire_time: tomorrow`) + `}]`, "not an RFC 3339 time"},
		{"bad source", `copies: [{spanner: {source: b, parent: projects/p/instances/i, backup_id: x, expire_after: 1h}}]`, `spanner.source "b" is not of the form`},
		{"bad fsx id", `copies: [{fsx: {source: b-1}}]`, `fsx.source "b-1"`},
		{"duplicate key", `copies: [{key: a, fsx: {source: backup-0123456789abcdef0}}, {key: a, fsx: {source: backup-0123456789abcdef1}}]`, `copies[1]: key "a" is also the key of copies[0]`},
		{"same source twice", `copies: [{fsx: {source: backup-0123456789abcdef0}}, {fsx: {source: backup-0123456789abcdef0, kms_key_id: k}}]`, "copies[1]: copies fsx source backup-0123456789abcdef0 to the same destination as copies[0]"},
		{"wrong type", `copies: [{cbr: {source: a, destination_project_id: p, destination_region: r, destination_vault_id: v, enable_acceleration: maybe}}]`, "cannot unmarshal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.plan))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "\n", "one line")
			assert.NotContains(t, err.Error(), "YAML\"", "no Go type names")
		})
	}
}

func TestDefaultKeyStable(t *testing.T) {
	a, err := Parse([]byte(designPlan))
	require.NoError(t, err)
	b, err := Parse([]byte(strings.Replace(designPlan, "copies:\n", "copies:\n  - fsx: {source: backup-00000000000000001}\n", 1)))
	require.NoError(t, err)
	assert.Equal(t, a.Copies[0].Key, b.Copies[1].Key, "a copy keeps its key when others are added")
	assert.NotEqual(t, a.Copies[0].Key, a.Copies[1].Key)
}

func TestResolve(t *testing.T) {
	p, err := Parse([]byte(designPlan))
	require.NoError(t, err)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := p.Copies[0].Resolve(start)
	assert.Equal(t, start.Add(168*time.Hour), r.Bigtable.ExpireTime)
	assert.True(t, p.Copies[0].Bigtable.ExpireTime.IsZero(), "the plan's copy is unchanged")
	assert.Equal(t, p.Copies[2], p.Copies[2].Resolve(start))
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.yaml")
	require.NoError(t, os.WriteFile(path, []byte(designPlan), 0o600))
	p, err := ParseFile(path)
	require.NoError(t, err)
	assert.Len(t, p.Copies, 4)
	_, err = ParseFile(filepath.Join(dir, "missing.yaml"))
	assert.ErrorContains(t, err, "cannot read the plan")
	require.NoError(t, os.WriteFile(path, []byte("copies: [{x: 1}]"), 0o600))
	_, err = ParseFile(path)
	assert.ErrorContains(t, err, path+": planfile:")
}

func TestFleet(t *testing.T) {
	// The design's example, with a Spanner source id the service accepts
	// (ids are 2 to 60 characters).
	p, err := Parse([]byte(strings.Replace(designPlan, "instances/i/backups/b,", "instances/i/backups/b1,", 1)))
	require.NoError(t, err)
	_, err = p.Fleet("nightly", Clients{})
	assert.ErrorContains(t, err, "copies[0]")
	assert.ErrorContains(t, err, "no bigtable client")

	ctx := context.Background()
	bt, err := bigtable.NewClient(ctx, bigtable.WithEndpoint("http://127.0.0.1:1"), bigtable.WithoutAuthentication())
	require.NoError(t, err)
	sp, err := spanner.NewClient(ctx, spanner.WithEndpoint("http://127.0.0.1:1"), spanner.WithoutAuthentication())
	require.NoError(t, err)
	cb, err := cbr.NewClient(ctx, cbr.WithEndpoint("http://127.0.0.1:1"), cbr.WithRegion("cn-north-4"), cbr.WithProjectID("p"), cbr.WithAKSK("ak", "sk"))
	require.NoError(t, err)
	fx, err := fsx.NewClient(ctx, fsx.WithEndpoint("http://127.0.0.1:1"), fsx.WithRegion("eu-west-1"))
	require.NoError(t, err)
	var asked []string
	fp, err := p.Fleet("nightly", Clients{Bigtable: bt, Spanner: sp, CBR: cb, FSx: fx, FSxSource: func(r string) (*fsx.Client, error) {
		asked = append(asked, r)
		return fsx.NewClient(ctx, fsx.WithEndpoint("http://127.0.0.1:1"), fsx.WithRegion(r))
	}})
	require.NoError(t, err)
	assert.Equal(t, "nightly", fp.Name)
	require.Len(t, fp.Copies, 4)
	for i, c := range fp.Copies {
		assert.Equal(t, p.Copies[i].Key, c.Key)
		assert.Equal(t, p.Copies[i].Cloud, c.Adapter.Cloud())
		assert.NoError(t, c.Adapter.Validate(), c.Key)
	}
	b := fp.Copies[0].Adapter.(*bigtable.FleetCopy)
	assert.Equal(t, 168*time.Hour, b.ExpireAfter, "expire_after stays relative to the start")
	assert.True(t, b.Request.ExpireTime.IsZero())
	assert.Equal(t, []string{"us-east-1"}, asked, "a source client for the cross-region FSx copy")
	assert.NotNil(t, fp.Copies[2].Adapter.(*fsx.FleetCopy).SourceClient)
}

// A copy whose cloud has no client, or whose request is not the one its
// cloud names, is bad input that names the copy.
func TestAdapterErrors(t *testing.T) {
	req := &fsx.CopyBackupRequest{SourceBackupID: "backup-0123456789abcdef0"}
	_, err := Clients{}.Adapter(Copy{Key: "nightly", Cloud: FSx, FSx: req})
	assert.EqualError(t, err, `planfile: copy "nightly": no fsx client: set Clients.FSx`)
	assert.Equal(t, backupcopy.InvalidInput, backupcopy.KindOf(err))
	_, err = Clients{}.Adapter(Copy{Key: "nightly", Cloud: CBR, FSx: req})
	assert.ErrorContains(t, err, `cloud "cbr" does not match the request set`)
	assert.Equal(t, backupcopy.InvalidInput, backupcopy.KindOf(err))
}
