package bigtable

import (
	"encoding/json"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy/internal/gapi"
)

// BackupState is the state of a backup.
type BackupState string

// Backup states.
const (
	// BackupStateUnspecified is the zero value the API may report.
	BackupStateUnspecified BackupState = "STATE_UNSPECIFIED"
	// BackupCreating: the backup is still being created (or copied).
	BackupCreating BackupState = "CREATING"
	// BackupReady: the backup is complete and ready for use.
	BackupReady BackupState = "READY"
)

// BackupType is the kind of a backup.
type BackupType string

// Backup types.
const (
	BackupTypeUnspecified BackupType = "BACKUP_TYPE_UNSPECIFIED"
	// BackupTypeStandard is the default backup type.
	BackupTypeStandard BackupType = "STANDARD"
	// BackupTypeHot restores faster to SSD; SSD instances only. A hot backup
	// becomes standard at HotToStandardTime.
	BackupTypeHot BackupType = "HOT"
)

// EncryptionType says how a backup's data is encrypted at rest.
type EncryptionType string

// Encryption types.
const (
	EncryptionTypeUnspecified EncryptionType = "ENCRYPTION_TYPE_UNSPECIFIED"
	// GoogleDefaultEncryption: a key fully managed by Google.
	GoogleDefaultEncryption EncryptionType = "GOOGLE_DEFAULT_ENCRYPTION"
	// CustomerManagedEncryption: a Cloud KMS key managed by the customer
	// (CMEK); KMSKeyVersion names the pinned key version.
	CustomerManagedEncryption EncryptionType = "CUSTOMER_MANAGED_ENCRYPTION"
)

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

// EncryptionInfo is the encryption of a backup. The zero value means the API
// reported none.
type EncryptionInfo struct {
	// Type is how the backup is encrypted.
	Type EncryptionType
	// KMSKeyVersion is the Cloud KMS key version in use (CMEK only).
	KMSKeyVersion string
	// Status is the status of the key's encrypt/decrypt calls, if reported
	// (for CMEK backups it is UNKNOWN); the zero value otherwise.
	Status Status
}

// Backup is a Cloud Bigtable backup (google.bigtable.admin.v2.Backup). Times
// are UTC with every fraction digit the service wrote (up to nanoseconds);
// zero times were absent.
type Backup struct {
	// Name is projects/{project}/instances/{instance}/clusters/{cluster}/backups/{backup}.
	Name string
	// SourceTable is projects/{project}/instances/{instance}/tables/{table}.
	SourceTable string
	// SourceBackup is the backup this one was copied from; empty unless the
	// backup is a copy.
	SourceBackup string
	// ExpireTime is when Bigtable deletes the backup.
	ExpireTime time.Time
	// StartTime and EndTime bound the backup's data (EndTime is zero while
	// the backup is being created).
	StartTime, EndTime time.Time
	// SizeBytes is the size of the backup.
	SizeBytes int64
	// State is BackupCreating until the backup is ready, then BackupReady.
	State BackupState
	// EncryptionInfo is output only.
	EncryptionInfo EncryptionInfo
	// BackupType is STANDARD or HOT (empty: the service's default, STANDARD).
	BackupType BackupType
	// HotToStandardTime is when a hot backup becomes a standard one.
	HotToStandardTime time.Time
}

// BackupInfo describes the source of a copy.
type BackupInfo struct {
	// Backup is the source backup's name.
	Backup string
	// SourceTable is the table the source backup was made from.
	SourceTable string
	// SourceBackup is set when the source is itself a copy.
	SourceBackup string
	// StartTime and EndTime bound the source backup's data.
	StartTime, EndTime time.Time
}

// OperationProgress is the progress of a copy.
type OperationProgress struct {
	// Percent is 0-100.
	Percent int
	// StartTime is when the request was received; EndTime when the operation
	// finished (zero while it runs).
	StartTime, EndTime time.Time
}

// CopyBackupMetadata is the metadata of a copy operation
// (google.bigtable.admin.v2.CopyBackupMetadata).
type CopyBackupMetadata struct {
	// Name is the new backup's name.
	Name string
	// SourceBackupInfo describes the backup being copied.
	SourceBackupInfo BackupInfo
	// Progress is how far the copy has come.
	Progress OperationProgress
}

// CreateBackupMetadata is the metadata of a create operation
// (google.bigtable.admin.v2.CreateBackupMetadata). The API reports no
// progress percent for it.
type CreateBackupMetadata struct {
	// Name is the new backup's name.
	Name string
	// SourceTable is the table being backed up.
	SourceTable string
	// RequestTime is when the request was received; FinishTime when the
	// operation ended (zero while it runs).
	RequestTime, FinishTime time.Time
}

