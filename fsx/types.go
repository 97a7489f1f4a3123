package fsx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Lifecycle is the state of a backup.
type Lifecycle string

// The documented Lifecycle values.
const (
	// LifecycleAvailable: the backup is fully available.
	LifecycleAvailable Lifecycle = "AVAILABLE"
	// LifecyclePending: FSx has not started creating (or copying) the backup.
	LifecyclePending Lifecycle = "PENDING"
	// LifecycleCreating: FSx is creating the backup.
	LifecycleCreating Lifecycle = "CREATING"
	// LifecycleTransferring: FSx is transferring the backup to Amazon S3
	// (Lustre only).
	LifecycleTransferring Lifecycle = "TRANSFERRING"
	// LifecycleCopying: FSx is copying the backup.
	LifecycleCopying Lifecycle = "COPYING"
	// LifecycleDeleted: the backup was deleted and is no longer available.
	LifecycleDeleted Lifecycle = "DELETED"
	// LifecycleFailed: FSx could not finish the backup; see FailureDetails.
	LifecycleFailed Lifecycle = "FAILED"
)

// Lifecycles lists every documented Lifecycle value.
func Lifecycles() []Lifecycle {
	return []Lifecycle{LifecycleAvailable, LifecyclePending, LifecycleCreating, LifecycleTransferring,
		LifecycleCopying, LifecycleDeleted, LifecycleFailed}
}

// BackupType says how a backup was made.
type BackupType string

// The documented BackupType values.
const (
	BackupTypeAutomatic     BackupType = "AUTOMATIC"
	BackupTypeUserInitiated BackupType = "USER_INITIATED"
	BackupTypeAWSBackup     BackupType = "AWS_BACKUP"
)

// ResourceType is what a backup is of.
type ResourceType string

// The documented ResourceType values.
const (
	ResourceTypeFileSystem ResourceType = "FILE_SYSTEM"
	ResourceTypeVolume     ResourceType = "VOLUME"
)

// Tag is a resource tag.
type Tag struct {
	// Key is the tag's key (1-128 characters).
	Key string
	// Value is the tag's value (0-256 characters).
	Value string
}

// FailureDetails says why a backup FAILED.
type FailureDetails struct {
	// Message is FSx's explanation.
	Message string
}

// Backup is an FSx backup as DescribeBackups and CopyBackup return it. Only
// the fields useful to copying are decoded; FileSystemID, FileSystemType and
// VolumeID come from the nested FileSystem and Volume descriptions.
type Backup struct {
	// BackupID is the backup's id, backup-{17 hex digits}.
	BackupID string
	// Lifecycle is where the backup stands (LifecycleAvailable once usable).
	Lifecycle Lifecycle
	// Type is AUTOMATIC, USER_INITIATED or AWS_BACKUP.
	Type BackupType
	// ProgressPercent is 0-100 while the backup is being created or copied.
	ProgressPercent int
	// CreationTime is when the backup was created (for a copy: when the copy
	// was requested).
	CreationTime time.Time
	// FailureDetails says why a FAILED backup failed.
	FailureDetails FailureDetails
	// KMSKeyID is the KMS key that encrypts the backup's data.
	KMSKeyID string
	// ResourceARN is the backup's Amazon Resource Name.
	ResourceARN string
	// Tags are the backup's tags.
	Tags []Tag
	// OwnerID is the AWS account that owns the backup.
	OwnerID string
	// SourceBackupID and SourceBackupRegion are set on copies.
	SourceBackupID, SourceBackupRegion string
	// ResourceType is FILE_SYSTEM or VOLUME.
	ResourceType ResourceType
	// SizeInBytes is the backup's size, when FSx reports it.
	SizeInBytes int64
	// FileSystemID and FileSystemType describe the backed-up file system.
	FileSystemID, FileSystemType string
	// VolumeID is the backed-up volume, for a volume backup.
	VolumeID string
}

