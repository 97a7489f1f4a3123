package gapi

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Operation is google.longrunning.Operation as REST JSON.
type Operation struct {
	Name     string          `json:"name"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Done     bool            `json:"done,omitempty"`
	Error    json.RawMessage `json:"error,omitempty"`
	Response json.RawMessage `json:"response,omitempty"`
}

// Time is a timestamp in the REST encoding: RFC 3339, written in UTC with
// microsecond precision (what the APIs keep) and read with any offset and
// 0 to 9 fraction digits. The zero Time encodes as absent when the field has
// omitempty and as null otherwise.
type Time struct{ time.Time }

// MarshalJSON writes t as RFC 3339 UTC with microseconds.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + FormatTime(t.Time) + `"`), nil
}

// UnmarshalJSON reads an RFC 3339 string (or null).
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("timestamp %s: not a JSON string", b)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", s, err)
	}
	t.Time = v
	return nil
}

// IsZero reports whether t is the zero time (so omitempty-like checks work).
func (t Time) IsZero() bool { return t.Time.IsZero() }

// FormatTime formats t as the APIs write timestamps: UTC, microsecond precision.
func FormatTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z")
}

// Int64 is an int64 in the REST encoding: a JSON string ("123"); a bare
// number is accepted too.
type Int64 int64

// MarshalJSON writes i as a JSON string.
func (i Int64) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(i), 10) + `"`), nil
}

// UnmarshalJSON reads a JSON string or number.
func (i *Int64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		*i = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("int64 %s: %w", b, err)
	}
	*i = Int64(v)
	return nil
}

// TypeURL prefixes a fully qualified message name for an Any's "@type".
func TypeURL(fullName string) string { return "type.googleapis.com/" + fullName }

// DecodeAny decodes an Any's JSON into v after checking its "@type" (when
// present) is wantType.
func DecodeAny(raw json.RawMessage, wantType string, v any) error {
	var head struct {
		Type string `json:"@type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return err
	}
	if head.Type != "" && head.Type != TypeURL(wantType) {
		return fmt.Errorf("got %s, want %s", head.Type, TypeURL(wantType))
	}
	return json.Unmarshal(raw, v)
}
