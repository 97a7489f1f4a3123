package temporal

import (
	"bytes"
	"encoding/json"
	"reflect"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/planfile"
	"github.com/backupcopy/backupcopy/spanner"
)

// The cloud names a CopySpec takes (the same as planfile's), and
// SpannerCreate for a Spanner backup creation.
const (
	Bigtable      = planfile.Bigtable
	Spanner       = planfile.Spanner
	CBR           = planfile.CBR
	FSx           = planfile.FSx
	SpannerCreate = "spanner-create"
)

// CopySpec is one copy of a plan as a workflow carries it: a key, a cloud and
// that cloud's request, without a client. It is what the workflow's input,
// its continue-as-new state and the activities' inputs hold, so it is plain
// data (JSON through Temporal's default data converter); the worker rebuilds
// the copy's fleet adapter from it with the clients it holds (see Activities.Clients).
type CopySpec struct {
	// Key names the copy: unique in the plan and stable, since the copy's
	// token or id derives from the workflow id and the key.
	Key string `json:"key"`
	// Cloud is Bigtable, Spanner, CBR, FSx or SpannerCreate; exactly the
	// matching request below is set.
	Cloud         string                       `json:"cloud"`
	Bigtable      *bigtable.CopyBackupRequest  `json:"bigtable,omitempty"`
	Spanner       *spanner.CopyBackupRequest   `json:"spanner,omitempty"`
	SpannerCreate *spanner.CreateBackupRequest `json:"spanner_create,omitempty"`
	CBR           *cbr.CopyBackupRequest       `json:"cbr,omitempty"`
	FSx           *fsx.CopyBackupRequest       `json:"fsx,omitempty"`
	// ExpireAfter, for Bigtable and Spanner requests without an ExpireTime,
	// dates the new backup's expiry from when the copy first started (the
	// same on every attempt).
	ExpireAfter time.Duration `json:"expire_after,omitempty"`
}

// MarshalJSON encodes the spec with each request's zero fields left out
// (a zero ExpireTime, an empty KMSKeyID, a nil Encryption), which decoding
// restores, so that long plans stay small in a workflow's input.
func (s CopySpec) MarshalJSON() ([]byte, error) {
	type plain CopySpec // the fields, without this method
	w := struct {
		plain
		Bigtable      json.RawMessage `json:"bigtable,omitempty"`
		Spanner       json.RawMessage `json:"spanner,omitempty"`
		SpannerCreate json.RawMessage `json:"spanner_create,omitempty"`
		CBR           json.RawMessage `json:"cbr,omitempty"`
		FSx           json.RawMessage `json:"fsx,omitempty"`
	}{plain: plain(s)}
	var err error
	for _, f := range []struct {
		dst *json.RawMessage
		req any
		set bool
	}{
		{&w.Bigtable, s.Bigtable, s.Bigtable != nil},
		{&w.Spanner, s.Spanner, s.Spanner != nil},
		{&w.SpannerCreate, s.SpannerCreate, s.SpannerCreate != nil},
		{&w.CBR, s.CBR, s.CBR != nil},
		{&w.FSx, s.FSx, s.FSx != nil},
	} {
		if f.set {
			if *f.dst, err = withoutZeros(f.req); err != nil {
				return nil, err
			}
		}
	}
	return json.Marshal(w)
}

// withoutZeros encodes req, a pointer to a request struct, without the
// fields whose encoding is that of the field's zero value.
func withoutZeros(req any) (json.RawMessage, error) {
	full, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	zero, err := json.Marshal(reflect.New(reflect.TypeOf(req).Elem()).Interface())
	if err != nil {
		return nil, err
	}
	var fields, zeros map[string]json.RawMessage
	if err := json.Unmarshal(full, &fields); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(zero, &zeros); err != nil {
		return nil, err
	}
	for k, v := range fields {
		if bytes.Equal(v, zeros[k]) {
			delete(fields, k)
		}
	}
	return json.Marshal(fields)
}

// SpecOf returns the spec of a parsed plan file's copy.
func SpecOf(c planfile.Copy) CopySpec {
	return CopySpec{Key: c.Key, Cloud: c.Cloud, Bigtable: c.Bigtable, Spanner: c.Spanner, CBR: c.CBR, FSx: c.FSx, ExpireAfter: c.ExpireAfter}
}

// PlanOf returns the workflow input of a parsed plan file, named name (the
// plan file's clouds: settings configure the worker's clients instead, see
// planfile's Settings.Clients).
func PlanOf(name string, p *planfile.Plan) Plan {
	out := Plan{Name: name, Copies: make([]CopySpec, 0, len(p.Copies))}
	for _, c := range p.Copies {
		out.Copies = append(out.Copies, SpecOf(c))
	}
	return out
}

// adapter rebuilds the fleet adapter of spec with the clients c: a Spanner
// creation here, a copy through planfile's Clients.Adapter.
func adapter(c *planfile.Clients, s CopySpec) (fleet.Adapter, error) {
	set := 0
	for _, p := range []bool{s.Bigtable != nil, s.Spanner != nil, s.SpannerCreate != nil, s.CBR != nil, s.FSx != nil} {
		if p {
			set++
		}
	}
	if set != 1 {
		return nil, fleet.Errorf(backupcopy.InvalidInput, "temporal: copy %q sets %d requests: set exactly the one its cloud %q names", s.Key, set, s.Cloud)
	}
	if s.Cloud == SpannerCreate && s.SpannerCreate != nil {
		if c.Spanner == nil {
			return nil, fleet.Errorf(backupcopy.InvalidInput, "temporal: copy %q: no spanner client: set Activities.Clients.Spanner", s.Key)
		}
		return &spanner.FleetCreate{Client: c.Spanner, Request: *s.SpannerCreate, ExpireAfter: s.ExpireAfter}, nil
	}
	return c.Adapter(planfile.Copy{Key: s.Key, Cloud: s.Cloud, Bigtable: s.Bigtable, Spanner: s.Spanner, CBR: s.CBR, FSx: s.FSx, ExpireAfter: s.ExpireAfter})
}
