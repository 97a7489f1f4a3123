package gapi

import (
	"encoding/json"
	"reflect"
	"testing"
)

type testProgress struct {
	Percent int  `json:"progressPercent,omitempty"`
	Start   Time `json:"startTime,omitzero"`
}

type testMeta struct {
	Type     string        `json:"@type,omitempty"`
	Name     string        `json:"name,omitempty"`
	Progress *testProgress `json:"progress,omitempty"`
	Size     Int64         `json:"sizeBytes,omitempty"`
}

func (m testMeta) AnyType() string { return m.Type }

const testType = "google.test.v1.Meta"

// oldDecode is the decoding OperationOf replaces: the Operation with raw
// metadata, then DecodeAny.
func oldDecode(data []byte) (op Operation, meta *testMeta, opErr, metaErr error) {
	if opErr = json.Unmarshal(data, &op); opErr != nil {
		return op, nil, opErr, nil
	}
	if len(op.Metadata) > 0 && string(op.Metadata) != "null" {
		meta = new(testMeta)
		if metaErr = DecodeAny(op.Metadata, testType, meta); metaErr != nil {
			meta = nil
		}
	}
	return op, meta, nil, metaErr
}

func checkOnePass(t *testing.T, data []byte) *OperationOf[testMeta] {
	t.Helper()
	wantOp, wantMeta, wantErr, wantMetaErr := oldDecode(data)
	got := &OperationOf[testMeta]{Want: TypeURL(testType)}
	err := got.DecodeBody(data)
	if !reflect.DeepEqual(err, wantErr) {
		t.Fatalf("%s: error %v, old %v", data, err, wantErr)
	}
	if err != nil {
		return got
	}
	if got.Want != TypeURL(testType) {
		t.Fatalf("Want lost: %q", got.Want)
	}
	if got.Slow {
		// The caller decodes the raw metadata as before.
		if !reflect.DeepEqual(got.Operation, wantOp) || got.Meta != nil {
			t.Fatalf("%s: slow path %+v, old %+v", data, got, wantOp)
		}
		return got
	}
	if wantMetaErr != nil {
		t.Fatalf("%s: one pass accepted metadata the old decoding refuses (%v)", data, wantMetaErr)
	}
	if got.Operation.Metadata != nil {
		t.Fatalf("one pass kept raw metadata")
	}
	wantOp.Metadata = nil
	if !reflect.DeepEqual(got.Operation, wantOp) {
		t.Fatalf("%s: operation %+v, old %+v", data, got.Operation, wantOp)
	}
	if !reflect.DeepEqual(got.Meta, wantMeta) {
		t.Fatalf("%s: metadata %+v, old %+v", data, got.Meta, wantMeta)
	}
	return got
}

func TestOperationOfMatchesOld(t *testing.T) {
	for _, tc := range []struct {
		data string
		slow bool
	}{
		{`{"name":"o","metadata":{"@type":"type.googleapis.com/google.test.v1.Meta","name":"n","progress":{"progressPercent":5,"startTime":"2026-01-01T00:00:00Z"},"sizeBytes":"7"}}`, false},
		{`{"name":"o","metadata":{"name":"n"}}`, false},
		{`{"name":"o","metadata":null,"done":true,"response":{"x":1}}`, false},
		{`{"name":"o","done":true,"error":{"code":5}}`, false},
		{`{"name":"o"}`, false},
		{`{"name":"o","metadata":{"@type":"type.googleapis.com/other","name":"n"}}`, true},
		{`{"name":"o","metadata":{"progress":"x"}}`, true},
		{`{"name":"o","metadata":[1]}`, true},
		{`{"name":"o","metadata":"s"}`, true},
		{`{"name":"o","metadata":{"name":"a","sizeBytes":"1"},"metadata":{"name":"b"}}`, true}, // last one wins, no merging
		{`{"name":"o","METADATA":{"name":"a"},"metadata":{"sizeBytes":"2"}}`, true},
		{`{"name":"o","m\u0065tadata":{"name":"a"}}`, true},
		{`{"name":"é","metadata":{"name":"a"}}`, true},
		{`{"name":"o","metadata":{"progress":{"startTime":"2026-13-01T00:00:00Z"}}}`, true},
		{`{"name":1}`, true},
		{`not json`, true},
	} {
		got := checkOnePass(t, []byte(tc.data))
		if got.Slow != tc.slow {
			t.Errorf("%s: slow %v, want %v", tc.data, got.Slow, tc.slow)
		}
	}
	// Duplicate metadata: the old way keeps only the last object.
	got := checkOnePass(t, []byte(`{"name":"o","metadata":{"name":"a","sizeBytes":"1"},"metadata":{"name":"b"}}`))
	if got.Slow {
		var m testMeta
		if err := DecodeAny(got.Operation.Metadata, testType, &m); err != nil || m.Name != "b" || m.Size != 0 {
			t.Fatalf("duplicate metadata: %+v %v", m, err)
		}
	}
}

func FuzzOperationOfMatchesOld(f *testing.F) {
	f.Add([]byte(`{"name":"o","metadata":{"@type":"type.googleapis.com/google.test.v1.Meta","name":"n","progress":{"progressPercent":5,"startTime":"2026-01-01T00:00:00Z"}}}`))
	f.Add([]byte(`{"name":"o","metadata":{"name":"a"},"Metadata":{"name":"b"},"done":true}`))
	f.Add([]byte(`{"name":"o","metadata":{"@type":"x"}}`))
	f.Add([]byte(`{"metadata":{"progress":null,"sizeBytes":12}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkOnePass(t, data)
	})
}
