package cbr

import (
	"encoding/json"
	"strings"
	"time"
)

// BackupStatus is the status of a backup (Backup.Status).
type BackupStatus string

// The documented backup statuses.
const (
	BackupAvailable      BackupStatus = "available"
	BackupProtecting     BackupStatus = "protecting"
	BackupDeleting       BackupStatus = "deleting"
	BackupRestoring      BackupStatus = "restoring"
	BackupError          BackupStatus = "error"
	BackupWaitingProtect BackupStatus = "waiting_protect"
	BackupWaitingDelete  BackupStatus = "waiting_delete"
	BackupWaitingRestore BackupStatus = "waiting_restore"
)

// ImageType is the kind of a backup (Backup.ImageType).
type ImageType string

// The documented image types.
const (
	// ImageTypeBackup is an ordinary backup; only these can be replicated.
	ImageTypeBackup ImageType = "backup"
	// ImageTypeReplication is a replica made by a replication.
	ImageTypeReplication ImageType = "replication"
)

// ReplicationStatus is the status of a replication record
// (ReplicationRecord.Status).
type ReplicationStatus string

// The documented replication record statuses.
const (
	// ReplicationWaiting: the replication is queued.
	ReplicationWaiting ReplicationStatus = "waiting_replicate"
	// ReplicationReplicating: the replication is running.
	ReplicationReplicating ReplicationStatus = "replicating"
	// ReplicationSuccess: the replica exists (DestinationBackupID).
	ReplicationSuccess ReplicationStatus = "success"
	// ReplicationFail: the replication failed (FailCode, FailReason).
	ReplicationFail ReplicationStatus = "fail"
	// ReplicationSkip: the replication was skipped.
	ReplicationSkip ReplicationStatus = "skip"
)

// Replication is the answer to a replicate call (the 200 body of
// POST /v3/{project_id}/backups/{backup_id}/replicate): the replication has
// been accepted and runs asynchronously.
type Replication struct {
	// BackupID is the source backup.
	BackupID string `json:"backup_id"`
	// DestinationProjectID is the project that receives the replica.
	DestinationProjectID string `json:"destination_project_id"`
	// DestinationRegion is the region that receives the replica.
	DestinationRegion string `json:"destination_region"`
	// DestinationVaultID is the vault that receives the replica.
	DestinationVaultID string `json:"destination_vault_id"`
	// ProjectID is the project where the replication runs (the source's).
	ProjectID string `json:"project_id"`
	// ProviderID is the resource type ID (for example
	// 0daac4c5-6707-4851-97ba-169e36266b66 for cloud servers).
	ProviderID string `json:"provider_id"`
	// ReplicationRecordID identifies the record on the source backup that
	// follows this replication.
	ReplicationRecordID string `json:"replication_record_id"`
	// SourceRegion is the source backup's region.
	SourceRegion string `json:"source_region"`
}

// ReplicationRecord is one entry of a backup's replication_records: the state
// of one replication of that backup.
type ReplicationRecord struct {
	// ID is the record ID (Replication.ReplicationRecordID).
	ID string
	// Status is one of ReplicationWaiting, ReplicationReplicating,
	// ReplicationSuccess, ReplicationFail, ReplicationSkip.
	Status ReplicationStatus
	// DestinationBackupID is the replica, set once the replication succeeded.
	DestinationBackupID string
	// Progress is extra_info.progress, 0-100.
	Progress int
	// CreatedAt is when the replication started.
	CreatedAt time.Time
	// DestinationCheckpointID is the replica's restore point, once made.
	DestinationCheckpointID string
	// DestinationProjectID is the project that receives the replica.
	DestinationProjectID string
	// DestinationRegion is the region that receives the replica.
	DestinationRegion string
	// DestinationVaultID is the vault that receives the replica.
	DestinationVaultID string
	// SourceBackupID is the backup being replicated.
	SourceBackupID string
	// SourceCheckpointID is the source backup's restore point.
	SourceCheckpointID string
	// SourceProjectID is the source backup's project.
	SourceProjectID string
	// SourceRegion is the source backup's region.
	SourceRegion string
	// VaultID is the source backup's vault.
	VaultID string
	// FailCode and FailReason explain a failed replication
	// (extra_info.fail_code, extra_info.fail_reason).
	FailCode, FailReason string
	// AutoTrigger is true for a replication started by a policy.
	AutoTrigger bool
}