// Wire types: the REST JSON encoding (RFC 3339 times, int64 as strings).

type wireStatus struct {
	Code    int             `json:"code,omitempty"`
	Message string          `json:"message,omitempty"`
	Details json.RawMessage `json:"details,omitempty"`
}

type wireEncryptionInfo struct {
	EncryptionType   string      `json:"encryptionType,omitempty"`
	EncryptionStatus *wireStatus `json:"encryptionStatus,omitempty"`
	KMSKeyVersion    string      `json:"kmsKeyVersion,omitempty"`
}

type wireBackup struct {
	Name              string              `json:"name,omitempty"`
	SourceTable       string              `json:"sourceTable,omitempty"`
	SourceBackup      string              `json:"sourceBackup,omitempty"`
	ExpireTime        gapi.Time           `json:"expireTime,omitzero"`
	StartTime         gapi.Time           `json:"startTime,omitzero"`
	EndTime           gapi.Time           `json:"endTime,omitzero"`
	SizeBytes         gapi.Int64          `json:"sizeBytes,omitempty"`
	State             string              `json:"state,omitempty"`
	EncryptionInfo    *wireEncryptionInfo `json:"encryptionInfo,omitempty"`
	BackupType        string              `json:"backupType,omitempty"`
	HotToStandardTime gapi.Time           `json:"hotToStandardTime,omitzero"`
}

