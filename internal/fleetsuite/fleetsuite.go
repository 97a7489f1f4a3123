// Package fleetsuite runs fleet plans across the four fakes, for the fleet's
// crash, limit and bad-plan tests and its benchmarks: it starts and seeds
// the fakes, describes them in an Env that a child process can read, and
// builds the same plan from an Env in any process.
package fleetsuite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

// Counts says how many copies of each kind a plan has.
type Counts struct {
	Bigtable, SpannerCopy, SpannerCreate, CBR, FSx int
}

// All returns the number of copies.
func (c Counts) All() int { return c.Bigtable + c.SpannerCopy + c.SpannerCreate + c.CBR + c.FSx }

// Forty is the demo plan: 40 copies on four clouds, 12 of them FSx copies
// into one region (more than its limit of 5), and 4 Spanner backups of two
// databases (one creation per database at a time).
var Forty = Counts{Bigtable: 10, SpannerCopy: 6, SpannerCreate: 4, CBR: 8, FSx: 12}

// Env is where the fakes listen and what they hold: enough for any process
// to build the plan (see Plan).
type Env struct {
	Counts                            Counts
	Bigtable, Spanner, CBR, FSx       string // the fakes' URLs
	BigtableSources, BigtableClusters []string
	SpannerSources, SpannerInstances  []string
	SpannerDatabases                  []string
	CBRSources                        []string
	CBRVault                          string
	FSxSources                        []string
}

// Encode returns e as one line of JSON (for an environment variable).
func (e *Env) Encode() string {
	b, _ := json.Marshal(e) // only strings, ints and slices of strings
	return string(b)
}

// DecodeEnv is the inverse of Encode.
func DecodeEnv(s string) (*Env, error) {
	var e Env
	if err := json.Unmarshal([]byte(s), &e); err != nil {
		return nil, fmt.Errorf("fleetsuite: bad Env: %w", err)
	}
	return &e, nil
}

// Fakes are the four fakes.
type Fakes struct {
	Bigtable *bigtabletest.Server
	Spanner  *spannertest.Server
	CBR      *cbrtest.Server
	FSx      *fsxtest.Server
	Env      Env
}

// Start starts the four fakes with operations lasting d and seeds them for
// a plan of n copies.
func Start(n Counts, d time.Duration) *Fakes {
	f := &Fakes{
		Bigtable: bigtabletest.NewServer(),
		Spanner:  spannertest.NewServer(spannertest.WithOperationDuration(d)),
		CBR:      cbrtest.NewServer(),
		FSx:      fsxtest.NewServer(),
	}
	f.Bigtable.SetOperationDuration(d)
	f.CBR.SetOperationDuration(d)
	f.FSx.SetOperationDuration(d)
	e := &f.Env
	e.Counts = n
	e.Bigtable, e.Spanner, e.CBR, e.FSx = f.Bigtable.URL(), f.Spanner.URL(), f.CBR.URL(), f.FSx.URL()

	e.BigtableClusters = []string{"projects/demo/instances/dr/clusters/dr-c1", "projects/demo/instances/dr/clusters/dr-c2"}
	for _, c := range e.BigtableClusters {
		f.Bigtable.AddCluster(c)
	}
	for i := range n.Bigtable {
		name := fmt.Sprintf("projects/demo/instances/prod/clusters/prod-c1/backups/nightly-%02d", i)
		f.Bigtable.AddBackup(bigtable.Backup{Name: name, SourceTable: fmt.Sprintf("projects/demo/instances/prod/tables/t%02d", i), SizeBytes: int64(i+1) << 30})
		e.BigtableSources = append(e.BigtableSources, name)
	}

	e.SpannerInstances = []string{"projects/demo/instances/dr-a", "projects/demo/instances/dr-b"}
	for _, in := range e.SpannerInstances {
		f.Spanner.AddInstance(in)
	}
	for i := range n.SpannerCopy {
		name := fmt.Sprintf("projects/demo/instances/orders/backups/nightly-%02d", i)
		f.Spanner.AddBackup(spanner.Backup{Name: name, Database: "projects/demo/instances/orders/databases/orders"})
		e.SpannerSources = append(e.SpannerSources, name)
	}
	if n.SpannerCreate > 0 {
		f.Spanner.AddInstance("projects/demo/instances/orders")
		e.SpannerDatabases = []string{"projects/demo/instances/orders/databases/orders", "projects/demo/instances/orders/databases/ledger"}
		for _, db := range e.SpannerDatabases {
			f.Spanner.AddDatabase(db)
		}
	}

	e.CBRVault = f.CBR.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion}).ID
	for i := range n.CBR {
		b := f.CBR.AddBackup(cbr.Backup{Name: fmt.Sprintf("ecs-web-%02d-daily", i), ResourceName: fmt.Sprintf("ecs-web-%02d", i), ResourceSize: 40})
		e.CBRSources = append(e.CBRSources, b.ID)
	}

	for i := range n.FSx {
		b := f.FSx.AddBackup(fsx.Backup{BackupID: fmt.Sprintf("backup-%017x", 0xf5000+i), SizeInBytes: 64 << 30})
		e.FSxSources = append(e.FSxSources, b.BackupID)
	}
	return f
}