// wireBackup is the JSON form of a backup.
type wireBackup struct {
	BackupID           string             `json:"BackupId,omitempty"`
	Lifecycle          Lifecycle          `json:"Lifecycle,omitempty"`
	Type               BackupType         `json:"Type,omitempty"`
	ProgressPercent    *int               `json:"ProgressPercent,omitempty"`
	CreationTime       json.RawMessage    `json:"CreationTime,omitempty"`
	FailureDetails     *FailureDetails    `json:"FailureDetails,omitempty"`
	KMSKeyID           string             `json:"KmsKeyId,omitempty"`
	ResourceARN        string             `json:"ResourceARN,omitempty"`
	Tags               []Tag              `json:"Tags,omitempty"`
	OwnerID            string             `json:"OwnerId,omitempty"`
	SourceBackupID     string             `json:"SourceBackupId,omitempty"`
	SourceBackupRegion string             `json:"SourceBackupRegion,omitempty"`
	ResourceType       ResourceType       `json:"ResourceType,omitempty"`
	SizeInBytes        *int64             `json:"SizeInBytes,omitempty"`
	FileSystem         *wireFileSystem    `json:"FileSystem,omitempty"`
	Volume             *wireVolumeSummary `json:"Volume,omitempty"`
}

type wireFileSystem struct {
	FileSystemID   string `json:"FileSystemId,omitempty"`
	FileSystemType string `json:"FileSystemType,omitempty"`
}

type wireVolumeSummary struct {
	VolumeID string `json:"VolumeId,omitempty"`
}

