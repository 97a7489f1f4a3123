package fsx

import (
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// Documented limits of the FSx API (2018-03-01 model).
const (
	// MinBackupIDLength and MaxBackupIDLength bound a BackupId, which must
	// also match ^(backup-[0-9a-f]{8,})$.
	MinBackupIDLength = 12
	MaxBackupIDLength = 128
	// MaxSourceRegionLength bounds SourceRegion (^[a-z0-9-]{1,20}$).
	MaxSourceRegionLength = 20
	// MaxKMSKeyIDLength bounds KmsKeyId (1-2048 characters).
	MaxKMSKeyIDLength = 2048
	// MaxTags is the most tags a request may carry (1-50).
	MaxTags = 50
	// MaxTagKeyLength and MaxTagValueLength bound a tag (key 1-128, value
	// 0-256 characters of ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$).
	MaxTagKeyLength   = 128
	MaxTagValueLength = 256
	// MaxClientRequestTokenLength bounds ClientRequestToken (1-63
	// characters; the model's pattern is [A-za-z0-9_.-]{0,63}$).
	MaxClientRequestTokenLength = 63
	// MaxBackupIDs is the most BackupIds one DescribeBackups request may name.
	MaxBackupIDs = 50
)

// checkBackupID: 12-128 characters matching ^(backup-[0-9a-f]{8,})$.
func checkBackupID(field, v string) error {
	if v == "" {
		return rest.Invalid(field, "is required", "")
	}
	if len(v) < MinBackupIDLength || len(v) > MaxBackupIDLength {
		return rest.Invalid(field, "must be 12 to 128 characters (^(backup-[0-9a-f]{8,})$)", v)
	}
	hex, ok := cutPrefix(v, "backup-")
	if !ok || len(hex) < 8 {
		return rest.Invalid(field, "must match ^(backup-[0-9a-f]{8,})$", v)
	}
	for i := 0; i < len(hex); i++ {
		if c := hex[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return rest.Invalid(field, "must match ^(backup-[0-9a-f]{8,})$ (lower-case hexadecimal after \"backup-\")", v)
		}
	}
	return nil
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

// checkSourceRegion: ^[a-z0-9-]{1,20}$ (optional).
func checkSourceRegion(field, v string) error {
	if v == "" {
		return nil
	}
	if len(v) > MaxSourceRegionLength {
		return rest.Invalid(field, "must be 1 to 20 characters (^[a-z0-9-]{1,20}$)", v)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return rest.Invalid(field, "must match ^[a-z0-9-]{1,20}$", v)
		}
	}
	return nil
}

// checkKMSKeyID: 1-2048 characters (optional), no line breaks (^.{1,2048}$).
func checkKMSKeyID(field, v string) error {
	if v == "" {
		return nil
	}
	if !utf8.ValidString(v) {
		return rest.Invalid(field, "must be valid UTF-8", "")
	}
	if utf8.RuneCountInString(v) > MaxKMSKeyIDLength {
		return rest.Invalid(field, "must be 1 to 2048 characters", v)
	}
	for _, c := range v {
		if c == '\n' || c == '\r' || c == '\u2028' || c == '\u2029' || c == '\u0085' {
			return rest.Invalid(field, "must match ^.{1,2048}$ (no line breaks)", v)
		}
	}
	return nil
}

// checkToken: 1-63 characters matching the model's [A-za-z0-9_.-]{0,63}$.
// The model's "A-z" range also admits [ \ ] ^ and `, so those are accepted
// too: this check never refuses a token the service takes.
func checkToken(field, v string) error {
	if v == "" {
		return nil
	}
	if len(v) > MaxClientRequestTokenLength {
		return rest.Invalid(field, "must be 1 to 63 characters", v)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= 'A' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return rest.Invalid(field, "must match [A-za-z0-9_.-]{0,63}$ (letters, digits, '_', '.', '-')", v)
		}
	}
	return nil
}