// Close stops the fakes.
func (f *Fakes) Close() {
	f.Bigtable.Close()
	f.Spanner.Close()
	f.CBR.Close()
	f.FSx.Close()
}

// Clients are one client per cloud, pointed at the fakes.
type Clients struct {
	Bigtable *bigtable.Client
	Spanner  *spanner.Client
	CBR      *cbr.Client
	FSx      *fsx.Client
}

// NewClients returns clients of the fakes e describes.
func NewClients(ctx context.Context, e *Env) (*Clients, error) {
	token := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "fleet-test"})
	var c Clients
	var err error
	var errs []error
	c.Bigtable, err = bigtable.NewClient(ctx, bigtable.WithEndpoint(e.Bigtable), bigtable.WithTokenSource(token))
	errs = append(errs, err)
	c.Spanner, err = spanner.NewClient(ctx, spanner.WithEndpoint(e.Spanner), spanner.WithTokenSource(token))
	errs = append(errs, err)
	c.CBR, err = cbr.NewClient(ctx, cbr.WithEndpoint(e.CBR), cbr.WithRegion(cbrtest.Region), cbr.WithProjectID(cbrtest.ProjectID), cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey))
	errs = append(errs, err)
	c.FSx, err = fsx.NewClient(ctx, fsx.WithEndpoint(e.FSx), fsx.WithRegion(fsxtest.Region), fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		c.Close()
		return nil, err
	}
	return &c, nil
}

// Close closes the clients.
func (c *Clients) Close() {
	for _, cl := range []interface{ Close() error }{c.Bigtable, c.Spanner, c.CBR, c.FSx} {
		if cl != nil {
			cl.Close()
		}
	}
}

// ExpireAfter is the expire time of the plan's Google backups.
const ExpireAfter = 7 * 24 * time.Hour

