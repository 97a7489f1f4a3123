package cbr

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// FleetCopyLimit is the default number of replications in progress at once
// into one destination region and project in a fleet run. CBR documents no
// number for concurrent replications (only one replica per destination
// region per backup, a plan rule), so the default is small, and a 429
// answer lowers it anyway. Raise it with
// fleet.Options.Limits["cbr/" + project + "/" + region].
const FleetCopyLimit = 4

// fleetFindSlack is how much earlier than a copy's first start a
// replication record may be dated and still be taken for the copy's own: the
// API gateway accepts requests dated up to 15 minutes off, so clocks may
// differ by that much.
const fleetFindSlack = 15 * time.Minute

// FleetCopy is one CBR replication as an item of a fleet plan (a
// fleet.Adapter). The replicate call has no idempotency token: a resumed run
// looks for the replication in the source backup's replication records
// before it sends anything again, and CBR keeps one replica per destination
// region per backup.
type FleetCopy struct {
	// Client is the source region's client: it makes the request and reads
	// the source backup.
	Client *Client
	// Request is the replication to make.
	Request CopyBackupRequest
}

// Cloud returns "cbr".
func (f *FleetCopy) Cloud() string { return "cbr" }

// Limit groups replications by destination project and region
// ("cbr/" + project + "/" + region), with FleetCopyLimit.
func (f *FleetCopy) Limit() fleet.Limit {
	return fleet.Limit{Group: "cbr/" + f.Request.DestinationProjectID + "/" + f.Request.DestinationRegion, Max: FleetCopyLimit,
		Source: "no documented number for concurrent replications; a conservative default per destination region"}
}

// Route returns the source backup and the destination region: CBR keeps
// one replica per destination region per backup, so two copies of a backup
// to one region (even to two vaults or projects) are refused as a plan
// error.
func (f *FleetCopy) Route() fleet.Route {
	project := ""
	if f.Client != nil {
		project = f.Client.projectID
	}
	return fleet.Route{Source: project + "/" + f.Request.BackupID, Destination: "cbr/" + f.Request.DestinationRegion}
}

// Digest covers the request.
func (f *FleetCopy) Digest() string {
	r := &f.Request
	project := ""
	if f.Client != nil {
		project = f.Client.projectID
	}
	return fleet.Digest("cbr.copy", project, r.BackupID, r.DestinationProjectID, r.DestinationRegion, r.DestinationVaultID, r.Name, r.Description, strconv.FormatBool(r.EnableAcceleration))
}

// Validate checks the request as CopyBackup does, without I/O.
func (f *FleetCopy) Validate() error {
	if f.Client == nil {
		return rest.Invalid("FleetCopy.Client", "is required", "")
	}
	return f.Request.validate(f.Client.region)
}

// Preflight reads the source backup (GetBackup): it must be available, an
// ordinary backup (not a replica), and not already replicated to the
// destination region.
func (f *FleetCopy) Preflight(ctx context.Context) error {
	b, err := f.Client.GetBackup(ctx, f.Request.BackupID)
	if err != nil {
		return err
	}
	var problems []error
	if b.Status != BackupAvailable {
		problems = append(problems, fleet.Errorf(backupcopy.Conflict, "cbr: source backup %s is %s, not available", b.ID, b.Status))
	}
	if b.ImageType != ImageTypeBackup {
		problems = append(problems, fleet.Errorf(backupcopy.InvalidInput, "cbr: source backup %s is a %s, and a replica cannot be replicated", b.ID, b.ImageType))
	}
	for i := range b.ReplicationRecords {
		r := &b.ReplicationRecords[i]
		if r.DestinationRegion == f.Request.DestinationRegion && r.Status != ReplicationFail && r.Status != ReplicationSkip {
			problems = append(problems, fleet.Errorf(backupcopy.Conflict, "cbr: source backup %s already has a replication to %s (record %s, %s), and CBR keeps one replica per region", b.ID, r.DestinationRegion, r.ID, r.Status))
			break
		}
	}
	return errors.Join(problems...)
}

// Start calls CopyBackup. An "already replicated" answer is checked with
// Find: the replication an earlier attempt made is followed.
func (f *FleetCopy) Start(ctx context.Context, a fleet.Attempt) (string, error) {
	op, err := f.Client.CopyBackup(ctx, &f.Request)
	if err == nil {
		return op.Name(), nil
	}
	if errors.Is(err, ErrAlreadyReplicated) {
		if name, ferr := f.Find(ctx, a); ferr == nil && name != "" {
			return name, nil
		}
	}
	return "", err
}

// Find reads the source backup's replication records (GetBackup) and
// returns the newest replication to this request's destination region,
// vault and project dated after the copy was first started (less the
// gateway's clock tolerance) that has not failed, or "".
func (f *FleetCopy) Find(ctx context.Context, a fleet.Attempt) (string, error) {
	b, err := f.Client.GetBackup(ctx, f.Request.BackupID)
	if err != nil {
		return "", err
	}
	since := a.Since.Add(-fleetFindSlack)
	var best *ReplicationRecord
	for i := range b.ReplicationRecords {
		r := &b.ReplicationRecords[i]
		if r.DestinationRegion != f.Request.DestinationRegion || r.DestinationVaultID != f.Request.DestinationVaultID ||
			(r.DestinationProjectID != "" && r.DestinationProjectID != f.Request.DestinationProjectID) ||
			r.Status == ReplicationFail || r.Status == ReplicationSkip || rest.CheckSegment("id", r.ID) != nil {
			continue
		}
		if !a.Since.IsZero() && !r.CreatedAt.IsZero() && r.CreatedAt.Before(since) {
			continue
		}
		if best == nil || r.CreatedAt.After(best.CreatedAt) {
			best = r
		}
	}
	if best == nil {
		return "", nil
	}
	return f.Client.newOperation(replicationFromRecord(f.Client.projectID, f.Client.region, b, best), best).Name(), nil
}

// Wait follows the replication called name to its end and returns the
// replica's backup id.
func (f *FleetCopy) Wait(ctx context.Context, name string, opts ...lro.WaitOption) (string, error) {
	rec, err := f.Client.CopyBackupOperation(name).Wait(ctx, opts...)
	if err != nil {
		return "", err
	}
	return rec.DestinationBackupID, nil
}

var _ fleet.Adapter = (*FleetCopy)(nil)
