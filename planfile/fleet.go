package planfile

import (
	"fmt"

	"github.com/backupcopy/backupcopy"
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
// adapter (see Clients.Adapter). It fails when a copy's cloud has no client.
func (p *Plan) Fleet(name string, c Clients) (fleet.Plan, error) {
	fp := fleet.Plan{Name: name}
	for i, cp := range p.Copies {
		a, err := c.adapter(cp)
		if err != nil {
			return fleet.Plan{}, fmt.Errorf("planfile: copies[%d] (%s): %w", i, cp.Key, err)
		}
		fp.Copies = append(fp.Copies, fleet.Copy{Key: cp.Key, Adapter: a})
	}
	return fp, nil
}

// Adapter returns copy c as an item of a fleet plan: its service package's
// adapter (bigtable.FleetCopy, spanner.FleetCopy, cbr.FleetCopy,
// fsx.FleetCopy) over the clients, with expire_after kept relative to when
// the copy first starts, and for a cross-region FSx copy the source region's
// client from FSxSource. It fails, with a backupcopy.InvalidInput error, when
// c's cloud has no client, when FSxSource fails, or when c does not set the
// request its Cloud names.
func (cl Clients) Adapter(c Copy) (fleet.Adapter, error) {
	a, err := cl.adapter(c)
	if err != nil {
		return nil, fmt.Errorf("planfile: copy %q: %w", c.Key, err)
	}
	return a, nil
}

func (cl Clients) adapter(c Copy) (fleet.Adapter, error) {
	missing := func(field string) error {
		return fleet.Errorf(backupcopy.InvalidInput, "no %s client: set Clients.%s", c.Cloud, field)
	}
	switch {
	case c.Cloud == Bigtable && c.Bigtable != nil:
		if cl.Bigtable == nil {
			return nil, missing("Bigtable")
		}
		return &bigtable.FleetCopy{Client: cl.Bigtable, Request: *c.Bigtable, ExpireAfter: c.ExpireAfter}, nil
	case c.Cloud == Spanner && c.Spanner != nil:
		if cl.Spanner == nil {
			return nil, missing("Spanner")
		}
		return &spanner.FleetCopy{Client: cl.Spanner, Request: *c.Spanner, ExpireAfter: c.ExpireAfter}, nil
	case c.Cloud == CBR && c.CBR != nil:
		if cl.CBR == nil {
			return nil, missing("CBR")
		}
		return &cbr.FleetCopy{Client: cl.CBR, Request: *c.CBR}, nil
	case c.Cloud == FSx && c.FSx != nil:
		if cl.FSx == nil {
			return nil, missing("FSx")
		}
		f := &fsx.FleetCopy{Client: cl.FSx, Request: *c.FSx}
		if r := c.FSx.SourceRegion; r != "" && r != cl.FSx.Region() && cl.FSxSource != nil {
			src, err := cl.FSxSource(r)
			if err != nil {
				return nil, fleet.Errorf(backupcopy.InvalidInput, "no FSx client of the source region: %s", err)
			}
			f.SourceClient = src
		}
		return f, nil
	}
	return nil, fleet.Errorf(backupcopy.InvalidInput, "cloud %q does not match the request set: set the one request the cloud names", c.Cloud)
}