// inUTC is a decoded time in UTC, every digit kept (zero stays zero).
func inUTC(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// micro is a request's time as the service keeps it: UTC, microseconds.
func micro(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

func wt(t time.Time) gapi.Time { return gapi.Time{Time: t} }

// MarshalJSON encodes b in the REST encoding of google.bigtable.admin.v2.Backup,
// leaving out empty fields.
func (b Backup) MarshalJSON() ([]byte, error) {
	w := wireBackup{
		Name: b.Name, SourceTable: b.SourceTable, SourceBackup: b.SourceBackup,
		ExpireTime: wt(b.ExpireTime), StartTime: wt(b.StartTime), EndTime: wt(b.EndTime),
		SizeBytes: gapi.Int64(b.SizeBytes), State: string(b.State), BackupType: string(b.BackupType),
		HotToStandardTime: wt(b.HotToStandardTime),
	}
	if e := b.EncryptionInfo; e != (EncryptionInfo{}) {
		w.EncryptionInfo = &wireEncryptionInfo{EncryptionType: string(e.Type), KMSKeyVersion: e.KMSKeyVersion}
		if e.Status != (Status{}) {
			w.EncryptionInfo.EncryptionStatus = &wireStatus{Code: int(e.Status.Code), Message: e.Status.Message}
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes the REST encoding of google.bigtable.admin.v2.Backup.
// Unknown fields are ignored.
func (b *Backup) UnmarshalJSON(data []byte) error {
	var w wireBackup
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*b = Backup{
		Name: w.Name, SourceTable: w.SourceTable, SourceBackup: w.SourceBackup,
		ExpireTime: inUTC(w.ExpireTime.Time), StartTime: inUTC(w.StartTime.Time), EndTime: inUTC(w.EndTime.Time),
		SizeBytes: int64(w.SizeBytes), State: BackupState(w.State), BackupType: BackupType(w.BackupType),
		HotToStandardTime: inUTC(w.HotToStandardTime.Time),
	}
	if e := w.EncryptionInfo; e != nil {
		b.EncryptionInfo = EncryptionInfo{Type: EncryptionType(e.EncryptionType), KMSKeyVersion: e.KMSKeyVersion}
		if s := e.EncryptionStatus; s != nil {
			b.EncryptionInfo.Status = Status{Code: codes.Code(s.Code), Message: s.Message}
		}
	}
	return nil
}

type wireBackupInfo struct {
	Backup       string    `json:"backup,omitempty"`
	SourceTable  string    `json:"sourceTable,omitempty"`
	SourceBackup string    `json:"sourceBackup,omitempty"`
	StartTime    gapi.Time `json:"startTime,omitzero"`
	EndTime      gapi.Time `json:"endTime,omitzero"`
}

type wireProgress struct {
	ProgressPercent int       `json:"progressPercent,omitempty"`
	StartTime       gapi.Time `json:"startTime,omitzero"`
	EndTime         gapi.Time `json:"endTime,omitzero"`
}

type wireCopyMetadata struct {
	Type             string          `json:"@type,omitempty"`
	Name             string          `json:"name,omitempty"`
	SourceBackupInfo *wireBackupInfo `json:"sourceBackupInfo,omitempty"`
	Progress         *wireProgress   `json:"progress,omitempty"`
}

// Type names, as in an Any's "@type" after type.googleapis.com/.
const (
	copyMetadataType   = "google.bigtable.admin.v2.CopyBackupMetadata"
	createMetadataType = "google.bigtable.admin.v2.CreateBackupMetadata"
	backupType         = "google.bigtable.admin.v2.Backup"
)

// The same as type URLs (gapi.TypeURL), as constants.
const (
	copyMetadataTypeURL   = "type.googleapis.com/" + copyMetadataType
	createMetadataTypeURL = "type.googleapis.com/" + createMetadataType
)

// MarshalJSON encodes m as the REST encoding of an Any holding a
// google.bigtable.admin.v2.CopyBackupMetadata (with its "@type").
func (m CopyBackupMetadata) MarshalJSON() ([]byte, error) {
	w := wireCopyMetadata{Type: gapi.TypeURL(copyMetadataType), Name: m.Name}
	if i := m.SourceBackupInfo; i != (BackupInfo{}) {
		w.SourceBackupInfo = &wireBackupInfo{Backup: i.Backup, SourceTable: i.SourceTable, SourceBackup: i.SourceBackup, StartTime: wt(i.StartTime), EndTime: wt(i.EndTime)}
	}
	if p := m.Progress; p != (OperationProgress{}) {
		w.Progress = &wireProgress{ProgressPercent: p.Percent, StartTime: wt(p.StartTime), EndTime: wt(p.EndTime)}
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes the REST encoding of a CopyBackupMetadata (an
// "@type" field, if present, is not checked here).
func (m *CopyBackupMetadata) UnmarshalJSON(data []byte) error {
	var w wireCopyMetadata
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*m = *w.fromWire()
	return nil
}

// AnyType returns the decoded "@type" (gapi.AnyMessage).
func (w wireCopyMetadata) AnyType() string { return w.Type }

func (w *wireCopyMetadata) fromWire() *CopyBackupMetadata {
	m := &CopyBackupMetadata{Name: w.Name}
	if i := w.SourceBackupInfo; i != nil {
		m.SourceBackupInfo = BackupInfo{Backup: i.Backup, SourceTable: i.SourceTable, SourceBackup: i.SourceBackup, StartTime: inUTC(i.StartTime.Time), EndTime: inUTC(i.EndTime.Time)}
	}
	if p := w.Progress; p != nil {
		m.Progress = OperationProgress{Percent: p.ProgressPercent, StartTime: inUTC(p.StartTime.Time), EndTime: inUTC(p.EndTime.Time)}
	}
	return m
}

type wireCreateMetadata struct {
	Type        string    `json:"@type,omitempty"`
	Name        string    `json:"name,omitempty"`
	SourceTable string    `json:"sourceTable,omitempty"`
	RequestTime gapi.Time `json:"requestTime,omitzero"`
	FinishTime  gapi.Time `json:"finishTime,omitzero"`
	// Deprecated spellings of RequestTime and FinishTime, still sent.
	StartTime gapi.Time `json:"startTime,omitzero"`
	EndTime   gapi.Time `json:"endTime,omitzero"`
}

// MarshalJSON encodes m as the REST encoding of an Any holding a
// google.bigtable.admin.v2.CreateBackupMetadata, writing both the current
// (requestTime, finishTime) and the deprecated (startTime, endTime) fields.
func (m CreateBackupMetadata) MarshalJSON() ([]byte, error) {
	return json.Marshal(wireCreateMetadata{
		Type: gapi.TypeURL(createMetadataType), Name: m.Name, SourceTable: m.SourceTable,
		RequestTime: wt(m.RequestTime), FinishTime: wt(m.FinishTime), StartTime: wt(m.RequestTime), EndTime: wt(m.FinishTime),
	})
}

// UnmarshalJSON decodes the REST encoding of a CreateBackupMetadata; the
// deprecated startTime/endTime fill RequestTime/FinishTime when the current
// fields are absent.
func (m *CreateBackupMetadata) UnmarshalJSON(data []byte) error {
	var w wireCreateMetadata
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*m = *w.fromWire()
	return nil
}

// AnyType returns the decoded "@type" (gapi.AnyMessage).
func (w wireCreateMetadata) AnyType() string { return w.Type }

func (w *wireCreateMetadata) fromWire() *CreateBackupMetadata {
	m := &CreateBackupMetadata{Name: w.Name, SourceTable: w.SourceTable, RequestTime: inUTC(w.RequestTime.Time), FinishTime: inUTC(w.FinishTime.Time)}
	if m.RequestTime.IsZero() {
		m.RequestTime = inUTC(w.StartTime.Time)
	}
	if m.FinishTime.IsZero() {
		m.FinishTime = inUTC(w.EndTime.Time)
	}
	return m
}
