// Package planfile reads the plan files of `backupcopy apply`: a list of
// backup copies on Bigtable, Spanner, CBR and FSx, and per-cloud client
// settings, in YAML (JSON is accepted as YAML):
//
//	clouds:
//	  fsx: {region: eu-west-1}
//	  cbr: {region: ap-southeast-1, project_id: 0b9a...}
//	copies:
//	  - bigtable: {source: projects/p/instances/i/clusters/c/backups/b, parent: projects/p/instances/i2/clusters/c2, backup_id: b-copy, expire_after: 168h}
//	  - spanner:  {source: projects/p/instances/i/backups/b, parent: projects/p/instances/i2, backup_id: b-copy, expire_after: 168h}
//	  - key: fsx-nightly-1
//	    fsx:      {source: backup-0123456789abcdef0, source_region: us-east-1}
//	  - cbr:      {source: 6df2b54c-dd62-4059-a07c-1b8f24f2725d, destination_project_id: 6858..., destination_region: ap-southeast-2, destination_vault_id: 0ca3...}
//
// Each copy names one cloud and that cloud's request fields in snake_case
// (the service package's CopyBackupRequest fields), with an optional key
// (unique in the plan; by default derived from the copy's content, so the
// same copy keeps its key when the plan is edited around it). source is the
// source backup (Google: its full name; FSx: its BackupId; CBR: its
// backup_id); expire_after is a Go duration counted from when the copy
// starts, expire_time an RFC 3339 time.
//
// # Fields
//
// A copy's fields, per cloud (required ones first; the flags of
// `backupcopy copy CLOUD` are the same names with '-' for '_'):
//
//	bigtable: source, parent, backup_id, expire_after or expire_time
//	spanner:  source, parent, backup_id, expire_after or expire_time, encryption_type, kms_key_name, kms_key_names
//	cbr:      source, destination_project_id, destination_region, destination_vault_id, name, description, enable_acceleration
//	fsx:      source, source_region, kms_key_id, client_request_token, copy_tags, tags
//
// fsx tags is a list of {key, value}. Under clouds:, bigtable and spanner take
// endpoint; cbr takes region (of the sources), project_id and endpoint; fsx
// takes region (the destination) and endpoint; `backupcopy apply` takes what
// a plan leaves out from the environment, as `backupcopy copy` does.
//
// Parse refuses, with an error that names the copy and the field: unknown
// fields (a misspelt field is never dropped silently), an unknown cloud, a
// copy naming no cloud or two, a missing required field, a value of the
// wrong form, duplicate keys, and the same source copied twice to the same
// destination.
package planfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/spanner"
)

// The cloud names a plan uses.
const (
	Bigtable = "bigtable"
	Spanner  = "spanner"
	CBR      = "cbr"
	FSx      = "fsx"
)

// Clouds lists the cloud names in the order plans and output use.
func Clouds() []string { return []string{Bigtable, Spanner, CBR, FSx} }

// MaxSize bounds the plan files Parse reads (16 MiB).
const MaxSize = 16 << 20

// Plan is a parsed plan file.
type Plan struct {
	// Settings are the per-cloud client settings (the clouds: section).
	Settings Settings
	// Copies are the plan's copies, in file order.
	Copies []Copy
}

// Settings are the client settings of each cloud; empty fields leave the
// library's defaults (environment variables, credential files).
type Settings struct {
	// Bigtable configures the Bigtable client (clouds.bigtable).
	Bigtable GoogleSettings
	// Spanner configures the Spanner client (clouds.spanner).
	Spanner GoogleSettings
	// CBR configures the CBR client (clouds.cbr).
	CBR CBRSettings
	// FSx configures the FSx client (clouds.fsx).
	FSx FSxSettings
}

// GoogleSettings configure a Bigtable or Spanner client.
type GoogleSettings struct {
	// Endpoint is the API endpoint (WithEndpoint), scheme://host[:port].
	Endpoint string
}

// CBRSettings configure the CBR client.
type CBRSettings struct {
	// Region is the source backups' region (WithRegion).
	Region string
	// ProjectID is the source project (WithProjectID).
	ProjectID string
	// Endpoint is the API endpoint (WithEndpoint).
	Endpoint string
}

