package bigtable

import (
	"regexp"
	"strings"
	"time"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// Resource name patterns.
const (
	clusterPattern = "projects/*/instances/*/clusters/*"
	backupPattern  = "projects/*/instances/*/clusters/*/backups/*"
	tablePattern   = "projects/*/instances/*/tables/*"
)

// Expire-time windows, measured from when the service receives the request.
const (
	MinExpire       = 6 * time.Hour       // shortest retention of a new backup or copy
	MaxCopyExpire   = 30 * 24 * time.Hour // longest retention of a copy
	MaxCreateExpire = 90 * 24 * time.Hour // longest retention of a new backup
	// MinHotToStandard is the shortest time before a hot backup may become standard.
	MinHotToStandard = 24 * time.Hour
	// clockSlack widens each window by this much on both sides, so that a
	// local clock a little off from the service's never rejects a value the
	// service accepts; the service still applies the exact rule.
	clockSlack = 5 * time.Minute
)

// backupIDRE is the documented backup id rule: 1-50 characters, the first
// [_a-zA-Z0-9], the rest [-_.a-zA-Z0-9].
var backupIDRE = regexp.MustCompile(`^[_a-zA-Z0-9][-_.a-zA-Z0-9]*$`)

const backupIDRule = "must be 1-50 characters, the first from [_a-zA-Z0-9] and the rest from [-_.a-zA-Z0-9]"

func checkBackupID(field, id string) error {
	if id == "" {
		return rest.Invalid(field, "is required ("+backupIDRule+")", "")
	}
	if len(id) > 50 || !backupIDRE.MatchString(id) {
		return rest.Invalid(field, backupIDRule, id)
	}
	return nil
}

// checkName checks a resource name against pattern.
func checkName(field, name, pattern string) error {
	return rest.CheckName(field, name, pattern)
}

// checkBackupName checks a full backup name: each '*' of backupPattern as one
// path segment, and the id with the backup id rule.
func checkBackupName(field, name string) error {
	if name == "" {
		return rest.Invalid(field, "is required ("+backupPattern+")", "")
	}
	if err := checkName(field, name, backupPattern); err != nil {
		return err
	}
	if id := name[strings.LastIndex(name, "/")+1:]; len(id) > 50 || !backupIDRE.MatchString(id) {
		return rest.Invalid(field, "backup id (last segment) "+backupIDRule, name)
	}
	return nil
}

// backupPath returns /v2/{name} for a backup name checked by checkBackupName.
func backupPath(field, name string) rest.Path {
	return rest.NewPath("v2").Name(field, name, backupPattern)
}

// checkOperationName checks an operation name, operations/..., each segment
// under the shared single-segment rule.
func checkOperationName(name string) error {
	const rule = "must be an operation name (operations/...) as returned by Name(), or a backup name (" + backupPattern + ")"
	segs := strings.Split(name, "/")
	if len(segs) < 2 || segs[0] != "operations" {
		return rest.Invalid("operation name", rule, name)
	}
	for _, s := range segs {
		if err := rest.CheckSegment("operation name", s); err != nil {
			return rest.Invalid("operation name", rule+"; each segment non-empty, not \".\" or \"..\", without '\\', '?', '#' or control characters", name)
		}
	}
	return nil
}

// checkWindow checks that t lies between min and max after now (each bound
// widened by clockSlack).
func checkWindow(field string, t, now time.Time, min, max time.Duration, what string) error {
	if t.IsZero() {
		return rest.Invalid(field, "is required ("+what+")", "")
	}
	d := t.Sub(now)
	if d < min-clockSlack || d > max+clockSlack {
		return rest.Invalid(field, what+" (it is "+roundDur(d)+" from now)", t.UTC().Format(time.RFC3339))
	}
	return nil
}

func roundDur(d time.Duration) string {
	return d.Round(time.Minute).String()
}

// instanceOf returns "projects/p/instances/i" of a cluster, table or backup
// name already checked against its pattern.
func instanceOf(name string) string {
	parts := strings.SplitN(name, "/", 5)
	return strings.Join(parts[:4], "/")
}

// clusterOf returns the cluster part of a checked backup name.
func clusterOf(backupName string) string {
	return backupName[:strings.LastIndex(backupName, "/backups/")]
}

// validate checks r before any I/O: nil, or a *backupcopy.ValidationError
// with the package and operation in front ("bigtable: CopyBackup: invalid ...").
func (r *CopyBackupRequest) validate(now time.Time) error {
	return rest.Prefixed(service, "CopyBackup", r.check(now))
}

func (r *CopyBackupRequest) check(now time.Time) error {
	if r == nil {
		return rest.Invalid("CopyBackupRequest", "is required", "")
	}
	if err := checkName("CopyBackupRequest.Parent", r.Parent, clusterPattern); err != nil {
		return err
	}
	if strings.HasSuffix(r.Parent, "/clusters/-") {
		return rest.Invalid("CopyBackupRequest.Parent", "must name one cluster (the wildcard '-' is for listing only)", r.Parent)
	}
	if err := checkBackupID("CopyBackupRequest.BackupID", r.BackupID); err != nil {
		return err
	}
	if err := checkBackupName("CopyBackupRequest.SourceBackup", r.SourceBackup); err != nil {
		return err
	}
	if r.SourceBackup == r.Parent+"/backups/"+r.BackupID {
		return rest.Invalid("CopyBackupRequest.BackupID", "must differ from the source backup (a backup cannot be copied onto itself)", r.BackupID)
	}
	return checkWindow("CopyBackupRequest.ExpireTime", r.ExpireTime, now, MinExpire, MaxCopyExpire,
		"must be at least 6 hours and at most 30 days after the request")
}

// validate checks r before any I/O: nil, or a *backupcopy.ValidationError
// with the package and operation in front ("bigtable: CreateBackup: invalid ...").
func (r *CreateBackupRequest) validate(now time.Time) error {
	return rest.Prefixed(service, "CreateBackup", r.check(now))
}

func (r *CreateBackupRequest) check(now time.Time) error {
	if r == nil {
		return rest.Invalid("CreateBackupRequest", "is required", "")
	}
	if err := checkName("CreateBackupRequest.Parent", r.Parent, clusterPattern); err != nil {
		return err
	}
	if strings.HasSuffix(r.Parent, "/clusters/-") {
		return rest.Invalid("CreateBackupRequest.Parent", "must name one cluster (the wildcard '-' is for listing only)", r.Parent)
	}
	if err := checkBackupID("CreateBackupRequest.BackupID", r.BackupID); err != nil {
		return err
	}
	if err := checkName("CreateBackupRequest.SourceTable", r.SourceTable, tablePattern); err != nil {
		return err
	}
	if instanceOf(r.SourceTable) != instanceOf(r.Parent) {
		return rest.Invalid("CreateBackupRequest.SourceTable", "must be in the same instance as Parent ("+instanceOf(r.Parent)+")", r.SourceTable)
	}
	if err := checkWindow("CreateBackupRequest.ExpireTime", r.ExpireTime, now, MinExpire, MaxCreateExpire,
		"must be at least 6 hours and at most 90 days after the request"); err != nil {
		return err
	}
	switch r.BackupType {
	case "", BackupTypeUnspecified, BackupTypeStandard, BackupTypeHot:
	default:
		return rest.Invalid("CreateBackupRequest.BackupType", "must be STANDARD or HOT (or empty for the default)", string(r.BackupType))
	}
	if !r.HotToStandardTime.IsZero() {
		if r.BackupType != BackupTypeHot {
			return rest.Invalid("CreateBackupRequest.HotToStandardTime", "may be set only for a HOT backup", r.HotToStandardTime.UTC().Format(time.RFC3339))
		}
		if r.HotToStandardTime.Sub(now) < MinHotToStandard-clockSlack {
			return rest.Invalid("CreateBackupRequest.HotToStandardTime", "must be at least 24 hours after the request", r.HotToStandardTime.UTC().Format(time.RFC3339))
		}
	}
	return nil
}
