package spanner

import (
	"encoding/json"
	"testing"
)

// FuzzBackupJSON: any input either fails to decode or decodes to a Backup
// whose encoding decodes again to the same encoding.
func FuzzBackupJSON(f *testing.F) {
	f.Add(`{"name":"projects/p/instances/i/backups/b","sizeBytes":"12","expireTime":"2026-11-22T10:00:00.1234567Z"}`)
	f.Add(`{"encryptionInfo":{"encryptionStatus":{"code":99,"details":[{"@type":"x"}]}},"instancePartitions":[{}]}`)
	f.Add(`{"sizeBytes":-1,"state":"READY","encryptionInformation":[null]}`)
	f.Fuzz(func(t *testing.T, in string) {
		var b Backup
		if json.Unmarshal([]byte(in), &b) != nil {
			return
		}
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var again Backup
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		out2, _ := json.Marshal(again)
		if string(out) != string(out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}