// FSxSettings configure the FSx client.
type FSxSettings struct {
	// Region is the destination region of the copies (WithRegion).
	Region string
	// Endpoint is the API endpoint (WithEndpoint).
	Endpoint string
}

// Copy is one copy of a plan: exactly one of Bigtable, Spanner, CBR and FSx
// is set, the one Cloud names.
type Copy struct {
	// Key identifies the copy in the plan and in a run's journal.
	Key string
	// Cloud is Bigtable, Spanner, CBR or FSx.
	Cloud string
	// Bigtable is the request when Cloud is Bigtable; its ExpireTime is
	// zero when ExpireAfter is set.
	Bigtable *bigtable.CopyBackupRequest
	// Spanner is the request when Cloud is Spanner; its ExpireTime is zero
	// when ExpireAfter is set.
	Spanner *spanner.CopyBackupRequest
	// CBR is the request when Cloud is CBR.
	CBR *cbr.CopyBackupRequest
	// FSx is the request when Cloud is FSx.
	FSx *fsx.CopyBackupRequest
	// ExpireAfter, for Bigtable and Spanner, is how long after the copy
	// starts it expires (see Resolve); zero when expire_time is given.
	ExpireAfter time.Duration
}

// Resolve returns the copy with a Bigtable or Spanner ExpireTime set from
// ExpireAfter, counted from start; other copies come back as they are. The
// requests are copied, so c is unchanged.
func (c Copy) Resolve(start time.Time) Copy {
	if c.ExpireAfter <= 0 {
		return c
	}
	switch {
	case c.Bigtable != nil:
		r := *c.Bigtable
		r.ExpireTime = start.Add(c.ExpireAfter)
		c.Bigtable = &r
	case c.Spanner != nil:
		r := *c.Spanner
		r.ExpireTime = start.Add(c.ExpireAfter)
		c.Spanner = &r
	}
	return c
}

// Source returns the copy's source backup.
func (c Copy) Source() string {
	switch {
	case c.Bigtable != nil:
		return c.Bigtable.SourceBackup
	case c.Spanner != nil:
		return c.Spanner.SourceBackup
	case c.CBR != nil:
		return c.CBR.BackupID
	case c.FSx != nil:
		return c.FSx.SourceBackupID
	}
	return ""
}

// Destination returns where the copy goes: the Bigtable cluster or Spanner
// instance, the CBR destination region (CBR replicates a backup once per
// region), or for FSx the client's region (fsxRegion, the plan's or the
// environment's).
func (c Copy) Destination(fsxRegion string) string {
	switch {
	case c.Bigtable != nil:
		return c.Bigtable.Parent
	case c.Spanner != nil:
		return c.Spanner.Parent
	case c.CBR != nil:
		return c.CBR.DestinationRegion
	case c.FSx != nil:
		return fsxRegion
	}
	return ""
}

