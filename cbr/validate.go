package cbr

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// Documented limits of the replicate request.
const (
	MaxNameLength        = 64
	MaxDescriptionLength = 255
	MaxRegionLength      = 255
)

// validate checks r before any I/O: nil, or a *backupcopy.ValidationError
// with the package and operation in front ("cbr: CopyBackup: invalid ...").
func (r *CopyBackupRequest) validate(sourceRegion string) error {
	return rest.Prefixed(service, "CopyBackup", r.check(sourceRegion))
}

// check checks r against the rules of the replicate API. sourceRegion, if
// known, is the client's region (replication is cross-region only).
func (r *CopyBackupRequest) check(sourceRegion string) error {
	if r == nil {
		return rest.Invalid("CopyBackupRequest", "is required", "")
	}
	if err := rest.CheckSegment("CopyBackupRequest.BackupID", r.BackupID); err != nil {
		return err
	}
	if err := checkID("CopyBackupRequest.DestinationProjectID", r.DestinationProjectID); err != nil {
		return err
	}
	if err := checkRegion("CopyBackupRequest.DestinationRegion", r.DestinationRegion, true); err != nil {
		return err
	}
	if sourceRegion != "" && r.DestinationRegion == sourceRegion {
		return rest.Invalid("CopyBackupRequest.DestinationRegion", "must differ from the source region "+sourceRegion+" (replication is cross-region only)", r.DestinationRegion)
	}
	if err := checkID("CopyBackupRequest.DestinationVaultID", r.DestinationVaultID); err != nil {
		return err
	}
	if r.Name != "" {
		if err := checkName("CopyBackupRequest.Name", r.Name); err != nil {
			return err
		}
	}
	return checkDescription("CopyBackupRequest.Description", r.Description)
}

// checkID checks a required ID that travels in the body: present, valid
// UTF-8, no control characters, no surrounding spaces.
func checkID(field, v string) error {
	switch {
	case v == "":
		return rest.Invalid(field, "is required", "")
	case !utf8.ValidString(v): // the JSON body would carry U+FFFD instead
		return rest.Invalid(field, "must be valid UTF-8", "")
	case strings.TrimSpace(v) != v:
		return rest.Invalid(field, "must not have leading or trailing spaces", v)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return rest.Invalid(field, "must not contain control characters", v)
	}
	return nil
}

// checkRegion: at most 255 characters of [a-zA-Z0-9._-].
func checkRegion(field, v string, required bool) error {
	if v == "" {
		if required {
			return rest.Invalid(field, "is required", "")
		}
		return nil
	}
	if len(v) > MaxRegionLength {
		return rest.Invalid(field, "must be at most 255 characters", v)
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return rest.Invalid(field, "must match ^[a-zA-Z0-9._\\-]*$", v)
		}
	}
	return nil
}

// checkName: 1-64 characters, each a CJK ideograph (U+4E00-U+9FA5,
// U+F900-U+FA2D), an ASCII letter or digit, '_' or '-'.
func checkName(field, v string) error {
	if !utf8.ValidString(v) {
		return rest.Invalid(field, "must be valid UTF-8", "")
	}
	if n := utf8.RuneCountInString(v); n < 1 || n > MaxNameLength {
		return rest.Invalid(field, "must be 1 to 64 characters", v)
	}
	for _, c := range v {
		if !nameRune(c) {
			return rest.Invalid(field, "may contain only letters a-z A-Z, digits, '_', '-' and Chinese characters (^[\\u4E00-\\u9FA5\\uF900-\\uFA2Da-zA-Z0-9_\\-]*$)", v)
		}
	}
	return nil
}

func nameRune(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' ||
		c >= 0x4E00 && c <= 0x9FA5 || c >= 0xF900 && c <= 0xFA2D
}

// checkDescription: at most 255 characters, without '<' or '>'.
func checkDescription(field, v string) error {
	if !utf8.ValidString(v) {
		return rest.Invalid(field, "must be valid UTF-8", "")
	}
	if utf8.RuneCountInString(v) > MaxDescriptionLength {
		return rest.Invalid(field, "must be at most 255 characters", v)
	}
	if strings.ContainsAny(v, "<>") {
		return rest.Invalid(field, "must not contain '<' or '>'", v)
	}
	return nil
}
