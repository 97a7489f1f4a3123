package spanner

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// Resource name patterns.
const (
	instancePattern  = "projects/*/instances/*"
	databasePattern  = "projects/*/instances/*/databases/*"
	backupPattern    = "projects/*/instances/*/backups/*"
	operationPattern = "projects/*/instances/*/backups/*/operations/*"
	kmsKeyPattern    = "projects/*/locations/*/keyRings/*/cryptoKeys/*"
)

// Documented windows.
const (
	// MinExpire is the shortest retention of a new backup or copy: its
	// expire time is at least this long after the create request (for a
	// copy: after the source backup's create time).
	MinExpire = 6 * time.Hour
	// MaxCreateExpire is the longest retention of a new backup, after the
	// create request.
	MaxCreateExpire = 366 * 24 * time.Hour
	// MaxCopyExpire is the longest retention of a copy, after the source
	// backup's create time (and never past its MaxExpireTime).
	MaxCopyExpire = 366 * 24 * time.Hour
	// maxVersionRetention is the longest version retention period a database
	// can have (7 days): a version time older than that cannot be in it.
	maxVersionRetention = 7 * 24 * time.Hour
	// clockSlack widens every time window checked here, so that a local clock
	// that is a little off never makes the client refuse a value the service
	// would accept. The service checks the exact window itself.
	clockSlack = 5 * time.Minute
)

// backupIDRE is the documented backup id rule; the length (2-60) is checked apart.
var backupIDRE = regexp.MustCompile(`^[a-z][a-z0-9_\-]*[a-z0-9]$`)

func checkBackupID(field, id string) error {
	switch {
	case id == "":
		return rest.Invalid(field, "is required", "")
	case len(id) < 2 || len(id) > 60:
		return rest.Invalid(field, "must be 2 to 60 characters long (it is "+strconv.Itoa(len(id))+")", id)
	case !backupIDRE.MatchString(id):
		return rest.Invalid(field, `must match [a-z][a-z0-9_\-]*[a-z0-9] (lower-case letter first, lower-case letter or digit last)`, id)
	}
	return nil
}

func checkName(field, value, pattern string) error { return rest.CheckName(field, value, pattern) }

// checkBackupName checks a full backup name, including its id.
func checkBackupName(field, name string) error {
	if err := checkName(field, name, backupPattern); err != nil {
		return err
	}
	id := name[strings.LastIndexByte(name, '/')+1:]
	if err := checkBackupID(field, id); err != nil {
		ve := err.(*backupcopy.ValidationError)
		return rest.Invalid(field, "backup id "+ve.Rule, name)
	}
	return nil
}

// checkOperationName accepts an operation name, or a backup name (the handle
// then watches the backup itself; see CreateBackupOperation).
func checkOperationName(field, name string) error {
	if rest.CheckName(field, name, operationPattern) == nil || rest.CheckName(field, name, backupPattern) == nil {
		return nil
	}
	return rest.Invalid(field, "must have the form "+operationPattern+" (or "+backupPattern+")", name)
}

func checkKMS(field, typ string, cmek bool, key string, keys []string) error {
	switch {
	case !cmek && (key != "" || len(keys) > 0):
		return rest.Invalid(field, "KMSKeyName and KMSKeyNames may be set only with CUSTOMER_MANAGED_ENCRYPTION", typ)
	case cmek && key == "" && len(keys) == 0:
		return rest.Invalid(field, "CUSTOMER_MANAGED_ENCRYPTION needs KMSKeyName or KMSKeyNames", "")
	case key != "" && len(keys) > 0:
		return rest.Invalid(field, "set KMSKeyName or KMSKeyNames, not both", "")
	}
	if key != "" {
		if err := checkName(field+".KMSKeyName", key, kmsKeyPattern); err != nil {
			return err
		}
	}
	for i, k := range keys {
		if err := checkName(field+".KMSKeyNames["+strconv.Itoa(i)+"]", k, kmsKeyPattern); err != nil {
			return err
		}
	}
	return nil
}

func checkEncryptionType(field, typ, unspecified string) error {
	switch {
	case typ == "":
		return rest.Invalid(field, "is required when the encryption config is set", "")
	case typ == unspecified:
		return rest.Invalid(field, "must not be "+unspecified, typ)
	case strings.IndexFunc(typ, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r == '_') }) >= 0:
		return rest.Invalid(field, "must be an encryption type name such as CUSTOMER_MANAGED_ENCRYPTION", typ)
	}
	return nil
}

