package bigtable

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/backupcopy/backupcopy/internal/gapi"
)

// The one-pass decoding of an operation body (gapi.OperationOf) gives the
// same lro state, or the same error, as the raw Operation followed by
// the kind's StateOf.
func checkOnePassState(t *testing.T, body []byte) {
	t.Helper()
	var op gapi.Operation
	errOld := json.Unmarshal(body, &op)

	c := copyKind.Body()
	errNew := c.DecodeBody(body)
	if fmt.Sprint(errNew) != fmt.Sprint(errOld) {
		t.Fatalf("%s: decode error %v, old %v", body, errNew, errOld)
	}
	if errOld != nil {
		return
	}
	oldCopy, oldCopyErr := copyKind.StateOf(&op)
	newCopy, newCopyErr := copyKind.State(c)
	if fmt.Sprint(oldCopyErr) != fmt.Sprint(newCopyErr) || !reflect.DeepEqual(oldCopy, newCopy) {
		t.Fatalf("%s: copy state %+v, %v; old %+v, %v", body, newCopy, newCopyErr, oldCopy, oldCopyErr)
	}

	cr := createKind.Body()
	if err := cr.DecodeBody(body); err != nil {
		t.Fatalf("%s: create decode: %v", body, err)
	}
	oldCreate, oldCreateErr := createKind.StateOf(&op)
	newCreate, newCreateErr := createKind.State(cr)
	if fmt.Sprint(oldCreateErr) != fmt.Sprint(newCreateErr) || !reflect.DeepEqual(oldCreate, newCreate) {
		t.Fatalf("%s: create state %+v, %v; old %+v, %v", body, newCreate, newCreateErr, oldCreate, oldCreateErr)
	}
}

var onePassBodies = []string{
	`{"name":"operations/projects/p/instances/i/clusters/c/backups/b/operations/1","metadata":{"@type":"type.googleapis.com/google.bigtable.admin.v2.CopyBackupMetadata","name":"projects/p/instances/i/clusters/c/backups/b","sourceBackupInfo":{"backup":"x","sourceTable":"t","startTime":"2026-01-01T00:00:00Z","endTime":"2026-01-01T00:00:01.5+01:00"},"progress":{"progressPercent":140,"startTime":"2026-01-01T00:00:00Z"}}}`,
	`{"name":"o","metadata":{"@type":"type.googleapis.com/google.bigtable.admin.v2.CreateBackupMetadata","name":"n","sourceTable":"t","startTime":"2026-01-01T00:00:00Z","endTime":"2026-01-01T00:00:01Z"}}`,
	`{"name":"o","metadata":{"@type":"type.googleapis.com/google.bigtable.admin.v2.CreateBackupMetadata","requestTime":"2026-01-01T00:00:00Z","finishTime":"2026-01-01T00:00:01Z"},"done":true,"response":{"@type":"type.googleapis.com/google.bigtable.admin.v2.Backup","name":"n","state":"READY"}}`,
	`{"name":"o","done":true,"error":{"code":9,"message":"m"}}`,
	`{"name":"o","metadata":null}`,
	`{"name":"o","metadata":{"name":"no type"}}`,
	`{"name":"o","metadata":{"@type":"type.googleapis.com/other"}}`,
	`{"name":"o","metadata":{"progress":{"startTime":"bad"}}}`,
	`{"name":"o","metadata":{"name":"a"},"metadata":{"sourceBackupInfo":{"backup":"b"}}}`,
	`{"name":"o","metadata":[]}`,
	`{"name":"ö","metadata":{"name":"n"}}`,
	`{"name":"o","done":true}`,
	`{"name":2}`,
	`{`,
}

func TestOnePassStateMatchesOld(t *testing.T) {
	for _, b := range onePassBodies {
		checkOnePassState(t, []byte(b))
	}
}

func FuzzOnePassStateMatchesOld(f *testing.F) {
	for _, b := range onePassBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkOnePassState(t, body) })
}
