package cbr

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// BenchmarkListPageDecode decodes a full page of a vault's backups list
// with replication records (1,000 backups of one record each, about 1.2
// MB) as the shared polls read it (listedBackup) and as whole backups.
func BenchmarkListPageDecode(b *testing.B) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	const project = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	bs := make([]Backup, cbrListLimit)
	for i := range bs {
		id := fmt.Sprintf("%08d-1111-4222-8333-444455556666", i)
		bs[i] = Backup{ID: id, Name: "backup-" + id[:4], Status: BackupAvailable, ImageType: ImageTypeBackup,
			VaultID: "0aaaaaaa-1111-4222-8333-444455556666", ResourceID: id, ResourceName: "ecs-1234",
			ResourceType: "OS::Nova::Server", CheckpointID: id, ProjectID: project,
			ProviderID: "0daac4c5-6707-4851-97ba-169e36266b66", CreatedAt: now, UpdatedAt: now,
			ReplicationRecords: []ReplicationRecord{{ID: id, Status: ReplicationReplicating, Progress: 42, CreatedAt: now,
				DestinationProjectID: "dest", DestinationRegion: "cn-east-3", DestinationVaultID: id, SourceBackupID: id,
				SourceCheckpointID: id, SourceProjectID: project, SourceRegion: "cn-north-4", VaultID: id}}}
	}
	page, err := json.Marshal(map[string]any{"backups": bs, "count": len(bs)})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("listedBackup", func(b *testing.B) { benchDecode[listedBackup](b, page) })
	b.Run("Backup", func(b *testing.B) { benchDecode[Backup](b, page) })
}

// cbrListLimit is the largest page the fake answers (cbrtest.MaxListLimit).
const cbrListLimit = 1000

func benchDecode[T any](b *testing.B, page []byte) {
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		var v struct {
			Backups []T `json:"backups"`
			Count   int `json:"count"`
		}
		if err := json.Unmarshal(page, &v); err != nil {
			b.Fatal(err)
		}
	}
}
