package spanner

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

// Default limits of fleet runs.
const (
	// FleetCopyLimit is the default number of copies in progress at once
	// into one destination instance. Spanner documents no number for
	// concurrent backup copies (several copies of one source may run at
	// once; admin requests have a per-project rate quota), so the default
	// is small, and a RESOURCE_EXHAUSTED answer lowers it anyway. Raise it
	// with fleet.Options.Limits["spanner-copy/" + parent].
	FleetCopyLimit = 4
	// FleetCreateLimit is the number of backup creations in progress at
	// once per database: Spanner allows only one pending backup creation per
	// database (documented for backups.create).
	FleetCreateLimit = 1
)

// FleetCopy is one Spanner backup copy (backups.copy) as an item of a fleet
// plan (a fleet.Adapter). The backup id in Request makes the copy
// recognisable: a resumed run that finds the backup with this request's
// expire time (and an operation with its source) follows it instead of
// copying again.
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

// FleetCreate is one Spanner backup creation (backups.create) as an item of
// a fleet plan. Creations of one database run one at a time.
type FleetCreate struct {
	// Client makes the requests (and preflight reads).
	Client *Client
	// Request is the backup to create. Its ExpireTime may be left zero when
	// ExpireAfter is set.
	Request CreateBackupRequest
	// ExpireAfter is as for FleetCopy.
	ExpireAfter time.Duration
}

// Cloud returns "spanner".
func (f *FleetCopy) Cloud() string { return "spanner" }

// Limit groups copies by destination instance ("spanner-copy/" + Parent),
// with FleetCopyLimit.
func (f *FleetCopy) Limit() fleet.Limit {
	return fleet.Limit{Group: "spanner-copy/" + f.Request.Parent, Max: FleetCopyLimit,
		Source: "no documented number for concurrent copies; a conservative default per destination instance"}
}

// Route returns the source backup, the destination instance and the new
// backup's name.
func (f *FleetCopy) Route() fleet.Route {
	return fleet.Route{Source: f.Request.SourceBackup, Destination: f.Request.Parent, Target: backupName(f.Request.Parent, f.Request.BackupID)}
}

// Digest covers the request and ExpireAfter.
func (f *FleetCopy) Digest() string {
	r := &f.Request
	parts := []string{"spanner.copy", r.Parent, r.BackupID, r.SourceBackup, gapi.TimeKey(r.ExpireTime), f.ExpireAfter.String()}
	if e := r.Encryption; e != nil {
		parts = append(parts, string(e.Type), e.KMSKeyName)
		parts = append(parts, e.KMSKeyNames...)
	}
	return fleet.Digest(parts...)
}

func (f *FleetCopy) request(since time.Time) CopyBackupRequest {
	r := f.Request
	r.ExpireTime = gapi.FleetExpire(r.ExpireTime, f.ExpireAfter, since, f.Client.now)
	return r
}

// Validate checks the request as CopyBackup does, without I/O.
func (f *FleetCopy) Validate() error {
	if err := gapi.FleetCheck("FleetCopy", f.Client != nil, f.Request.ExpireTime, f.ExpireAfter); err != nil {
		return err
	}
	r := f.request(time.Time{})
	return r.validate(f.Client.now())
}

// Preflight reads the source backup (GetBackup): it must be READY, and the
// expire time must fall 6 hours to 366 days after its create time and not
// after its max expire time; the new backup's name must be free.
func (f *FleetCopy) Preflight(ctx context.Context) error {
	src, err := f.Client.GetBackup(ctx, f.Request.SourceBackup)
	if err != nil {
		return err
	}
	var problems []error
	if src.State != BackupReady {
		problems = append(problems, fleet.Errorf(backupcopy.Conflict, "spanner: source backup %s is %s, not READY", src.Name, src.State))
	}
	expire := f.request(time.Time{}).ExpireTime
	if !src.CreateTime.IsZero() && (expire.Before(src.CreateTime.Add(MinExpire)) || expire.After(src.CreateTime.Add(MaxCopyExpire))) {
		problems = append(problems, fleet.Errorf(backupcopy.InvalidInput, "spanner: expire time %s is not 6 hours to 366 days after the source's create time %s", expire.Format(time.RFC3339), src.CreateTime.Format(time.RFC3339)))
	}
	if !src.MaxExpireTime.IsZero() && expire.After(src.MaxExpireTime) {
		problems = append(problems, fleet.Errorf(backupcopy.InvalidInput, "spanner: expire time %s is after the source's max expire time %s", expire.Format(time.RFC3339), src.MaxExpireTime.Format(time.RFC3339)))
	}
	if err := targetFree(ctx, f.Client, f.Route().Target); err != nil {
		problems = append(problems, err)
	}
	return errors.Join(problems...)
}

// targetFree checks that the new backup's name is free (GetBackup).
func targetFree(ctx context.Context, c *Client, name string) error {
	_, err := c.GetBackup(ctx, name)
	return gapi.TargetFree(service, name, err)
}

// Start calls CopyBackup. An ALREADY_EXISTS answer is checked with Find.
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