// Backup is a CBR backup (GET /v3/{project_id}/backups/{backup_id}).
type Backup struct {
	// ID is the backup ID.
	ID string
	// Name is the backup's name.
	Name string
	// Status is one of the BackupStatus constants (BackupAvailable, ...).
	Status BackupStatus
	// ImageType is ImageTypeBackup or ImageTypeReplication.
	ImageType ImageType
	// VaultID is the vault holding the backup.
	VaultID string
	// ResourceID, ResourceName and ResourceType name the backed-up resource
	// (for example OS::Nova::Server for a cloud server).
	ResourceID, ResourceName, ResourceType string
	// ResourceAZ is the backed-up resource's availability zone.
	ResourceAZ string
	// ResourceSize is the backed-up resource's size, in GB.
	ResourceSize int
	// CheckpointID is the restore point the backup belongs to.
	CheckpointID string
	// Description is the backup's description.
	Description string
	// ParentID is the source backup of a replica (empty otherwise).
	ParentID string
	// ProjectID is the backup's project.
	ProjectID string
	// ProviderID is the resource type ID (for example
	// 0daac4c5-6707-4851-97ba-169e36266b66 for cloud servers).
	ProviderID string
	// EnterpriseProjectID is the enterprise project, "0" for the default.
	EnterpriseProjectID string
	// ProtectedAt is when the backup's data was captured, as CBR writes it.
	ProtectedAt string
	// CreatedAt, UpdatedAt and ExpiredAt are when the backup was created,
	// last changed, and when it expires (zero if it does not).
	CreatedAt, UpdatedAt, ExpiredAt time.Time
	// Incremental is true for an incremental backup.
	Incremental bool
	// ReplicationRecords lists the replications of this backup.
	ReplicationRecords []ReplicationRecord
}

// RegionCapability is one entry of the replication capabilities: the
// regions a backup in Name may be replicated to.
type RegionCapability struct {
	// Name is the source region.
	Name string `json:"name"`
	// ReplicationDestinations are the regions its backups may be replicated
	// to.
	ReplicationDestinations []string `json:"replication_destinations"`
}

// wireTimeLayout is how CBR writes times: UTC, microseconds, no zone.
// wireTimeLayoutNano is the same with nanoseconds, for a time that has
// digits beyond the microsecond (never from CBR, but kept when written).
const (
	wireTimeLayout     = "2006-01-02T15:04:05.000000"
	wireTimeLayoutNano = "2006-01-02T15:04:05.000000000"
)

// wireTime reads the time formats CBR uses (zone-less UTC with or without a
// fraction, a space instead of T, or RFC 3339), keeping every fraction
// digit, and writes the first (with nine digits when six would lose some).
type wireTime struct{ t time.Time }

func (w wireTime) MarshalJSON() ([]byte, error) {
	t := w.t.UTC()
	if t.Nanosecond()%1000 != 0 {
		return json.Marshal(t.Format(wireTimeLayoutNano))
	}
	return json.Marshal(t.Format(wireTimeLayout))
}

func (w *wireTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return nil // null or a non-string: leave the zero time
	}
	w.t = parseWireTime(s)
	return nil
}

func parseWireTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			if u := t.UTC(); u.Year() >= 1 && u.Year() <= 9999 {
				return u // an offset may push it out of what the writer can write back
			}
			return time.Time{}
		}
	}
	return time.Time{}
}

