package spanner

import (
	"encoding/json"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy/internal/gapi"
)

// BackupState is the state of a backup.
type BackupState string

// The documented backup states.
const (
	BackupStateUnspecified BackupState = "STATE_UNSPECIFIED"
	// BackupCreating: the backup is being created (or copied); operations on it
	// may fail with FAILED_PRECONDITION.
	BackupCreating BackupState = "CREATING"
	// BackupReady: the backup is complete and can be restored or copied.
	BackupReady BackupState = "READY"
)

// EncryptionType says how CreateBackup encrypts a new backup. It is also the
// type of EncryptionInfo.Type, which reports how a backup is encrypted.
type EncryptionType string

// The documented encryption types of CreateBackup (and of EncryptionInfo).
const (
	// EncryptionTypeUnspecified is the proto default; CreateBackup refuses it.
	EncryptionTypeUnspecified EncryptionType = "ENCRYPTION_TYPE_UNSPECIFIED"
	// UseDatabaseEncryption (the service's default): the backup uses the
	// database's encryption, Google default or the database's KMS key.
	UseDatabaseEncryption EncryptionType = "USE_DATABASE_ENCRYPTION"
	// GoogleDefaultEncryption: Google-managed keys.
	GoogleDefaultEncryption EncryptionType = "GOOGLE_DEFAULT_ENCRYPTION"
	// CustomerManagedEncryption: the Cloud KMS key (or keys) named in the config.
	CustomerManagedEncryption EncryptionType = "CUSTOMER_MANAGED_ENCRYPTION"
	// EncryptionInfoTypeUnspecified appears in EncryptionInfo.Type only:
	// the type was not reported, though the data is encrypted at rest.
	EncryptionInfoTypeUnspecified EncryptionType = "TYPE_UNSPECIFIED"
)

// CopyEncryptionType says how CopyBackup encrypts the copy.
type CopyEncryptionType string

// The documented encryption types of CopyBackup.
const (
	// CopyEncryptionTypeUnspecified is the proto default; CopyBackup refuses it.
	CopyEncryptionTypeUnspecified CopyEncryptionType = "ENCRYPTION_TYPE_UNSPECIFIED"
	// UseConfigDefaultOrBackupEncryption (the service's default): the instance
	// configuration's default, else the source backup's encryption.
	UseConfigDefaultOrBackupEncryption CopyEncryptionType = "USE_CONFIG_DEFAULT_OR_BACKUP_ENCRYPTION"
	// CopyGoogleDefaultEncryption: Google-managed keys.
	CopyGoogleDefaultEncryption CopyEncryptionType = "GOOGLE_DEFAULT_ENCRYPTION"
	// CopyCustomerManagedEncryption: the Cloud KMS key (or keys) named in the config.
	CopyCustomerManagedEncryption CopyEncryptionType = "CUSTOMER_MANAGED_ENCRYPTION"
)

// DatabaseDialect is the SQL dialect of a backup's database.
type DatabaseDialect string

// The documented dialects.
const (
	DatabaseDialectUnspecified DatabaseDialect = "DATABASE_DIALECT_UNSPECIFIED"
	GoogleStandardSQL          DatabaseDialect = "GOOGLE_STANDARD_SQL"
	PostgreSQL                 DatabaseDialect = "POSTGRESQL"
)

// EncryptionConfig is the encryption of a CreateBackup request. With
// CustomerManagedEncryption exactly one of KMSKeyName and KMSKeyNames is
// set; with other types neither is. Key names have the form
// projects/*/locations/*/keyRings/*/cryptoKeys/*.
type EncryptionConfig struct {
	// Type is how the backup is to be encrypted.
	Type EncryptionType
	// KMSKeyName is one key in the instance's own location (kept by the API
	// for backwards compatibility; prefer KMSKeyNames).
	KMSKeyName string
	// KMSKeyNames are keys that together cover every region of the instance
	// configuration.
	KMSKeyNames []string
}