// checkTags: at most 50 tags, keys 1-128 and values 0-256 characters of
// ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$.
func checkTags(field string, tags []Tag) error {
	if len(tags) > MaxTags {
		return rest.Invalid(field, "must have at most 50 tags (with CopyTags, source tags plus these must total at most 50)", strconv.Itoa(len(tags))+" tags")
	}
	for i, t := range tags {
		f := field + "[" + strconv.Itoa(i) + "]"
		if !utf8.ValidString(t.Key) {
			return rest.Invalid(f+".Key", "must be valid UTF-8", "")
		}
		if !utf8.ValidString(t.Value) {
			return rest.Invalid(f+".Value", "must be valid UTF-8", "")
		}
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > MaxTagKeyLength {
			return rest.Invalid(f+".Key", "must be 1 to 128 characters", t.Key)
		}
		if utf8.RuneCountInString(t.Value) > MaxTagValueLength {
			return rest.Invalid(f+".Value", "must be at most 256 characters", t.Value)
		}
		if !tagText(t.Key) {
			return rest.Invalid(f+".Key", `must match ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ (letters, digits, spaces and _ . : / = + - @)`, t.Key)
		}
		if !tagText(t.Value) {
			return rest.Invalid(f+".Value", `must match ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ (letters, digits, spaces and _ . : / = + - @)`, t.Value)
		}
	}
	return nil
}

// tagText reports whether s matches ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$.
func tagText(s string) bool {
	for _, c := range s {
		if unicode.IsLetter(c) || unicode.Is(unicode.Z, c) || unicode.IsNumber(c) {
			continue
		}
		switch c {
		case '_', '.', ':', '/', '=', '+', '-', '@':
			continue
		}
		return false
	}
	return true
}

// validate checks r before any I/O: nil, or a *backupcopy.ValidationError
// with the package and operation in front ("fsx: CopyBackup: invalid ...").
func (r *CopyBackupRequest) validate() error {
	return rest.Prefixed(service, "CopyBackup", r.check())
}

// check checks r against the CopyBackup model.
func (r *CopyBackupRequest) check() error {
	if r == nil {
		return rest.Invalid("CopyBackupRequest", "is required", "")
	}
	if err := checkBackupID("CopyBackupRequest.SourceBackupID", r.SourceBackupID); err != nil {
		return err
	}
	if err := checkSourceRegion("CopyBackupRequest.SourceRegion", r.SourceRegion); err != nil {
		return err
	}
	if err := checkKMSKeyID("CopyBackupRequest.KMSKeyID", r.KMSKeyID); err != nil {
		return err
	}
	if err := checkToken("CopyBackupRequest.ClientRequestToken", r.ClientRequestToken); err != nil {
		return err
	}
	return checkTags("CopyBackupRequest.Tags", r.Tags)
}

// validate checks r before any I/O: nil, or a *backupcopy.ValidationError
// with the package and operation in front ("fsx: DescribeBackups: invalid ...").
func (r *DescribeBackupsRequest) validate() error {
	return rest.Prefixed(service, "DescribeBackups", r.check())
}

// check checks r against the DescribeBackups model.
func (r *DescribeBackupsRequest) check() error {
	if r == nil {
		return nil
	}
	if len(r.BackupIDs) > MaxBackupIDs {
		return rest.Invalid("DescribeBackupsRequest.BackupIDs", "must name at most 50 backups", strconv.Itoa(len(r.BackupIDs))+" ids")
	}
	for i, id := range r.BackupIDs {
		if err := checkBackupID("DescribeBackupsRequest.BackupIDs["+strconv.Itoa(i)+"]", id); err != nil {
			return err
		}
	}
	if r.MaxResults < 0 {
		return rest.Invalid("DescribeBackupsRequest.MaxResults", "must be greater than 0 (or 0 for the service's default)", strconv.Itoa(r.MaxResults))
	}
	for i, f := range r.Filters {
		if f.Name == "" {
			return rest.Invalid("DescribeBackupsRequest.Filters["+strconv.Itoa(i)+"].Name", "is required", "")
		}
	}
	return nil
}
