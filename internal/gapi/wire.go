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
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && plainRFC3339(b[1:len(b)-1]) {
		// The common case, without copying the bytes into a string: a
		// timestamp that time.Parse reads on its RFC 3339 fast path, which
		// time.Time.UnmarshalText takes as well, with the same result.
		var v time.Time
		if err := v.UnmarshalText(b[1 : len(b)-1]); err == nil {
			if u := v.UTC(); u.Year() >= 1 && u.Year() <= 9999 {
				t.Time = v
				return nil
			}
		}
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("timestamp %s: not a JSON string", b)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", s, err)
	}
	// A google.protobuf.Timestamp lies in years 1-9999 UTC; an offset can
	// push a parsed value outside, where FormatTime could not write it back.
	if u := v.UTC(); u.Year() < 1 || u.Year() > 9999 {
		return fmt.Errorf("timestamp %q: outside 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z", s)
	}
	t.Time = v
	return nil
}

// plainRFC3339 reports whether s certainly takes time.Parse's RFC 3339 fast
// path: YYYY-MM-DDTHH:MM:SS, an optional '.' and digits, then 'Z' or
// ±HH:MM, every field within its range (the day within its month). Such
// text has no JSON escapes either. It may refuse text that Parse accepts;
// those go the general way.
func plainRFC3339(s []byte) bool {
	const base = len("2006-01-02T15:04:05")
	if len(s) < base+1 || len(s) > base+1+10+6 {
		return false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for _, c := range s[i : i+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	hour, ok4 := num(11, 2)
	minute, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return false
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return false
	}
	z := s[base:]
	if len(z) >= 2 && z[0] == '.' {
		n := 1
		for n < len(z) && '0' <= z[n] && z[n] <= '9' {
			n++
		}
		if n == 1 {
			return false
		}
		z = z[n:]
	}
	if len(z) == 1 {
		return z[0] == 'Z'
	}
	if len(z) != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':' {
		return false
	}
	zh, okh := num(len(s)-5, 2)
	zm, okm := num(len(s)-2, 2)
	return okh && okm && zh <= 23 && zm <= 59
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
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