// ParseFile reads and parses the plan at path ("-": standard input).
func ParseFile(path string) (*Plan, error) {
	var r io.Reader
	if path == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("planfile: cannot read the plan: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("planfile: cannot read the plan %s: %w", path, err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("planfile: the plan %s is over %d bytes", path, MaxSize)
	}
	p, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// The YAML shapes. Field sets are the service requests' fields in snake_case.
type planYAML struct {
	Clouds cloudsYAML `yaml:"clouds"`
	Copies []copyYAML `yaml:"copies"`
}

type cloudsYAML struct {
	Bigtable googleSettingsYAML `yaml:"bigtable"`
	Spanner  googleSettingsYAML `yaml:"spanner"`
	CBR      cbrSettingsYAML    `yaml:"cbr"`
	FSx      fsxSettingsYAML    `yaml:"fsx"`
}

type googleSettingsYAML struct {
	Endpoint string `yaml:"endpoint"`
}

type cbrSettingsYAML struct {
	Region    string `yaml:"region"`
	ProjectID string `yaml:"project_id"`
	Endpoint  string `yaml:"endpoint"`
}

type fsxSettingsYAML struct {
	Region   string `yaml:"region"`
	Endpoint string `yaml:"endpoint"`
}

type copyYAML struct {
	Key      string        `yaml:"key"`
	Bigtable *bigtableYAML `yaml:"bigtable"`
	Spanner  *spannerYAML  `yaml:"spanner"`
	CBR      *cbrYAML      `yaml:"cbr"`
	FSx      *fsxYAML      `yaml:"fsx"`
}

type bigtableYAML struct {
	Source      string `yaml:"source"`
	Parent      string `yaml:"parent"`
	BackupID    string `yaml:"backup_id"`
	ExpireAfter string `yaml:"expire_after"`
	ExpireTime  string `yaml:"expire_time"`
}

type spannerYAML struct {
	Source         string   `yaml:"source"`
	Parent         string   `yaml:"parent"`
	BackupID       string   `yaml:"backup_id"`
	ExpireAfter    string   `yaml:"expire_after"`
	ExpireTime     string   `yaml:"expire_time"`
	EncryptionType string   `yaml:"encryption_type"`
	KMSKeyName     string   `yaml:"kms_key_name"`
	KMSKeyNames    []string `yaml:"kms_key_names"`
}

type cbrYAML struct {
	Source               string `yaml:"source"`
	DestinationProjectID string `yaml:"destination_project_id"`
	DestinationRegion    string `yaml:"destination_region"`
	DestinationVaultID   string `yaml:"destination_vault_id"`
	Name                 string `yaml:"name"`
	Description          string `yaml:"description"`
	EnableAcceleration   bool   `yaml:"enable_acceleration"`
}

type fsxYAML struct {
	Source             string    `yaml:"source"`
	SourceRegion       string    `yaml:"source_region"`
	KMSKeyID           string    `yaml:"kms_key_id"`
	ClientRequestToken string    `yaml:"client_request_token"`
	CopyTags           bool      `yaml:"copy_tags"`
	Tags               []tagYAML `yaml:"tags"`
}

type tagYAML struct {
	Key   string `yaml:"key"`
	Value string `yaml:"value"`
}

// where names each YAML type in errors, with its known fields.
var where = map[string]string{
	"planYAML":           "the plan (known: clouds, copies)",
	"cloudsYAML":         "clouds (known: bigtable, spanner, cbr, fsx)",
	"googleSettingsYAML": "clouds.bigtable/spanner (known: endpoint)",
	"cbrSettingsYAML":    "clouds.cbr (known: region, project_id, endpoint)",
	"fsxSettingsYAML":    "clouds.fsx (known: region, endpoint)",
	"copyYAML":           "a copy (known: key and one cloud of bigtable, spanner, cbr, fsx)",
	"bigtableYAML":       "a bigtable copy (known: source, parent, backup_id, expire_after, expire_time)",
	"spannerYAML":        "a spanner copy (known: source, parent, backup_id, expire_after, expire_time, encryption_type, kms_key_name, kms_key_names)",
	"cbrYAML":            "a cbr copy (known: source, destination_project_id, destination_region, destination_vault_id, name, description, enable_acceleration)",
	"fsxYAML":            "an fsx copy (known: source, source_region, kms_key_id, client_request_token, copy_tags, tags)",
	"tagYAML":            "an fsx tag (known: key, value)",
}

var intoRE = regexp.MustCompile(`into \w+`)

var unknownFieldRE = regexp.MustCompile(`^line (\d+): field (.+) not found in type planfile\.(\w+)$`)

// yamlError rewrites yaml's errors into ours: an unknown field is named with
// the place it was found and the fields known there.
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("planfile: not a valid YAML plan: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var msgs []string
	for _, e := range te.Errors {
		if m := unknownFieldRE.FindStringSubmatch(e); m != nil {
			msgs = append(msgs, fmt.Sprintf("line %s: unknown field %q in %s", m[1], m[2], where[m[3]]))
			continue
		}
		e = intoRE.ReplaceAllStringFunc(strings.ReplaceAll(e, "planfile.", ""), func(m string) string {
			if w, ok := where[strings.TrimPrefix(m, "into ")]; ok {
				return "into " + w
			}
			return m
		})
		msgs = append(msgs, strings.ReplaceAll(e, "\n", `\n`))
	}
	return fmt.Errorf("planfile: %s", strings.Join(msgs, "; "))
}

// Parse parses a plan (YAML or JSON) and checks it; see the package
// documentation for what it refuses.
func Parse(data []byte) (*Plan, error) {
	var py planYAML
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&py); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("planfile: the plan is empty: it needs a copies: list")
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("planfile: the plan holds more than one YAML document: keep one")
	}
	if len(py.Copies) == 0 {
		return nil, errors.New("planfile: the plan has no copies: add a copies: list")
	}
	p := &Plan{Settings: Settings{
		Bigtable: GoogleSettings(py.Clouds.Bigtable),
		Spanner:  GoogleSettings(py.Clouds.Spanner),
		CBR:      CBRSettings(py.Clouds.CBR),
		FSx:      FSxSettings(py.Clouds.FSx),
	}}
	keys := map[string]int{}
	routes := map[string]int{}
	for i, cy := range py.Copies {
		c, err := convert(cy)
		if err != nil {
			return nil, fmt.Errorf("planfile: copies[%d]: %w", i, err)
		}
		if j, ok := keys[c.Key]; ok {
			return nil, fmt.Errorf("planfile: copies[%d]: key %q is also the key of copies[%d]: keys must be unique", i, c.Key, j)
		}
		keys[c.Key] = i
		route := c.Cloud + "\x00" + c.Source() + "\x00" + c.Destination(p.Settings.FSx.Region)
		if j, ok := routes[route]; ok {
			return nil, fmt.Errorf("planfile: copies[%d]: copies %s source %s to the same destination as copies[%d]: keep one", i, c.Cloud, c.Source(), j)
		}
		routes[route] = i
		p.Copies = append(p.Copies, c)
	}
	return p, nil
}