// Find reads the new backup's name: if there is no such backup it returns
// ""; if there is, it looks for this copy's operation (backupOperations
// filtered by name and source) or else for the backup with this request's
// expire time, and returns its name. Any other backup of that name is a
// backupcopy.Conflict.
func (f *FleetCopy) Find(ctx context.Context, a fleet.Attempt) (string, error) {
	req := f.request(a.Since)
	name := backupName(req.Parent, req.BackupID)
	if _, err := f.Client.GetBackup(ctx, name); gapi.Code(err) == codes.NotFound {
		return "", nil
	} else if err != nil {
		return "", err
	}
	op, err := f.Client.recoverCopy(ctx, &req, notThisCopy(name))
	if err != nil {
		return "", err
	}
	return op.Name(), nil
}

// Wait follows the operation (or backup) called name until the copy is
// READY and returns the new backup's name. If the operation is no longer
// known (a run resumed long after), it follows the backup the request names
// instead.
func (f *FleetCopy) Wait(ctx context.Context, name string, opts ...lro.WaitOption) (string, error) {
	return gapi.FleetWait(ctx, name, f.Route().Target, func(name string) (string, error) {
		b, err := f.Client.CopyBackupOperation(name).Wait(ctx, opts...)
		if err != nil {
			return "", err
		}
		return b.Name, nil
	})
}

func notThisCopy(name string) error {
	return fleet.Errorf(backupcopy.Conflict, "spanner: backup %s exists but is not this copy (its source or expire time differ)", name)
}

// Cloud returns "spanner".
func (f *FleetCreate) Cloud() string { return "spanner" }

// Limit groups creations by database ("spanner-create/" + Database), with
// FleetCreateLimit (1, documented).
func (f *FleetCreate) Limit() fleet.Limit {
	return fleet.Limit{Group: "spanner-create/" + f.Request.Database, Max: FleetCreateLimit,
		Source: "documented: only one pending backup creation per database"}
}

// Route returns only the new backup's name: backups of one database taken
// at different times are different backups, not the same copy twice.
func (f *FleetCreate) Route() fleet.Route {
	return fleet.Route{Target: backupName(f.Request.Parent, f.Request.BackupID)}
}

// Digest covers the request and ExpireAfter.
func (f *FleetCreate) Digest() string {
	r := &f.Request
	parts := []string{"spanner.create", r.Parent, r.BackupID, r.Database, gapi.TimeKey(r.ExpireTime), gapi.TimeKey(r.VersionTime), f.ExpireAfter.String()}
	if e := r.Encryption; e != nil {
		parts = append(parts, string(e.Type), e.KMSKeyName)
		parts = append(parts, e.KMSKeyNames...)
	}
	return fleet.Digest(parts...)
}

func (f *FleetCreate) request(since time.Time) CreateBackupRequest {
	r := f.Request
	r.ExpireTime = gapi.FleetExpire(r.ExpireTime, f.ExpireAfter, since, f.Client.now)
	return r
}

// Validate checks the request as CreateBackup does, without I/O.
func (f *FleetCreate) Validate() error {
	if err := gapi.FleetCheck("FleetCreate", f.Client != nil, f.Request.ExpireTime, f.ExpireAfter); err != nil {
		return err
	}
	r := f.request(time.Time{})
	return r.validate(f.Client.now())
}

// Preflight checks that the new backup's name is free (GetBackup).
func (f *FleetCreate) Preflight(ctx context.Context) error {
	return targetFree(ctx, f.Client, f.Route().Target)
}

// Start calls CreateBackup. An ALREADY_EXISTS answer is checked with Find.
func (f *FleetCreate) Start(ctx context.Context, a fleet.Attempt) (string, error) {
	return gapi.FleetStart(func() (string, error) {
		req := f.request(a.Since)
		op, err := f.Client.CreateBackup(ctx, &req)
		if err != nil {
			return "", err
		}
		return op.Name(), nil
	}, func() (string, error) { return f.Find(ctx, a) })
}

// Find is as FleetCopy.Find, matching the database instead of the source.
func (f *FleetCreate) Find(ctx context.Context, a fleet.Attempt) (string, error) {
	req := f.request(a.Since)
	name := backupName(req.Parent, req.BackupID)
	if _, err := f.Client.GetBackup(ctx, name); gapi.Code(err) == codes.NotFound {
		return "", nil
	} else if err != nil {
		return "", err
	}
	op, err := f.Client.recoverCreate(ctx, &req, fleet.Errorf(backupcopy.Conflict, "spanner: backup %s exists but is not this backup (its database or expire time differ)", name))
	if err != nil {
		return "", err
	}
	return op.Name(), nil
}

// Wait follows the operation (or backup) called name until the backup is
// READY and returns its name; as FleetCopy.Wait, it follows the backup if
// the operation is no longer known.
func (f *FleetCreate) Wait(ctx context.Context, name string, opts ...lro.WaitOption) (string, error) {
	return gapi.FleetWait(ctx, name, f.Route().Target, func(name string) (string, error) {
		b, err := f.Client.CreateBackupOperation(name).Wait(ctx, opts...)
		if err != nil {
			return "", err
		}
		return b.Name, nil
	})
}

var (
	_ fleet.Adapter = (*FleetCopy)(nil)
	_ fleet.Adapter = (*FleetCreate)(nil)
)