// validate checks r before any I/O: nil, or a *backupcopy.ValidationError
// with the package and operation in front ("spanner: CreateBackup: invalid ...").
func (r *CreateBackupRequest) validate(now time.Time) error {
	return rest.Prefixed(service, "CreateBackup", r.check(now))
}

func (r *CreateBackupRequest) check(now time.Time) error {
	if r == nil {
		return rest.Invalid("CreateBackupRequest", "is required", "")
	}
	if err := checkName("CreateBackupRequest.Parent", r.Parent, instancePattern); err != nil {
		return err
	}
	if err := checkBackupID("CreateBackupRequest.BackupID", r.BackupID); err != nil {
		return err
	}
	if err := checkName("CreateBackupRequest.Database", r.Database, databasePattern); err != nil {
		return err
	}
	// The database must be in the backup's instance. Only the instance id is
	// compared: a project may be named by id or by number.
	if rest.NameSegments(r.Database, databasePattern)[1] != rest.NameSegments(r.Parent, instancePattern)[1] {
		return rest.Invalid("CreateBackupRequest.Database", "must be in the Parent instance", r.Database)
	}
	if err := checkExpire("CreateBackupRequest.ExpireTime", r.ExpireTime, now); err != nil {
		return err
	}
	if !r.VersionTime.IsZero() {
		switch {
		case r.VersionTime.After(now.Add(clockSlack)):
			return rest.Invalid("CreateBackupRequest.VersionTime", "must not be in the future", r.VersionTime.UTC().Format(time.RFC3339))
		case r.VersionTime.Before(now.Add(-maxVersionRetention - clockSlack)):
			return rest.Invalid("CreateBackupRequest.VersionTime", "must be within the database's version retention period (at most 7 days)", r.VersionTime.UTC().Format(time.RFC3339))
		}
	}
	if e := r.Encryption; e != nil {
		if err := checkEncryptionType("CreateBackupRequest.Encryption.Type", string(e.Type), string(EncryptionTypeUnspecified)); err != nil {
			return err
		}
		if err := checkKMS("CreateBackupRequest.Encryption", string(e.Type), e.Type == CustomerManagedEncryption, e.KMSKeyName, e.KMSKeyNames); err != nil {
			return err
		}
	}
	return nil
}

func checkExpire(field string, t, now time.Time) error {
	switch {
	case t.IsZero():
		return rest.Invalid(field, "is required", "")
	case t.Before(now.Add(MinExpire - clockSlack)):
		return rest.Invalid(field, "must be at least 6 hours from now", t.UTC().Format(time.RFC3339))
	case t.After(now.Add(MaxCreateExpire + clockSlack)):
		return rest.Invalid(field, "must be at most 366 days from now", t.UTC().Format(time.RFC3339))
	}
	return nil
}

// validate checks r before any I/O: nil, or a *backupcopy.ValidationError
// with the package and operation in front ("spanner: CopyBackup: invalid ...").
func (r *CopyBackupRequest) validate(now time.Time) error {
	return rest.Prefixed(service, "CopyBackup", r.check(now))
}

func (r *CopyBackupRequest) check(now time.Time) error {
	if r == nil {
		return rest.Invalid("CopyBackupRequest", "is required", "")
	}
	if err := checkName("CopyBackupRequest.Parent", r.Parent, instancePattern); err != nil {
		return err
	}
	if err := checkBackupID("CopyBackupRequest.BackupID", r.BackupID); err != nil {
		return err
	}
	if err := checkBackupName("CopyBackupRequest.SourceBackup", r.SourceBackup); err != nil {
		return err
	}
	// The window counts from the source's create time, which is in the past:
	// only the upper end can be checked without reading the source.
	switch {
	case r.ExpireTime.IsZero():
		return rest.Invalid("CopyBackupRequest.ExpireTime", "is required", "")
	case r.ExpireTime.After(now.Add(MaxCopyExpire + clockSlack)):
		return rest.Invalid("CopyBackupRequest.ExpireTime", "must be at most 366 days after the source backup's create time", r.ExpireTime.UTC().Format(time.RFC3339))
	}
	if e := r.Encryption; e != nil {
		if err := checkEncryptionType("CopyBackupRequest.Encryption.Type", string(e.Type), string(CopyEncryptionTypeUnspecified)); err != nil {
			return err
		}
		if err := checkKMS("CopyBackupRequest.Encryption", string(e.Type), e.Type == CopyCustomerManagedEncryption, e.KMSKeyName, e.KMSKeyNames); err != nil {
			return err
		}
	}
	return nil
}