func convert(cy copyYAML) (Copy, error) {
	var set []string
	for name, ok := range map[string]bool{Bigtable: cy.Bigtable != nil, Spanner: cy.Spanner != nil, CBR: cy.CBR != nil, FSx: cy.FSx != nil} {
		if ok {
			set = append(set, name)
		}
	}
	slices.Sort(set)
	switch len(set) {
	case 0:
		return Copy{}, errors.New("names no cloud: give one of bigtable, spanner, cbr, fsx")
	case 1:
	default:
		return Copy{}, fmt.Errorf("names %s: give one cloud per copy", strings.Join(set, " and "))
	}
	c := Copy{Cloud: set[0], Key: cy.Key}
	var err error
	switch {
	case cy.Bigtable != nil:
		y := cy.Bigtable
		r := &bigtable.CopyBackupRequest{Parent: y.Parent, BackupID: y.BackupID, SourceBackup: y.Source}
		r.ExpireTime, c.ExpireAfter, err = expiry(y.ExpireAfter, y.ExpireTime)
		if err == nil {
			err = required("bigtable", "source", y.Source, "parent", y.Parent, "backup_id", y.BackupID)
		}
		if err == nil {
			err = firstErr(
				shape("bigtable.source", y.Source, bigtableBackupRE, "projects/P/instances/I/clusters/C/backups/B"),
				shape("bigtable.parent", y.Parent, bigtableClusterRE, "projects/P/instances/I/clusters/C"))
		}
		c.Bigtable = r
	case cy.Spanner != nil:
		y := cy.Spanner
		r := &spanner.CopyBackupRequest{Parent: y.Parent, BackupID: y.BackupID, SourceBackup: y.Source}
		r.ExpireTime, c.ExpireAfter, err = expiry(y.ExpireAfter, y.ExpireTime)
		if y.EncryptionType != "" || y.KMSKeyName != "" || len(y.KMSKeyNames) > 0 {
			r.Encryption = &spanner.CopyEncryptionConfig{Type: spanner.CopyEncryptionType(y.EncryptionType), KMSKeyName: y.KMSKeyName, KMSKeyNames: y.KMSKeyNames}
		}
		if err == nil {
			err = required("spanner", "source", y.Source, "parent", y.Parent, "backup_id", y.BackupID)
		}
		if err == nil {
			err = firstErr(
				shape("spanner.source", y.Source, spannerBackupRE, "projects/P/instances/I/backups/B"),
				shape("spanner.parent", y.Parent, spannerInstanceRE, "projects/P/instances/I"))
		}
		c.Spanner = r
	case cy.CBR != nil:
		y := cy.CBR
		c.CBR = &cbr.CopyBackupRequest{BackupID: y.Source, DestinationProjectID: y.DestinationProjectID,
			DestinationRegion: y.DestinationRegion, DestinationVaultID: y.DestinationVaultID,
			Name: y.Name, Description: y.Description, EnableAcceleration: y.EnableAcceleration}
		err = required("cbr", "source", y.Source, "destination_project_id", y.DestinationProjectID,
			"destination_region", y.DestinationRegion, "destination_vault_id", y.DestinationVaultID)
	case cy.FSx != nil:
		y := cy.FSx
		r := &fsx.CopyBackupRequest{SourceBackupID: y.Source, SourceRegion: y.SourceRegion, KMSKeyID: y.KMSKeyID,
			ClientRequestToken: y.ClientRequestToken, CopyTags: y.CopyTags}
		for _, t := range y.Tags {
			r.Tags = append(r.Tags, fsx.Tag{Key: t.Key, Value: t.Value})
		}
		err = required("fsx", "source", y.Source)
		if err == nil {
			err = shape("fsx.source", y.Source, fsxBackupRE, "backup-0123456789abcdef0")
		}
		c.FSx = r
	}
	if err != nil {
		return Copy{}, err
	}
	if c.Key == "" {
		c.Key = DefaultKey(c)
	}
	return c, nil
}