// MarshalJSON writes the backup in the FSx wire form (CreationTime as epoch
// seconds, a JSON number).
func (b Backup) MarshalJSON() ([]byte, error) {
	w := wireBackup{
		BackupID: b.BackupID, Lifecycle: b.Lifecycle, Type: b.Type,
		KMSKeyID: b.KMSKeyID, ResourceARN: b.ResourceARN, Tags: b.Tags, OwnerID: b.OwnerID,
		SourceBackupID: b.SourceBackupID, SourceBackupRegion: b.SourceBackupRegion, ResourceType: b.ResourceType,
	}
	if b.ProgressPercent != 0 || b.Lifecycle == LifecyclePending || b.Lifecycle == LifecycleCopying ||
		b.Lifecycle == LifecycleCreating || b.Lifecycle == LifecycleTransferring || b.Lifecycle == LifecycleAvailable {
		p := b.ProgressPercent
		w.ProgressPercent = &p
	}
	if !b.CreationTime.IsZero() {
		w.CreationTime = json.RawMessage(formatEpoch(b.CreationTime))
	}
	if b.FailureDetails.Message != "" {
		fd := b.FailureDetails
		w.FailureDetails = &fd
	}
	if b.SizeInBytes != 0 {
		n := b.SizeInBytes
		w.SizeInBytes = &n
	}
	if b.FileSystemID != "" || b.FileSystemType != "" {
		w.FileSystem = &wireFileSystem{FileSystemID: b.FileSystemID, FileSystemType: b.FileSystemType}
	}
	if b.VolumeID != "" {
		w.Volume = &wireVolumeSummary{VolumeID: b.VolumeID}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// UnmarshalJSON reads the FSx wire form. CreationTime may be a fractional
// number of epoch seconds.
func (b *Backup) UnmarshalJSON(data []byte) error {
	var w wireBackup
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	out := Backup{
		BackupID: w.BackupID, Lifecycle: w.Lifecycle, Type: w.Type,
		KMSKeyID: w.KMSKeyID, ResourceARN: w.ResourceARN, Tags: w.Tags, OwnerID: w.OwnerID,
		SourceBackupID: w.SourceBackupID, SourceBackupRegion: w.SourceBackupRegion, ResourceType: w.ResourceType,
	}
	if len(out.Tags) == 0 {
		out.Tags = nil
	}
	if w.ProgressPercent != nil {
		out.ProgressPercent = *w.ProgressPercent
	}
	if w.SizeInBytes != nil {
		out.SizeInBytes = *w.SizeInBytes
	}
	if w.FailureDetails != nil {
		out.FailureDetails = *w.FailureDetails
	}
	if w.FileSystem != nil {
		out.FileSystemID, out.FileSystemType = w.FileSystem.FileSystemID, w.FileSystem.FileSystemType
	}
	if w.Volume != nil {
		out.VolumeID = w.Volume.VolumeID
	}
	if len(w.CreationTime) > 0 && string(w.CreationTime) != "null" {
		t, err := parseEpoch(w.CreationTime)
		if err != nil {
			return fmt.Errorf("fsx: Backup.CreationTime: %w", err)
		}
		out.CreationTime = t
	}
	*b = out
	return nil
}

// maxEpochSeconds bounds CreationTime to years 0001-9999.
const (
	minEpochSeconds = -62135596800
	maxEpochSeconds = 253402300799
)

// parseEpoch reads epoch seconds from a JSON number, exactly for decimal
// notation (up to nanoseconds) and through float64 for exponent notation.
func parseEpoch(raw json.RawMessage) (time.Time, error) {
	s := string(bytes.TrimSpace(raw))
	if s == "" || s[0] == '"' {
		return time.Time{}, errors.New("want epoch seconds as a JSON number, got " + truncateString(s, 40))
	}
	if !strings.ContainsAny(s, "eE") {
		neg := strings.HasPrefix(s, "-")
		intPart, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
		if intPart == "" || !allDigits(intPart) || !allDigits(frac) {
			return time.Time{}, errors.New("not a number: " + truncateString(s, 40))
		}
		if len(intPart) > 12 {
			return time.Time{}, errors.New("out of range: " + truncateString(s, 40))
		}
		sec, _ := strconv.ParseInt(intPart, 10, 64)
		frac = (frac + "000000000")[:9]
		nsec, _ := strconv.ParseInt(frac, 10, 64)
		if neg {
			sec, nsec = -sec, -nsec
		}
		if sec < minEpochSeconds || sec > maxEpochSeconds {
			return time.Time{}, errors.New("out of range: " + truncateString(s, 40))
		}
		return time.Unix(sec, nsec).UTC(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < minEpochSeconds || f > maxEpochSeconds {
		return time.Time{}, errors.New("not a valid epoch-seconds number: " + truncateString(s, 40))
	}
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9)).UTC(), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatEpoch writes t as epoch seconds with up to nine decimals.
func formatEpoch(t time.Time) string {
	sec, nsec := t.Unix(), int64(t.Nanosecond())
	if nsec == 0 {
		return strconv.FormatInt(sec, 10)
	}
	neg := sec < 0
	if neg {
		// t = sec + nsec/1e9 with sec < 0: write -(|sec|-1).(1e9-nsec)
		sec, nsec = -(sec + 1), 1e9-nsec
	}
	s := strconv.FormatInt(sec, 10) + "." + strings.TrimRight(fmt.Sprintf("%09d", nsec), "0")
	if neg {
		s = "-" + s
	}
	return s
}

func truncateString(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// FilterName names a DescribeBackups filter.
type FilterName string

// The documented filter names of DescribeBackups.
const (
	FilterFileSystemID       FilterName = "file-system-id"
	FilterBackupType         FilterName = "backup-type"
	FilterFileSystemType     FilterName = "file-system-type"
	FilterVolumeID           FilterName = "volume-id"
	FilterDataRepositoryType FilterName = "data-repository-type"
	FilterFileCacheID        FilterName = "file-cache-id"
	FilterFileCacheType      FilterName = "file-cache-type"
)

// Filter narrows DescribeBackups: a backup matches when its Name property
// has one of Values.
type Filter struct {
	// Name is the property filtered on.
	Name FilterName
	// Values are the accepted values of the property.
	Values []string
}