// Plan returns the plan of e's counts: the same keys and requests in every
// process.
func Plan(e *Env, c *Clients) fleet.Plan {
	p := fleet.Plan{Name: "fleetsuite"}
	add := func(key string, a fleet.Adapter) { p.Copies = append(p.Copies, fleet.Copy{Key: key, Adapter: a}) }
	for i, src := range e.BigtableSources {
		add(fmt.Sprintf("bigtable-%02d", i), &bigtable.FleetCopy{Client: c.Bigtable, ExpireAfter: ExpireAfter, Request: bigtable.CopyBackupRequest{
			Parent: e.BigtableClusters[i%len(e.BigtableClusters)], BackupID: fmt.Sprintf("nightly-%02d-dr", i), SourceBackup: src}})
	}
	for i, src := range e.SpannerSources {
		add(fmt.Sprintf("spanner-copy-%02d", i), &spanner.FleetCopy{Client: c.Spanner, ExpireAfter: ExpireAfter, Request: spanner.CopyBackupRequest{
			Parent: e.SpannerInstances[i%len(e.SpannerInstances)], BackupID: fmt.Sprintf("nightly-%02d-dr", i), SourceBackup: src}})
	}
	for i := range e.Counts.SpannerCreate {
		db := e.SpannerDatabases[i%len(e.SpannerDatabases)]
		add(fmt.Sprintf("spanner-create-%02d", i), &spanner.FleetCreate{Client: c.Spanner, ExpireAfter: ExpireAfter, Request: spanner.CreateBackupRequest{
			Parent: "projects/demo/instances/orders", BackupID: fmt.Sprintf("hourly-%02d", i), Database: db}})
	}
	for i, src := range e.CBRSources {
		add(fmt.Sprintf("cbr-%02d", i), &cbr.FleetCopy{Client: c.CBR, Request: cbr.CopyBackupRequest{
			BackupID: src, DestinationProjectID: cbrtest.ProjectID, DestinationRegion: cbrtest.DestinationRegion, DestinationVaultID: e.CBRVault}})
	}
	for i, src := range e.FSxSources {
		add(fmt.Sprintf("fsx-%02d", i), &fsx.FleetCopy{Client: c.FSx, Request: fsx.CopyBackupRequest{SourceBackupID: src, CopyTags: true}})
	}
	return p
}

// DefaultLimit returns the default limit of a group of the plan.
func DefaultLimit(group string) int {
	switch {
	case strings.HasPrefix(group, "bigtable/"):
		return bigtable.FleetCopyLimit
	case strings.HasPrefix(group, "spanner-copy/"):
		return spanner.FleetCopyLimit
	case strings.HasPrefix(group, "spanner-create/"):
		return spanner.FleetCreateLimit
	case strings.HasPrefix(group, "cbr/"):
		return cbr.FleetCopyLimit
	case strings.HasPrefix(group, "fsx/"):
		return fsx.FleetCopyLimit
	}
	return 0
}

// Made counts, per plan key of e's plan, the copies the fakes hold (they
// must be exactly one each once the plan is done).
func (f *Fakes) Made() map[string]int {
	e := &f.Env
	made := map[string]int{}
	for i, src := range e.BigtableSources {
		key := fmt.Sprintf("bigtable-%02d", i)
		made[key] = 0
		for _, cl := range e.BigtableClusters {
			if b, ok := f.Bigtable.Backup(fmt.Sprintf("%s/backups/nightly-%02d-dr", cl, i)); ok && b.SourceBackup == src {
				made[key]++
			}
		}
	}
	for i := range e.SpannerSources {
		key := fmt.Sprintf("spanner-copy-%02d", i)
		made[key] = 0
		for _, in := range e.SpannerInstances {
			if _, ok := f.Spanner.Backup(fmt.Sprintf("%s/backups/nightly-%02d-dr", in, i)); ok {
				made[key]++
			}
		}
	}
	for i := range e.Counts.SpannerCreate {
		key := fmt.Sprintf("spanner-create-%02d", i)
		made[key] = 0
		if _, ok := f.Spanner.Backup(fmt.Sprintf("projects/demo/instances/orders/backups/hourly-%02d", i)); ok {
			made[key]++
		}
	}
	reps := f.CBR.Replications()
	for i, src := range e.CBRSources {
		key := fmt.Sprintf("cbr-%02d", i)
		made[key] = 0
		for _, r := range reps {
			if r.SourceBackupID == src && r.Status != cbr.ReplicationFail {
				made[key]++
			}
		}
	}
	for i, src := range e.FSxSources {
		made[fmt.Sprintf("fsx-%02d", i)] = len(f.FSx.Copies(src))
	}
	return made
}

// CopyRequests counts the copy (and create) requests the fakes received.
func (f *Fakes) CopyRequests() int {
	return f.Bigtable.CountRequests("CopyBackup") +
		f.Spanner.CountRequests("CopyBackup") + f.Spanner.CountRequests("CreateBackup") +
		f.CBR.CountRequests("CopyBackup") + f.FSx.CountRequests("CopyBackup")
}