var (
	bigtableBackupRE  = regexp.MustCompile(`^projects/[^/]+/instances/[^/]+/clusters/[^/]+/backups/[^/]+$`)
	bigtableClusterRE = regexp.MustCompile(`^projects/[^/]+/instances/[^/]+/clusters/[^/]+$`)
	spannerBackupRE   = regexp.MustCompile(`^projects/[^/]+/instances/[^/]+/backups/[^/]+$`)
	spannerInstanceRE = regexp.MustCompile(`^projects/[^/]+/instances/[^/]+$`)
	fsxBackupRE       = regexp.MustCompile(`^backup-[0-9a-f]{8,}$`)
)

func shape(field, v string, re *regexp.Regexp, example string) error {
	if !re.MatchString(v) {
		return fmt.Errorf("%s %q is not of the form %s", field, v, example)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// required checks that each (name, value) pair has a value.
func required(cloud string, pairs ...string) error {
	for i := 0; i < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return fmt.Errorf("%s.%s is required", cloud, pairs[i])
		}
	}
	return nil
}

// expiry reads expire_after or expire_time (exactly one).
func expiry(after, at string) (time.Time, time.Duration, error) {
	switch {
	case after != "" && at != "":
		return time.Time{}, 0, errors.New("expire_after and expire_time are both set: give one")
	case after != "":
		d, err := time.ParseDuration(after)
		if err != nil || d <= 0 {
			return time.Time{}, 0, fmt.Errorf("expire_after %q is not a positive Go duration (for example 168h)", after)
		}
		return time.Time{}, d, nil
	case at != "":
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return time.Time{}, 0, fmt.Errorf("expire_time %q is not an RFC 3339 time (for example 2026-12-31T00:00:00Z)", at)
		}
		return t, 0, nil
	}
	return time.Time{}, 0, errors.New("expire_after or expire_time is required (for example expire_after: 168h)")
}

// DefaultKey is the key of a copy that names none: the cloud and a digest
// of the request's content (expire_after counts, not the time it resolves
// to), so the same copy gets the same key in every run.
func DefaultKey(c Copy) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00", c.Cloud, c.Source(), c.ExpireAfter)
	switch {
	case c.Bigtable != nil:
		fmt.Fprintf(h, "%s\x00%s\x00%s", c.Bigtable.Parent, c.Bigtable.BackupID, c.Bigtable.ExpireTime.UTC().Format(time.RFC3339Nano))
	case c.Spanner != nil:
		fmt.Fprintf(h, "%s\x00%s\x00%s", c.Spanner.Parent, c.Spanner.BackupID, c.Spanner.ExpireTime.UTC().Format(time.RFC3339Nano))
		if e := c.Spanner.Encryption; e != nil {
			fmt.Fprintf(h, "\x00%s\x00%s\x00%q", e.Type, e.KMSKeyName, e.KMSKeyNames)
		}
	case c.CBR != nil:
		fmt.Fprintf(h, "%+v", *c.CBR)
	case c.FSx != nil:
		fmt.Fprintf(h, "%+v", *c.FSx)
	}
	return c.Cloud + "-" + hex.EncodeToString(h.Sum(nil))[:12]
}
