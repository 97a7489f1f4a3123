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

// Time is a timestamp in the REST encoding: an RFC 3339 string, read with
// any offset and 0 to 9 fraction digits, every digit kept, and written as
// Google writes a google.protobuf.Timestamp (FormatTimestamp). The zero
// Time encodes as absent when the field has omitzero and as null otherwise.
type Time struct{ time.Time }

// MarshalJSON writes t with FormatTimestamp.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + FormatTimestamp(t.Time) + `"`), nil
}

// UnmarshalJSON reads an RFC 3339 string (or null), keeping every fraction
// digit, within the years 1-9999 UTC of a google.protobuf.Timestamp.
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
	// An offset can push a parsed value outside the Timestamp range, where
	// FormatTimestamp could not write it back.
	if u := v.UTC(); u.Year() < 1 || u.Year() > 9999 {
		return fmt.Errorf("timestamp %q: outside 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z", s)
	}
	t.Time = v
	return nil
}

// IsZero reports whether t is the zero time (so omitempty-like checks work).
func (t Time) IsZero() bool { return t.Time.IsZero() }

// FormatTimestamp writes t as Google writes a google.protobuf.Timestamp in
// JSON: UTC, with 0, 3, 6 or 9 fraction digits, the fewest that keep every
// digit of t.
func FormatTimestamp(t time.Time) string {
	t = t.UTC()
	layout := "2006-01-02T15:04:05Z"
	switch ns := t.Nanosecond(); {
	case ns == 0:
	case ns%1e6 == 0:
		layout = "2006-01-02T15:04:05.000Z"
	case ns%1e3 == 0:
		layout = "2006-01-02T15:04:05.000000Z"
	default:
		layout = "2006-01-02T15:04:05.000000000Z"
	}
	return t.Format(layout)
}

// FormatTime writes a request's timestamp as the APIs keep it: UTC with
// microsecond precision (Bigtable and Spanner store expire and version
// times to the microsecond, so a lost attempt's backup is matched on
// exactly what was sent).
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
	return decodeAny(raw, TypeURL(wantType), v)
}

// decodeAny is DecodeAny with the type URL.
func decodeAny(raw json.RawMessage, wantURL string, v any) error {
	var head struct {
		Type string `json:"@type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return err
	}
	if head.Type != "" && head.Type != wantURL {
		return fmt.Errorf("got %s, want %s", head.Type, wantURL)
	}
	return json.Unmarshal(raw, v)
}