// CopyEncryptionConfig is the encryption of a CopyBackup request, with the
// same key rules as EncryptionConfig.
type CopyEncryptionConfig struct {
	// Type is how the copy is to be encrypted.
	Type CopyEncryptionType
	// KMSKeyName is one key in the destination instance's own location
	// (prefer KMSKeyNames).
	KMSKeyName string
	// KMSKeyNames are keys that together cover every region of the
	// destination instance configuration.
	KMSKeyNames []string
}

// Status is a google.rpc.Status reported inside a resource (not an error of
// the call that read it). The zero value is OK, or not reported.
type Status struct {
	// Code is the canonical code.
	Code codes.Code
	// Message is the service's message.
	Message string
}

// Err returns the status as an error that status.Code reads (grpc's status
// package), or nil when the status is OK.
func (s Status) Err() error { return status.Error(s.Code, s.Message) }

// EncryptionInfo reports how a backup is encrypted. The zero value means the
// API reported none.
type EncryptionInfo struct {
	// Type is GoogleDefaultEncryption, CustomerManagedEncryption or
	// EncryptionInfoTypeUnspecified.
	Type EncryptionType
	// KMSKeyVersion is the Cloud KMS key version protecting the data, if any.
	KMSKeyVersion string
	// Status is the outcome of a recent encrypt/decrypt call on the data, if
	// the service reported one; the zero value otherwise.
	Status Status
}

// Backup is a Cloud Spanner backup.
type Backup struct {
	// Name is projects/{project}/instances/{instance}/backups/{backup}.
	Name string
	// Database is the database the backup was taken from.
	Database string
	// SourceBackup is the backup this one was copied from, when known. The
	// API's Backup resource does not carry it: it is set on the result of a
	// CopyBackupOperation (from the operation's metadata) and empty otherwise.
	SourceBackup string
	// ExpireTime is when the service may delete the backup.
	ExpireTime time.Time
	// VersionTime is the moment of the database the backup holds.
	VersionTime time.Time
	// CreateTime is when the create (or copy) request was received.
	CreateTime time.Time
	// SizeBytes is the size of the backup (for an incremental backup, of its
	// whole chain).
	SizeBytes int64
	// State is BackupCreating until the backup is ready, then BackupReady.
	State BackupState
	// ReferencingDatabases are databases being restored from this backup;
	// they keep it from being deleted.
	ReferencingDatabases []string
	// ReferencingBackups are copies being made from this backup; they keep
	// it from being deleted.
	ReferencingBackups []string
	// EncryptionInfo is output only; the zero value when not reported.
	EncryptionInfo EncryptionInfo
	// EncryptionInformation lists every KMS key version protecting the backup.
	EncryptionInformation []EncryptionInfo
	// DatabaseDialect is the dialect of the backed-up database.
	DatabaseDialect DatabaseDialect
	// MaxExpireTime is the latest expire time an update or copy may set.
	MaxExpireTime time.Time
	// ExclusiveSizeBytes is the storage only this backup holds (for an
	// incremental backup, what deleting it alone would free at most).
	ExclusiveSizeBytes int64
	// FreeableSizeBytes is the storage that deleting this backup would free.
	FreeableSizeBytes int64
	// IncrementalBackupChainID names the chain of an incremental backup.
	IncrementalBackupChainID string
	// OldestVersionTime is the version time of the oldest full backup in the
	// chain.
	OldestVersionTime time.Time
	// BackupSchedules lists the backup schedules that created the backup.
	BackupSchedules []string
	// InstancePartitions names the instance partitions storing the backup.
	InstancePartitions []string
	// MinimumRestorableEdition is the edition needed to restore the backup,
	// when it is Enterprise or Enterprise Plus.
	MinimumRestorableEdition string
}

// OperationProgress is the progress of a backup operation.
type OperationProgress struct {
	// Percent is 0-100.
	Percent int
	// StartTime is when the request was received; EndTime when the operation
	// finished, if it has.
	StartTime, EndTime time.Time
}

