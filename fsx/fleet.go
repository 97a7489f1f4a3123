package fsx

import (
	"context"
	"fmt"
	"strconv"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// FleetCopyLimit is the number of copies in progress at once into one
// destination region in a fleet run: FSx allows at most 5 copy requests in
// progress to a single destination Region per account (the FSx quotas
// table; the 6th gets ServiceLimitExceeded, Limit
// TOTAL_IN_PROGRESS_COPY_BACKUPS). Copies made outside the run count too:
// the runner learns that from ServiceLimitExceeded answers.
const FleetCopyLimit = 5

// FleetCopy is one FSx backup copy as an item of a fleet plan (a
// fleet.Adapter). Its ClientRequestToken is the run's token for the copy
// (fleet.Attempt.Token) unless Request sets one, so a resumed run that sends
// the request again gets the same copy from FSx, not a second one.
type FleetCopy struct {
	// Client is the destination region's client: it makes the copy.
	Client *Client
	// SourceClient reads the source backup for the preflight check when the
	// source is in another region (Request.SourceRegion). Nil: Client, which
	// serves only in-region copies.
	SourceClient *Client
	// Request is the copy to make.
	Request CopyBackupRequest
}

// Cloud returns "fsx".
func (f *FleetCopy) Cloud() string { return "fsx" }

// Limit groups copies by destination region ("fsx/" + region), with
// FleetCopyLimit (5, documented per account). Copies into one region by
// clients of two accounts share the group: raise its limit with
// fleet.Options.Limits if the plan spans accounts.
func (f *FleetCopy) Limit() fleet.Limit {
	return fleet.Limit{Group: "fsx/" + f.region(), Max: FleetCopyLimit,
		Source: "documented: at most 5 copies in progress per destination region per account"}
}

func (f *FleetCopy) region() string {
	if f.Client == nil {
		return ""
	}
	return f.Client.Region()
}

func (f *FleetCopy) sourceRegion() string {
	if f.Request.SourceRegion != "" {
		return f.Request.SourceRegion
	}
	return f.region()
}

// Route returns the source backup (region/id) and the destination region.
func (f *FleetCopy) Route() fleet.Route {
	return fleet.Route{Source: f.sourceRegion() + "/" + f.Request.SourceBackupID, Destination: "fsx/" + f.region()}
}

// Digest covers the request and the destination region.
func (f *FleetCopy) Digest() string {
	r := &f.Request
	parts := []string{"fsx.copy", f.region(), r.SourceBackupID, r.SourceRegion, r.KMSKeyID, r.ClientRequestToken, strconv.FormatBool(r.CopyTags)}
	for _, t := range r.Tags {
		parts = append(parts, t.Key, t.Value)
	}
	return fleet.Digest(parts...)
}

// Validate checks the request as CopyBackup does, without I/O, and that a
// cross-region copy has a SourceClient in its source region.
func (f *FleetCopy) Validate() error {
	if f.Client == nil {
		return rest.Invalid("FleetCopy.Client", "is required", "")
	}
	if err := f.Request.validate(); err != nil {
		return err
	}
	src := f.source()
	if src == nil {
		return rest.Invalid("FleetCopy.SourceClient", "is required to check the source in region "+f.sourceRegion()+" (a client of that region)", "")
	}
	if src.Region() != f.sourceRegion() {
		return rest.Invalid("FleetCopy.SourceClient", "must be a client of the source region "+f.sourceRegion(), src.Region())
	}
	return nil
}

func (f *FleetCopy) source() *Client {
	if f.SourceClient != nil {
		return f.SourceClient
	}
	if f.sourceRegion() == f.region() {
		return f.Client
	}
	return nil
}

// Preflight reads the source backup (DescribeBackups in the source region):
// it must be AVAILABLE.
func (f *FleetCopy) Preflight(ctx context.Context) error {
	for b, err := range f.source().DescribeBackups(ctx, &DescribeBackupsRequest{BackupIDs: []string{f.Request.SourceBackupID}}) {
		if err != nil {
			return err
		}
		if b.BackupID != f.Request.SourceBackupID {
			continue
		}
		if b.Lifecycle != LifecycleAvailable {
			return fleet.Errorf(backupcopy.Conflict, "fsx: source backup %s in %s is %s, not AVAILABLE", b.BackupID, f.sourceRegion(), b.Lifecycle)
		}
		return nil
	}
	return fleet.Errorf(backupcopy.NotFound, "fsx: source backup %s not found in %s", f.Request.SourceBackupID, f.sourceRegion())
}

// Start calls CopyBackup with the run's token as ClientRequestToken (unless
// Request has one).
func (f *FleetCopy) Start(ctx context.Context, a fleet.Attempt) (string, error) {
	req := f.Request
	if req.ClientRequestToken == "" {
		req.ClientRequestToken = a.Token
	}
	if req.ClientRequestToken == "" {
		return "", fmt.Errorf("fsx: fleet copy %q has no token", a.Key)
	}
	op, err := f.Client.CopyBackup(ctx, &req)
	if err != nil {
		return "", err
	}
	return op.Name(), nil
}

// Find returns "": FSx offers no look-up of a copy by token, and needs
// none, since CopyBackup is idempotent by ClientRequestToken: the request an
// earlier attempt may have sent, sent again with the same token and
// parameters, returns that attempt's copy rather than making a second one.
// FSx documents no period for which it remembers a token, so a run
// interrupted between sending a copy and recording it is best resumed soon.
func (f *FleetCopy) Find(context.Context, fleet.Attempt) (string, error) { return "", nil }

// Wait follows the copy whose BackupId is name until it is AVAILABLE and
// returns name.
func (f *FleetCopy) Wait(ctx context.Context, name string, opts ...lro.WaitOption) (string, error) {
	b, err := f.Client.CopyBackupOperation(name).Wait(ctx, opts...)
	if err != nil {
		return "", err
	}
	return b.BackupID, nil
}

var _ fleet.Adapter = (*FleetCopy)(nil)
