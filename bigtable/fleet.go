package bigtable

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/lro"
)

// FleetCopyLimit is the default number of copies in progress at once into
// one destination cluster in a fleet run. Bigtable documents no number for
// concurrent backup copies (its documented quotas are request rates per
// project), so the default is small: a copy streams a whole backup into the
// destination, and a RESOURCE_EXHAUSTED answer lowers the limit anyway.
// Raise it with fleet.Options.Limits["bigtable/" + parent].
const FleetCopyLimit = 4

// FleetCopy is one Bigtable backup copy as an item of a fleet plan (a
// fleet.Adapter). The backup id in Request makes the copy recognisable: a
// resumed run that finds the backup with this request's source and expire
// time follows it instead of copying again.
type FleetCopy struct {
	// Client makes the requests (and preflight reads).
	Client *Client
	// Request is the copy to make. Its ExpireTime may be left zero when
	// ExpireAfter is set.
	Request CopyBackupRequest
	// ExpireAfter, when Request.ExpireTime is zero, sets the expire time
	// this long after the copy was first started (fleet.Attempt.Since): the
	// same on every attempt and after a resume.
	ExpireAfter time.Duration
}

// Cloud returns "bigtable".
func (f *FleetCopy) Cloud() string { return "bigtable" }

// Limit groups copies by destination cluster ("bigtable/" + Parent), with
// FleetCopyLimit.
func (f *FleetCopy) Limit() fleet.Limit {
	return fleet.Limit{Group: "bigtable/" + f.Request.Parent, Max: FleetCopyLimit,
		Source: "no documented number for concurrent copies; a conservative default per destination cluster"}
}

// Route returns the source backup, the destination cluster and the new
// backup's name.
func (f *FleetCopy) Route() fleet.Route {
	return fleet.Route{Source: f.Request.SourceBackup, Destination: f.Request.Parent, Target: f.target()}
}

func (f *FleetCopy) target() string { return f.Request.Parent + "/backups/" + f.Request.BackupID }

// Digest covers the request and ExpireAfter.
func (f *FleetCopy) Digest() string {
	r := &f.Request
	return fleet.Digest("bigtable.copy", r.Parent, r.BackupID, r.SourceBackup, gapi.TimeKey(r.ExpireTime), f.ExpireAfter.String())
}

// request returns the request with its expire time for a copy first
// started at since (now if zero).
func (f *FleetCopy) request(since time.Time) CopyBackupRequest {
	r := f.Request
	r.ExpireTime = gapi.FleetExpire(r.ExpireTime, f.ExpireAfter, since, f.Client.clock.Now)
	return r
}

// Validate checks the request as CopyBackup does, without I/O.
func (f *FleetCopy) Validate() error {
	if err := gapi.FleetCheck("FleetCopy", f.Client != nil, f.Request.ExpireTime, f.ExpireAfter); err != nil {
		return err
	}
	r := f.request(time.Time{})
	return r.validate(f.Client.clock.Now())
}

// Preflight reads the source backup (GetBackup): it must be READY and not
// itself a copy; and the new backup's name must be free.
func (f *FleetCopy) Preflight(ctx context.Context) error {
	src, err := f.Client.GetBackup(ctx, f.Request.SourceBackup)
	if err != nil {
		return err
	}
	var problems []error
	if src.State != BackupReady {
		problems = append(problems, fleet.Errorf(backupcopy.Conflict, "bigtable: source backup %s is %s, not READY", src.Name, src.State))
	}
	if src.SourceBackup != "" {
		problems = append(problems, fleet.Errorf(backupcopy.InvalidInput, "bigtable: source backup %s is itself a copy (of %s), and copying a copied backup is not allowed", src.Name, src.SourceBackup))
	}
	_, err = f.Client.GetBackup(ctx, f.target())
	if err := gapi.TargetFree(service, f.target(), err); err != nil {
		problems = append(problems, err)
	}
	return errors.Join(problems...)
}

// Start calls CopyBackup. An ALREADY_EXISTS answer is checked with Find:
// the backup an earlier attempt made is followed, any other is a conflict.
func (f *FleetCopy) Start(ctx context.Context, a fleet.Attempt) (string, error) {
	return gapi.FleetStart(func() (string, error) {
		req := f.request(a.Since)
		op, err := f.Client.CopyBackup(ctx, &req)
		if err != nil {
			return "", err
		}
		return op.Name(), nil
	}, func() (string, error) { return f.Find(ctx, a) })
}

// Find reads the new backup's name (GetBackup): if it exists with this
// request's source and expire time it returns its copy operation (found
// through the operations list) or, if that is gone, the backup's own name;
// if it does not exist it returns "". A backup of that name that is not
// this copy is a backupcopy.Conflict.
func (f *FleetCopy) Find(ctx context.Context, a fleet.Attempt) (string, error) {
	req := f.request(a.Since)
	if _, err := f.Client.GetBackup(ctx, f.target()); gapi.Code(err) == codes.NotFound {
		return "", nil
	} else if err != nil {
		return "", err
	}
	notThisCopy := fleet.Errorf(backupcopy.Conflict, "bigtable: backup %s exists but is not this copy (its source or expire time differ)", f.target())
	h, err := f.Client.recoverCopy(ctx, &req, micro(req.ExpireTime), notThisCopy)
	if err != nil {
		return "", err
	}
	return h.Name(), nil
}

// Wait follows the operation (or backup) called name until the copy is
// READY and returns the new backup's name. If the operation is no longer
// known (Bigtable forgets finished operations after a while, and a run may
// resume late), it follows the backup the request names instead.
func (f *FleetCopy) Wait(ctx context.Context, name string, opts ...lro.WaitOption) (string, error) {
	return gapi.FleetWait(ctx, name, f.target(), func(name string) (string, error) {
		b, err := f.Client.CopyBackupOperation(name).Wait(ctx, opts...)
		if err != nil {
			return "", err
		}
		return b.Name, nil
	})
}

var _ fleet.Adapter = (*FleetCopy)(nil)