// CreateBackupMetadata is the metadata of a CreateBackup operation.
type CreateBackupMetadata struct {
	// Name is the backup being created.
	Name string
	// Database is the database it is taken from.
	Database string
	// Progress is how far the backup has come.
	Progress OperationProgress
	// CancelTime is when a cancellation was received, if one was.
	CancelTime time.Time
}

// CopyBackupMetadata is the metadata of a CopyBackup operation.
type CopyBackupMetadata struct {
	// Name is the backup being created by the copy.
	Name string
	// SourceBackup is the backup being copied.
	SourceBackup string
	// Progress is how far the copy has come.
	Progress OperationProgress
	// CancelTime is when a cancellation was received, if one was.
	CancelTime time.Time
}

// Fully qualified message names of the Any values in operations.
const (
	createMetadataType = "google.spanner.admin.database.v1.CreateBackupMetadata"
	copyMetadataType   = "google.spanner.admin.database.v1.CopyBackupMetadata"
	backupType         = "google.spanner.admin.database.v1.Backup"
)

// CreateBackupMetadataTypeURL, CopyBackupMetadataTypeURL and BackupTypeURL
// are the "@type" values of an operation's metadata and response.
const (
	CreateBackupMetadataTypeURL = "type.googleapis.com/" + createMetadataType
	CopyBackupMetadataTypeURL   = "type.googleapis.com/" + copyMetadataType
	BackupTypeURL               = "type.googleapis.com/" + backupType
)

// ---- REST JSON encodings ----

type wireStatus struct {
	Code    int               `json:"code,omitempty"`
	Message string            `json:"message,omitempty"`
	Details []json.RawMessage `json:"details,omitempty"`
}

type wireEncryptionInfo struct {
	EncryptionType   string      `json:"encryptionType,omitempty"`
	KMSKeyVersion    string      `json:"kmsKeyVersion,omitempty"`
	EncryptionStatus *wireStatus `json:"encryptionStatus,omitempty"`
}

type wireInstancePartition struct {
	InstancePartition string `json:"instancePartition,omitempty"`
}

type wireBackup struct {
	Name                     string                  `json:"name,omitempty"`
	Database                 string                  `json:"database,omitempty"`
	ExpireTime               *gapi.Time              `json:"expireTime,omitempty"`
	VersionTime              *gapi.Time              `json:"versionTime,omitempty"`
	CreateTime               *gapi.Time              `json:"createTime,omitempty"`
	SizeBytes                gapi.Int64              `json:"sizeBytes,omitempty"`
	State                    string                  `json:"state,omitempty"`
	ReferencingDatabases     []string                `json:"referencingDatabases,omitempty"`
	ReferencingBackups       []string                `json:"referencingBackups,omitempty"`
	EncryptionInfo           *wireEncryptionInfo     `json:"encryptionInfo,omitempty"`
	EncryptionInformation    []wireEncryptionInfo    `json:"encryptionInformation,omitempty"`
	DatabaseDialect          string                  `json:"databaseDialect,omitempty"`
	MaxExpireTime            *gapi.Time              `json:"maxExpireTime,omitempty"`
	ExclusiveSizeBytes       gapi.Int64              `json:"exclusiveSizeBytes,omitempty"`
	FreeableSizeBytes        gapi.Int64              `json:"freeableSizeBytes,omitempty"`
	IncrementalBackupChainID string                  `json:"incrementalBackupChainId,omitempty"`
	OldestVersionTime        *gapi.Time              `json:"oldestVersionTime,omitempty"`
	BackupSchedules          []string                `json:"backupSchedules,omitempty"`
	InstancePartitions       []wireInstancePartition `json:"instancePartitions,omitempty"`
	MinimumRestorableEdition string                  `json:"minimumRestorableEdition,omitempty"`
}