func toWireTime(t time.Time) *wireTime {
	if t.IsZero() {
		return nil
	}
	return &wireTime{t}
}

func fromWireTime(w *wireTime) time.Time {
	if w == nil {
		return time.Time{}
	}
	return w.t
}

type wireExtraInfo struct {
	Progress           *int   `json:"progress,omitempty"`
	FailCode           string `json:"fail_code,omitempty"`
	FailReason         string `json:"fail_reason,omitempty"`
	AutoTrigger        bool   `json:"auto_trigger,omitempty"`
	DestinationVaultID string `json:"destination_vault_id,omitempty"`
}

type wireRecord struct {
	ID                      string            `json:"id"`
	Status                  ReplicationStatus `json:"status,omitempty"`
	CreatedAt               *wireTime         `json:"created_at,omitempty"`
	DestinationBackupID     string            `json:"destination_backup_id,omitempty"`
	DestinationCheckpointID string            `json:"destination_checkpoint_id,omitempty"`
	DestinationProjectID    string            `json:"destination_project_id,omitempty"`
	DestinationRegion       string            `json:"destination_region,omitempty"`
	DestinationVaultID      string            `json:"destination_vault_id,omitempty"`
	SourceBackupID          string            `json:"source_backup_id,omitempty"`
	SourceCheckpointID      string            `json:"source_checkpoint_id,omitempty"`
	SourceProjectID         string            `json:"source_project_id,omitempty"`
	SourceRegion            string            `json:"source_region,omitempty"`
	VaultID                 string            `json:"vault_id,omitempty"`
	ExtraInfo               *wireExtraInfo    `json:"extra_info,omitempty"`
}

