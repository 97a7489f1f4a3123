package spanner

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/backupcopy/backupcopy/internal/gapi"
)

// The one-pass decoding of an operation body gives the same lro state, or
// the same error, as the raw Operation followed by the kind's StateOf.
func checkOnePassState(t *testing.T, body []byte) {
	t.Helper()
	var op gapi.Operation
	errOld := json.Unmarshal(body, &op)
	{
		k := copyKind
		o := k.Body()
		errNew := o.DecodeBody(body)
		if fmt.Sprint(errNew) != fmt.Sprint(errOld) {
			t.Fatalf("%s: decode error %v, old %v", body, errNew, errOld)
		}
		if errOld != nil {
			return
		}
		want, wantErr := k.StateOf(&op)
		got, gotErr := k.State(o)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: copy state %+v, %v; old %+v, %v", body, got, gotErr, want, wantErr)
		}
	}
	o := createKind.Body()
	if err := o.DecodeBody(body); err != nil {
		t.Fatalf("%s: create decode: %v", body, err)
	}
	want, wantErr := createKind.StateOf(&op)
	got, gotErr := createKind.State(o)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: create state %+v, %v; old %+v, %v", body, got, gotErr, want, wantErr)
	}
}

var onePassBodies = []string{
	`{"name":"projects/p/instances/i/backups/b/operations/1","metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CopyBackupMetadata","name":"projects/p/instances/i/backups/b","sourceBackup":"projects/p/instances/i/backups/s","progress":{"progressPercent":40,"startTime":"2026-01-01T00:00:00.123456Z"},"cancelTime":"2026-01-01T00:00:01Z"}}`,
	`{"name":"o","metadata":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.CreateBackupMetadata","name":"n","database":"d","progress":{"progressPercent":100,"startTime":"2026-01-01T00:00:00Z","endTime":"2026-01-01T00:00:02Z"}},"done":true,"response":{"@type":"type.googleapis.com/google.spanner.admin.database.v1.Backup","name":"n","state":"READY"}}`,
	`{"name":"o","done":true,"error":{"code":1,"message":"cancelled"}}`,
	`{"name":"o","metadata":null}`,
	`{"name":"o","metadata":{"name":"no type"}}`,
	`{"name":"o","metadata":{"@type":"type.googleapis.com/other"}}`,
	`{"name":"o","metadata":{"progress":{"progressPercent":"x"}}}`,
	`{"name":"o","metadata":{"name":"a"},"metadata":{"database":"b"}}`,
	`{"name":"o","metadata":"s"}`,
	`{"name":"o","done":true}`,
	`{"name":2}`,
	`[`,
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
