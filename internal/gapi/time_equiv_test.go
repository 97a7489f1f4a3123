package gapi

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

// oldTimeUnmarshal is Time.UnmarshalJSON without the fast path.
func oldTimeUnmarshal(t *Time, b []byte) error {
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
	if u := v.UTC(); u.Year() < 1 || u.Year() > 9999 {
		return fmt.Errorf("timestamp %q: outside 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z", s)
	}
	t.Time = v
	return nil
}

func checkTimeEquiv(t *testing.T, b []byte) {
	t.Helper()
	var got, want Time
	gerr := got.UnmarshalJSON(b)
	werr := oldTimeUnmarshal(&want, b)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) {
		t.Fatalf("%s: error %v, old %v", b, gerr, werr)
	}
	// Same instant, same zone, same location (UTC and Local by identity;
	// a fixed zone is a new *Location on every parse).
	gn, gof := got.Zone()
	wn, wof := want.Zone()
	sameLoc := got.Location() == want.Location() ||
		(got.Location() != time.UTC && got.Location() != time.Local && want.Location() != time.UTC && want.Location() != time.Local &&
			got.Location().String() == want.Location().String())
	if !got.Equal(want.Time) || gn != wn || gof != wof || !sameLoc || got.String() != want.String() {
		t.Fatalf("%s: %v (%s %d, %p), old %v (%s %d, %p)", b, got.Time, gn, gof, got.Location(), want.Time, wn, wof, want.Location())
	}
}

func TestTimeFastPathMatchesOld(t *testing.T) {
	for _, s := range []string{
		`"2026-01-01T00:00:00Z"`, `"2026-01-01T00:00:00.123456Z"`, `"2026-01-01T00:00:00.123456789123Z"`,
		`"2024-02-29T23:59:59+01:00"`, `"2023-02-29T00:00:00Z"`, `"2026-04-31T00:00:00Z"`, `"0000-01-01T00:00:00Z"`,
		`"0001-01-01T00:30:00+01:00"`, `"9999-12-31T23:30:00-01:00"`, `"2026-01-01T24:00:00Z"`, `"2026-01-01T00:00:60Z"`,
		`"2026-01-01T00:00:00+24:00"`, `"2026-01-01T00:00:00+23:60"`, `"2026-01-01T00:00:00,5Z"`, `"2026-01-01T00:00:00."`,
		`"2026-01-01T00:00:00.Z"`, `"2026-01-01t00:00:00Z"`, `"2026-01-01T00:00:00z"`, `"2026-1-01T00:00:00Z"`,
		`"2026-01-01T0:00:00Z"`, `"2026-01-01T00:00:00"`, `"2026-01-01T00:00:00+0100"`, `"\u0032026-01-01T00:00:00Z"`,
		`null`, `"null"`, `""`, `"`, `2026`, `"2026-01-01T00:00:00Z`, `"1900-02-29T00:00:00Z"`, `"2000-02-29T00:00:00Z"`,
	} {
		checkTimeEquiv(t, []byte(s))
	}
}

func FuzzTimeFastPathMatchesOld(f *testing.F) {
	f.Add([]byte(`"2026-01-01T00:00:00.123456Z"`))
	f.Add([]byte(`"2024-02-29T23:59:59+01:00"`))
	f.Add([]byte(`"0001-01-01T00:30:00+01:00"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkTimeEquiv(t, b)
	})
}