// MarshalJSON writes the record as CBR does (one replication_records entry).
func (r ReplicationRecord) MarshalJSON() ([]byte, error) {
	p := r.Progress
	w := wireRecord{
		ID: r.ID, Status: r.Status, CreatedAt: toWireTime(r.CreatedAt),
		DestinationBackupID: r.DestinationBackupID, DestinationCheckpointID: r.DestinationCheckpointID,
		DestinationProjectID: r.DestinationProjectID, DestinationRegion: r.DestinationRegion,
		DestinationVaultID: r.DestinationVaultID, SourceBackupID: r.SourceBackupID,
		SourceCheckpointID: r.SourceCheckpointID, SourceProjectID: r.SourceProjectID,
		SourceRegion: r.SourceRegion, VaultID: r.VaultID,
		ExtraInfo: &wireExtraInfo{Progress: &p, FailCode: r.FailCode, FailReason: r.FailReason, AutoTrigger: r.AutoTrigger},
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads one replication_records entry.
func (r *ReplicationRecord) UnmarshalJSON(b []byte) error {
	var w wireRecord
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = w.record()
	return nil
}

// record is the ReplicationRecord w describes.
func (w *wireRecord) record() ReplicationRecord {
	r := ReplicationRecord{
		ID: w.ID, Status: w.Status, CreatedAt: fromWireTime(w.CreatedAt),
		DestinationBackupID: w.DestinationBackupID, DestinationCheckpointID: w.DestinationCheckpointID,
		DestinationProjectID: w.DestinationProjectID, DestinationRegion: w.DestinationRegion,
		DestinationVaultID: w.DestinationVaultID, SourceBackupID: w.SourceBackupID,
		SourceCheckpointID: w.SourceCheckpointID, SourceProjectID: w.SourceProjectID,
		SourceRegion: w.SourceRegion, VaultID: w.VaultID,
	}
	if x := w.ExtraInfo; x != nil {
		if x.Progress != nil {
			r.Progress = min(max(*x.Progress, 0), 100)
		}
		r.FailCode, r.FailReason, r.AutoTrigger = x.FailCode, x.FailReason, x.AutoTrigger
		if r.DestinationVaultID == "" {
			r.DestinationVaultID = x.DestinationVaultID
		}
	}
	return r
}

type wireBackup struct {
	ID                  string              `json:"id"`
	Name                string              `json:"name"`
	Status              BackupStatus        `json:"status"`
	ImageType           ImageType           `json:"image_type"`
	VaultID             string              `json:"vault_id"`
	ResourceID          string              `json:"resource_id"`
	ResourceName        string              `json:"resource_name"`
	ResourceType        string              `json:"resource_type"`
	ResourceAZ          string              `json:"resource_az"`
	ResourceSize        int                 `json:"resource_size"`
	CheckpointID        string              `json:"checkpoint_id"`
	Description         string              `json:"description"`
	ParentID            string              `json:"parent_id"`
	ProjectID           string              `json:"project_id"`
	ProviderID          string              `json:"provider_id"`
	EnterpriseProjectID string              `json:"enterprise_project_id,omitempty"`
	ProtectedAt         string              `json:"protected_at"`
	CreatedAt           *wireTime           `json:"created_at,omitempty"`
	UpdatedAt           *wireTime           `json:"updated_at,omitempty"`
	ExpiredAt           *wireTime           `json:"expired_at,omitempty"`
	Incremental         bool                `json:"incremental"`
	ReplicationRecords  []ReplicationRecord `json:"replication_records"`
}

// MarshalJSON writes the backup as CBR does (the "backup" object of
// GET /v3/{project_id}/backups/{backup_id}).
func (b Backup) MarshalJSON() ([]byte, error) {
	recs := b.ReplicationRecords
	if recs == nil {
		recs = []ReplicationRecord{}
	}
	return json.Marshal(wireBackup{
		ID: b.ID, Name: b.Name, Status: b.Status, ImageType: b.ImageType, VaultID: b.VaultID,
		ResourceID: b.ResourceID, ResourceName: b.ResourceName, ResourceType: b.ResourceType,
		ResourceAZ: b.ResourceAZ, ResourceSize: b.ResourceSize, CheckpointID: b.CheckpointID,
		Description: b.Description, ParentID: b.ParentID, ProjectID: b.ProjectID,
		ProviderID: b.ProviderID, EnterpriseProjectID: b.EnterpriseProjectID, ProtectedAt: b.ProtectedAt,
		CreatedAt: toWireTime(b.CreatedAt), UpdatedAt: toWireTime(b.UpdatedAt), ExpiredAt: toWireTime(b.ExpiredAt),
		Incremental: b.Incremental, ReplicationRecords: recs,
	})
}

// UnmarshalJSON reads a CBR backup object; unknown fields are ignored.
func (b *Backup) UnmarshalJSON(data []byte) error {
	var w wireBackup
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*b = Backup{
		ID: w.ID, Name: w.Name, Status: w.Status, ImageType: w.ImageType, VaultID: w.VaultID,
		ResourceID: w.ResourceID, ResourceName: w.ResourceName, ResourceType: w.ResourceType,
		ResourceAZ: w.ResourceAZ, ResourceSize: w.ResourceSize, CheckpointID: w.CheckpointID,
		Description: w.Description, ParentID: w.ParentID, ProjectID: w.ProjectID,
		ProviderID: w.ProviderID, EnterpriseProjectID: w.EnterpriseProjectID, ProtectedAt: w.ProtectedAt,
		CreatedAt: fromWireTime(w.CreatedAt), UpdatedAt: fromWireTime(w.UpdatedAt), ExpiredAt: fromWireTime(w.ExpiredAt),
		Incremental: w.Incremental, ReplicationRecords: w.ReplicationRecords,
	}
	return nil
}

// record returns the replication record with id, or nil.
func (b *Backup) record(id string) *ReplicationRecord {
	for i := range b.ReplicationRecords {
		if b.ReplicationRecords[i].ID == id {
			return &b.ReplicationRecords[i]
		}
	}
	return nil
}