type wireProgress struct {
	ProgressPercent int        `json:"progressPercent,omitempty"`
	StartTime       *gapi.Time `json:"startTime,omitempty"`
	EndTime         *gapi.Time `json:"endTime,omitempty"`
}

type wireMetadata struct {
	Type         string        `json:"@type,omitempty"`
	Name         string        `json:"name,omitempty"`
	Database     string        `json:"database,omitempty"`
	SourceBackup string        `json:"sourceBackup,omitempty"`
	Progress     *wireProgress `json:"progress,omitempty"`
	CancelTime   *gapi.Time    `json:"cancelTime,omitempty"`
}

func tp(t time.Time) *gapi.Time {
	if t.IsZero() {
		return nil
	}
	return &gapi.Time{Time: t.UTC()}
}

// requestTime is a request's time as sent: UTC with microseconds (expire
// and version times have microsecond granularity), so a lost attempt's
// backup is matched on what was sent; "" for the zero time.
func requestTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return gapi.FormatTime(t)
}

func tv(t *gapi.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

func (e EncryptionInfo) toWire() wireEncryptionInfo {
	w := wireEncryptionInfo{EncryptionType: string(e.Type), KMSKeyVersion: e.KMSKeyVersion}
	if e.Status != (Status{}) {
		w.EncryptionStatus = &wireStatus{Code: int(e.Status.Code), Message: e.Status.Message}
	}
	return w
}

func (w wireEncryptionInfo) fromWire() EncryptionInfo {
	e := EncryptionInfo{Type: EncryptionType(w.EncryptionType), KMSKeyVersion: w.KMSKeyVersion}
	if s := w.EncryptionStatus; s != nil {
		e.Status = Status{Code: codes.Code(s.Code), Message: s.Message}
	}
	return e
}

func (b *Backup) toWire() wireBackup {
	w := wireBackup{
		Name: b.Name, Database: b.Database,
		ExpireTime: tp(b.ExpireTime), VersionTime: tp(b.VersionTime), CreateTime: tp(b.CreateTime),
		SizeBytes: gapi.Int64(b.SizeBytes), State: string(b.State),
		ReferencingDatabases: b.ReferencingDatabases, ReferencingBackups: b.ReferencingBackups,
		DatabaseDialect: string(b.DatabaseDialect), MaxExpireTime: tp(b.MaxExpireTime),
		ExclusiveSizeBytes: gapi.Int64(b.ExclusiveSizeBytes), FreeableSizeBytes: gapi.Int64(b.FreeableSizeBytes),
		IncrementalBackupChainID: b.IncrementalBackupChainID, OldestVersionTime: tp(b.OldestVersionTime),
		BackupSchedules: b.BackupSchedules, MinimumRestorableEdition: b.MinimumRestorableEdition,
	}
	if b.EncryptionInfo != (EncryptionInfo{}) {
		ei := b.EncryptionInfo.toWire()
		w.EncryptionInfo = &ei
	}
	for _, e := range b.EncryptionInformation {
		w.EncryptionInformation = append(w.EncryptionInformation, e.toWire())
	}
	for _, p := range b.InstancePartitions {
		w.InstancePartitions = append(w.InstancePartitions, wireInstancePartition{InstancePartition: p})
	}
	return w
}

func (w *wireBackup) fromWire() *Backup {
	b := &Backup{
		Name: w.Name, Database: w.Database,
		ExpireTime: tv(w.ExpireTime), VersionTime: tv(w.VersionTime), CreateTime: tv(w.CreateTime),
		SizeBytes: int64(w.SizeBytes), State: BackupState(w.State),
		ReferencingDatabases: w.ReferencingDatabases, ReferencingBackups: w.ReferencingBackups,
		DatabaseDialect: DatabaseDialect(w.DatabaseDialect), MaxExpireTime: tv(w.MaxExpireTime),
		ExclusiveSizeBytes: int64(w.ExclusiveSizeBytes), FreeableSizeBytes: int64(w.FreeableSizeBytes),
		IncrementalBackupChainID: w.IncrementalBackupChainID, OldestVersionTime: tv(w.OldestVersionTime),
		BackupSchedules: w.BackupSchedules, MinimumRestorableEdition: w.MinimumRestorableEdition,
	}
	if w.EncryptionInfo != nil {
		b.EncryptionInfo = w.EncryptionInfo.fromWire()
	}
	for _, e := range w.EncryptionInformation {
		b.EncryptionInformation = append(b.EncryptionInformation, e.fromWire())
	}
	for _, p := range w.InstancePartitions {
		b.InstancePartitions = append(b.InstancePartitions, p.InstancePartition)
	}
	return b
}

// MarshalJSON writes b as the REST API's Backup resource (timestamps in RFC
// 3339 UTC with 0, 3, 6 or 9 fraction digits as Google writes them, every
// digit kept; int64 values as strings). SourceBackup, which
// the resource has no field for, is not written.
func (b Backup) MarshalJSON() ([]byte, error) { return json.Marshal(b.toWire()) }

// UnmarshalJSON reads the REST API's Backup resource, ignoring unknown fields.
func (b *Backup) UnmarshalJSON(data []byte) error {
	var w wireBackup
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*b = *w.fromWire()
	return nil
}

func (p OperationProgress) toWire() *wireProgress {
	return &wireProgress{ProgressPercent: p.Percent, StartTime: tp(p.StartTime), EndTime: tp(p.EndTime)}
}

func (w *wireProgress) fromWire() OperationProgress {
	if w == nil {
		return OperationProgress{}
	}
	return OperationProgress{Percent: w.ProgressPercent, StartTime: tv(w.StartTime), EndTime: tv(w.EndTime)}
}

// MarshalJSON writes m as the REST API's CreateBackupMetadata Any, with its
// "@type".
func (m CreateBackupMetadata) MarshalJSON() ([]byte, error) {
	return json.Marshal(wireMetadata{Type: CreateBackupMetadataTypeURL, Name: m.Name, Database: m.Database, Progress: m.Progress.toWire(), CancelTime: tp(m.CancelTime)})
}

// UnmarshalJSON reads the REST API's CreateBackupMetadata (an "@type" other
// than CreateBackupMetadataTypeURL is an error).
func (m *CreateBackupMetadata) UnmarshalJSON(data []byte) error {
	var w wireMetadata
	if err := gapi.DecodeAny(data, createMetadataType, &w); err != nil {
		return err
	}
	*m = *w.createFromWire()
	return nil
}

// AnyType returns the decoded "@type" (gapi.AnyMessage).
func (w wireMetadata) AnyType() string { return w.Type }

func (w *wireMetadata) createFromWire() *CreateBackupMetadata {
	return &CreateBackupMetadata{Name: w.Name, Database: w.Database, Progress: w.Progress.fromWire(), CancelTime: tv(w.CancelTime)}
}

func (w *wireMetadata) copyFromWire() *CopyBackupMetadata {
	return &CopyBackupMetadata{Name: w.Name, SourceBackup: w.SourceBackup, Progress: w.Progress.fromWire(), CancelTime: tv(w.CancelTime)}
}

// MarshalJSON writes m as the REST API's CopyBackupMetadata Any, with its
// "@type".
func (m CopyBackupMetadata) MarshalJSON() ([]byte, error) {
	return json.Marshal(wireMetadata{Type: CopyBackupMetadataTypeURL, Name: m.Name, SourceBackup: m.SourceBackup, Progress: m.Progress.toWire(), CancelTime: tp(m.CancelTime)})
}

// UnmarshalJSON reads the REST API's CopyBackupMetadata (an "@type" other
// than CopyBackupMetadataTypeURL is an error).
func (m *CopyBackupMetadata) UnmarshalJSON(data []byte) error {
	var w wireMetadata
	if err := gapi.DecodeAny(data, copyMetadataType, &w); err != nil {
		return err
	}
	*m = *w.copyFromWire()
	return nil
}
