package gapi

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Every fraction digit the wire carries is kept: Google writes 0, 3, 6 or 9
// digits, and any count up to 9 (and offsets) reads.
func TestTimeDecodeKeepsEveryDigit(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time // zero: an error
	}{
		{`"2026-01-01T00:00:00Z"`, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{`"2026-01-01T00:00:00.123Z"`, time.Date(2026, 1, 1, 0, 0, 0, 123000000, time.UTC)},
		{`"2026-01-01T00:00:00.123456Z"`, time.Date(2026, 1, 1, 0, 0, 0, 123456000, time.UTC)},
		{`"2026-01-01T00:00:00.123456789Z"`, time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.UTC)},
		{`"2026-01-01T00:00:00.000000001Z"`, time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC)},
		{`"2026-01-01T00:00:00.5Z"`, time.Date(2026, 1, 1, 0, 0, 0, 500000000, time.UTC)},
		{`"2026-01-01T01:00:00.987654321+01:00"`, time.Date(2026, 1, 1, 0, 0, 0, 987654321, time.UTC)},
		{`"2024-02-29T23:59:59.999999999-05:30"`, time.Date(2024, 3, 1, 5, 29, 59, 999999999, time.UTC)},
		{`"\u0032026-01-01T00:00:00.100000001Z"`, time.Date(2026, 1, 1, 0, 0, 0, 100000001, time.UTC)},
		{`"0001-01-01T00:30:00+01:00"`, time.Time{}},
		{`"9999-12-31T23:30:00-01:00"`, time.Time{}},
		{`"2026-01-01T00:00:00"`, time.Time{}},
		{`"2026-02-30T00:00:00Z"`, time.Time{}},
		{`"2026-01-01T00:00:00.Z"`, time.Time{}},
		{`2026`, time.Time{}},
		{`"2026-01-01T00:00:00Z`, time.Time{}},
	}
	for _, tt := range tests {
		var got Time
		err := got.UnmarshalJSON([]byte(tt.in))
		if tt.want.IsZero() {
			if err == nil {
				t.Errorf("%s: want an error, got %v", tt.in, got.Time)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%s: got %v, %v; want %v", tt.in, got.Time, err, tt.want)
		}
	}
	var null Time
	if err := null.UnmarshalJSON([]byte("null")); err != nil || !null.IsZero() {
		t.Errorf("null: %v, %v", null.Time, err)
	}
}

// Encoding writes what Google writes (protojson's Timestamp: UTC, 0/3/6/9
// digits) and reads back to the same instant.
func TestTimeEncodeAsGoogle(t *testing.T) {
	for _, ns := range []int{0, 100000000, 123000000, 123456000, 123456789, 1, 999999999} {
		v := time.Date(2026, 7, 4, 12, 30, 15, ns, time.FixedZone("x", 2*3600))
		checkTimeRoundTrip(t, v)
	}
}

func checkTimeRoundTrip(t *testing.T, v time.Time) {
	t.Helper()
	b, err := Time{v}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want, err := protojson.Marshal(timestamppb.New(v))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(want) {
		t.Fatalf("%v: wrote %s, protojson %s", v, b, want)
	}
	var back Time
	if err := back.UnmarshalJSON(b); err != nil || !back.Equal(v) {
		t.Fatalf("%s read back as %v, %v; want %v", b, back.Time, err, v)
	}
}

// FuzzTimeRoundTrip: whatever decodes, encodes as Google would and reads
// back to the same instant, every digit kept.
func FuzzTimeRoundTrip(f *testing.F) {
	f.Add([]byte(`"2026-01-01T00:00:00.123456Z"`))
	f.Add([]byte(`"2026-01-01T00:00:00.123456789Z"`))
	f.Add([]byte(`"2024-02-29T23:59:59.000000001+01:00"`))
	f.Add([]byte(`"0001-01-01T00:30:00+01:00"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Time
		if v.UnmarshalJSON(b) != nil || v.IsZero() {
			return
		}
		if s := string(b); strings.Count(s, ".") == 1 && !strings.Contains(s, `\`) {
			// The digits written are the ones read (up to trailing zeros).
			frac := s[strings.Index(s, ".")+1:]
			frac = frac[:strings.IndexFunc(frac, func(r rune) bool { return r < '0' || r > '9' })]
			if len(frac) <= 9 && v.Nanosecond() != atoiPad9(frac) {
				t.Fatalf("%s: nanoseconds %d, wire %s", b, v.Nanosecond(), frac)
			}
		}
		checkTimeRoundTrip(t, v.Time)
	})
}

func atoiPad9(frac string) int {
	frac = (frac + "000000000")[:9]
	n := 0
	for _, c := range frac {
		n = n*10 + int(c-'0')
	}
	return n
}
