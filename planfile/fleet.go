package planfile

import (
	"fmt"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/spanner"
)

// Clients are the clients a plan's copies run through: one per cloud the
// plan uses (the others may be nil).
type Clients struct {
	// Bigtable runs the plan's Bigtable copies.
	Bigtable *bigtable.Client
	// Spanner runs the plan's Spanner copies.
	Spanner *spanner.Client
	// CBR runs the plan's CBR copies (its region is the sources' region).
	CBR *cbr.Client
	// FSx is the destination region's client.
	FSx *fsx.Client
	// FSxSource returns a client of region, to read the source backup of a
	// cross-region FSx copy before it starts; it must be safe for
	// concurrent use. Nil: cross-region sources are read through FSx,
	// which sees only its own region's backups.
	FSxSource func(region string) (*fsx.Client, error)

	// sources are the clients FSxSource made, when Settings.Clients made it.
	sources *fsxSources
}

// Fleet returns the plan as a fleet plan called name: each copy through its
// service package's adapter (bigtable.FleetCopy, spanner.FleetCopy,
// cbr.FleetCopy, fsx.FleetCopy), with expire_after kept relative to when the
// copy first starts. It fails when a copy's cloud has no client.
func (p *Plan) Fleet(name string, c Clients) (fleet.Plan, error) {
	fp := fleet.Plan{Name: name}
	for i, cp := range p.Copies {
		var a fleet.Adapter
		missing := false
		switch {
		case cp.Bigtable != nil:
			missing = c.Bigtable == nil
			a = &bigtable.FleetCopy{Client: c.Bigtable, Request: *cp.Bigtable, ExpireAfter: cp.ExpireAfter}
		case cp.Spanner != nil:
			missing = c.Spanner == nil
			a = &spanner.FleetCopy{Client: c.Spanner, Request: *cp.Spanner, ExpireAfter: cp.ExpireAfter}
		case cp.CBR != nil:
			missing = c.CBR == nil
			a = &cbr.FleetCopy{Client: c.CBR, Request: *cp.CBR}
		case cp.FSx != nil:
			missing = c.FSx == nil
			f := &fsx.FleetCopy{Client: c.FSx, Request: *cp.FSx}
			if r := cp.FSx.SourceRegion; r != "" && c.FSxSource != nil {
				src, err := c.FSxSource(r)
				if err != nil {
					return fleet.Plan{}, fmt.Errorf("planfile: copies[%d] (%s): %w", i, cp.Key, err)
				}
				f.SourceClient = src
			}
			a = f
		}
		if missing || a == nil {
			return fleet.Plan{}, fmt.Errorf("planfile: copies[%d] (%s): no %s client", i, cp.Key, cp.Cloud)
		}
		fp.Copies = append(fp.Copies, fleet.Copy{Key: cp.Key, Adapter: a})
	}
	return fp, nil
}
