package cbrtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/internal/fakesrv"
)

// Credentials and defaults the fake uses.
const (
	// AccessKey and SecretKey are the only AK/SK pair the fake accepts.
	AccessKey = "CBRTESTAK00EXAMPLE01"
	SecretKey = "cbrtestSecretKeyEXAMPLE0123456789abcdefg"
	// Token is the IAM token the fake accepts as X-Auth-Token.
	Token = "cbrtest-iam-token-EXAMPLE"
	// ProjectID is the project AddBackup puts backups in by default.
	ProjectID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	// Region is the fake's own (source) region.
	Region = "cn-north-4"
	// DestinationRegion is a region Region may replicate to by default.
	DestinationRegion = "cn-east-3"
	// ProviderServer is the provider id of cloud server backups.
	ProviderServer = "0daac4c5-6707-4851-97ba-169e36266b66"
)

// Error codes the fake answers with. The seeds document BackupService.1002,
// .1005, .1009, .6105 and the APIGW codes; CodeInvalidParameter and
// CodeBackupNotFound are the fake's own choice for answers the seeds do not
// name (cbr.ErrNotFound matches on the 404 status, not the code).
const (
	CodeInvalidParameter   = "BackupService.9900"
	CodeBackupNotFound     = "BackupService.6101"
	CodeNotReplicable      = cbr.CodeNotReplicable
	CodeRegionNotSupported = cbr.CodeRegionNotSupported
	CodeAlreadyReplicated  = cbr.CodeAlreadyReplicated
	CodeVaultNotFound      = cbr.CodeVaultNotFound
	CodeAuthFailed         = cbr.CodeAuthFailed
	CodeAPINotFound        = "APIGW.0101"
	// CodeThrottled (HTTP 429) and CodeBackendUnavailable (HTTP 503) are
	// the gateway's answers to a Throttle and a ServerError fault.
	CodeThrottled          = "APIGW.0308"
	CodeBackendUnavailable = "APIGW.0201"
)

// DefaultDuration is how long a replication takes unless
// SetOperationDuration says otherwise.
const DefaultDuration = 2 * time.Second

// MaxClockSkew is how far X-Sdk-Date may be from the gateway's clock.
const MaxClockSkew = 15 * time.Minute

// Vault protect types.
const (
	ProtectBackup      = "backup"
	ProtectReplication = "replication"
)

// Vault is a vault the fake knows.
type Vault struct {
	// ID is the vault ID (AddVault makes one up when empty).
	ID string
	// Region is the vault's region (AddVault: Region when empty).
	Region string
	// ProjectID, if set, must equal a replication's destination_project_id.
	ProjectID string
	// ProtectType is ProtectBackup or ProtectReplication; replication
	// destinations must be ProtectReplication.
	ProtectType string
}

type job struct {
	backupID, recordID string
	start              time.Time
	duration           time.Duration
	name, description  string
	failCode, failMsg  string
	finished           bool
}

type failure struct{ code, reason string }

// Server is a running fake. It is safe for concurrent use.
type Server struct {
	fs *fakesrv.Server

	mu         sync.Mutex
	duration   time.Duration
	spread     *fakesrv.Durations // per-operation durations, or nil
	caps       map[string][]string
	backups    map[string]*cbr.Backup
	order      []string // backup ids in insertion order
	vaults     map[string]Vault
	jobs       []*job
	failNext   *failure
	tokens     map[string]bool // token -> still valid
	skew       time.Duration
	seq        int
	noAuth     bool
	noListener bool
}

// NewServer starts a fake, listening on a loopback port unless
// WithoutListener. Region replicates to DestinationRegion, "cn-south-1" and
// "ap-southeast-1" by default (SetCapabilities changes it).
func NewServer(opts ...Option) *Server {
	s := &Server{
		duration: DefaultDuration,
		caps:     map[string][]string{Region: {DestinationRegion, "cn-south-1", "ap-southeast-1"}},
		backups:  map[string]*cbr.Backup{},
		vaults:   map[string]Vault{},
		tokens:   map[string]bool{Token: true},
	}
	for _, o := range opts {
		o(s)
	}
	s.fs = fakesrv.New(fakesrv.Config{Operation: operationOf, Serve: s.serve, WriteFault: writeFault, NoListener: s.noListener})
	s.fs.Start()
	return s
}

// URL returns the base URL (http://127.0.0.1:port): give it to
// cbr.WithEndpoint.
func (s *Server) URL() string { return s.fs.URL() }

// Close shuts the fake down.
func (s *Server) Close() { s.fs.Close() }

// SetOperationDuration sets how long replications started from now on take
// from the replicate call to success (default 2s; 0 finishes them by the next
// request).
func (s *Server) SetOperationDuration(d time.Duration) {
	s.mu.Lock()
	s.duration = max(d, 0)
	s.spread = nil
	s.mu.Unlock()
}

// SetClock replaces the clock that drives replications (not the gateway's,
// which checks signatures against the real time).
func (s *Server) SetClock(now func() time.Time) { s.fs.SetClock(now) }

// SetClockSkew makes the gateway's clock run d ahead of the real time (behind
// if negative): signatures dated more than MaxClockSkew away are refused, and
// every answer's Date header shows the gateway's time.
func (s *Server) SetClockSkew(d time.Duration) {
	s.mu.Lock()
	s.skew = d
	s.mu.Unlock()
}

// SetCapabilities sets the regions a backup in region may be replicated to.
func (s *Server) SetCapabilities(region string, destinations ...string) {
	s.mu.Lock()
	s.caps[region] = append([]string(nil), destinations...)
	s.mu.Unlock()
}

// ExpireToken makes the gateway answer 401 "The token must be updated." to
// requests with token (as it does for a token past its life).
func (s *Server) ExpireToken(token string) {
	s.mu.Lock()
	s.tokens[token] = false
	s.mu.Unlock()
}

// AcceptToken makes the gateway accept token as X-Auth-Token.
func (s *Server) AcceptToken(token string) {
	s.mu.Lock()
	s.tokens[token] = true
	s.mu.Unlock()
}

// FailNextReplication makes the next accepted replication end in status fail
// with extra_info.fail_code and fail_reason, instead of success.
func (s *Server) FailNextReplication(code, reason string) {
	s.mu.Lock()
	s.failNext = &failure{code: code, reason: reason}
	s.mu.Unlock()
}

// Request is one request the fake received.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the escaped path.
	Path string
	// RawQuery is the raw query, without '?'.
	RawQuery string
	// Header holds the request's headers, credentials included.
	Header http.Header
	// Body is the request body as sent.
	Body []byte
}

// Requests returns the requests the fake received, oldest first.
func (s *Server) Requests() []Request {
	var out []Request
	for _, e := range s.fs.Requests() {
		out = append(out, Request{Method: e.Method, Path: e.Path, RawQuery: e.RawQuery, Header: e.Header, Body: e.Body})
	}
	return out
}

func (s *Server) newID() string {
	s.seq++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq)
}

// AddVault registers a vault and returns it with defaults filled in: a new ID,
// Region, and ProtectReplication for a vault outside Region (else
// ProtectBackup).
func (s *Server) AddVault(v Vault) Vault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addVaultLocked(v)
}

func (s *Server) addVaultLocked(v Vault) Vault {
	if v.ID == "" {
		v.ID = s.newID()
	}
	if v.Region == "" {
		v.Region = Region
	}
	if v.ProtectType == "" {
		v.ProtectType = ProtectBackup
		if v.Region != Region {
			v.ProtectType = ProtectReplication
		}
	}
	s.vaults[v.ID] = v
	return v
}

// AddBackup seeds a source backup and returns it with defaults filled in: a
// new ID, Status available, ImageType backup, ProjectID, ProviderServer, a
// resource, the current time, and a backup vault in Region (created if
// VaultID names no known vault).
func (s *Server) AddBackup(b cbr.Backup) cbr.Backup {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.fs.Now().UTC()
	if b.ID == "" {
		b.ID = s.newID()
	}
	if b.Name == "" {
		b.Name = "backup-" + b.ID[len(b.ID)-4:]
	}
	if b.Status == "" {
		b.Status = cbr.BackupAvailable
	}
	if b.ImageType == "" {
		b.ImageType = cbr.ImageTypeBackup
	}
	if b.ProjectID == "" {
		b.ProjectID = ProjectID
	}
	if b.ProviderID == "" {
		b.ProviderID = ProviderServer
	}
	if b.ResourceID == "" {
		b.ResourceID = s.newID()
	}
	if b.ResourceType == "" {
		b.ResourceType = "OS::Nova::Server"
	}
	if b.ResourceName == "" {
		b.ResourceName = "ecs-" + b.ResourceID[len(b.ResourceID)-4:]
	}
	if b.CheckpointID == "" {
		b.CheckpointID = s.newID()
	}
	if b.CreatedAt.IsZero() {
		b.CreatedAt = now
	}
	if b.UpdatedAt.IsZero() {
		b.UpdatedAt = b.CreatedAt
	}
	if b.ProtectedAt == "" {
		b.ProtectedAt = b.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000")
	}
	if b.EnterpriseProjectID == "" {
		b.EnterpriseProjectID = "0"
	}
	if _, ok := s.vaults[b.VaultID]; !ok {
		b.VaultID = s.addVaultLocked(Vault{ID: b.VaultID, Region: Region, ProjectID: b.ProjectID, ProtectType: ProtectBackup}).ID
	}
	b.ReplicationRecords = slices.Clone(b.ReplicationRecords)
	if _, ok := s.backups[b.ID]; !ok {
		s.order = append(s.order, b.ID)
	}
	s.backups[b.ID] = &b
	return cloneBackup(&b)
}

// Backup returns a backup (a seeded source or a replica) as the fake now
// sees it.
func (s *Server) Backup(id string) (cbr.Backup, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	b, ok := s.backups[id]
	if !ok {
		return cbr.Backup{}, false
	}
	return cloneBackup(b), true
}

// Backups returns every backup, sources and replicas, in creation order.
func (s *Server) Backups() []cbr.Backup {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	out := make([]cbr.Backup, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, cloneBackup(s.backups[id]))
	}
	return out
}

// Replications returns every replication record the fake has created, in
// creation order.
func (s *Server) Replications() []cbr.ReplicationRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	var out []cbr.ReplicationRecord
	for _, j := range s.jobs {
		if r := s.recordLocked(j); r != nil {
			out = append(out, *r)
		}
	}
	return out
}

func cloneBackup(b *cbr.Backup) cbr.Backup {
	c := *b
	c.ReplicationRecords = slices.Clone(b.ReplicationRecords)
	return c
}

func (s *Server) recordLocked(j *job) *cbr.ReplicationRecord {
	b := s.backups[j.backupID]
	if b == nil {
		return nil
	}
	for i := range b.ReplicationRecords {
		if b.ReplicationRecords[i].ID == j.recordID {
			return &b.ReplicationRecords[i]
		}
	}
	return nil
}

// advanceLocked moves every unfinished replication to where the clock says
// it is, creating replicas for those that succeeded.
func (s *Server) advanceLocked() {
	now := s.fs.Now().UTC()
	for _, j := range s.jobs {
		if j.finished {
			continue
		}
		r := s.recordLocked(j)
		if r == nil {
			j.finished = true
			continue
		}
		el := now.Sub(j.start)
		switch {
		case el < j.duration/10:
			r.Status, r.Progress = cbr.ReplicationWaiting, 0
		case el < j.duration:
			r.Status, r.Progress = cbr.ReplicationReplicating, min(fakesrv.Progress(j.start, j.duration, now), 99)
		case j.failCode != "":
			r.Status, r.FailCode, r.FailReason = cbr.ReplicationFail, j.failCode, j.failMsg
			j.finished = true
		default:
			src := s.backups[j.backupID]
			name := j.name
			if name == "" {
				name = src.Name
			}
			done := j.start.Add(j.duration)
			replica := &cbr.Backup{
				ID: s.newID(), Name: name, Description: j.description,
				Status: cbr.BackupAvailable, ImageType: cbr.ImageTypeReplication,
				VaultID: r.DestinationVaultID, ProjectID: r.DestinationProjectID,
				ResourceID: src.ResourceID, ResourceName: src.ResourceName, ResourceType: src.ResourceType,
				ResourceAZ: src.ResourceAZ, ResourceSize: src.ResourceSize, ProviderID: src.ProviderID,
				CheckpointID: s.newID(), EnterpriseProjectID: src.EnterpriseProjectID,
				ProtectedAt: src.ProtectedAt, CreatedAt: done, UpdatedAt: done,
			}
			s.backups[replica.ID] = replica
			s.order = append(s.order, replica.ID)
			r.Status, r.Progress = cbr.ReplicationSuccess, 100
			r.DestinationBackupID, r.DestinationCheckpointID = replica.ID, replica.CheckpointID
			j.finished = true
		}
	}
}

// --- HTTP ---

type apiError struct {
	status      int
	code, msg   string
	gatewayForm bool
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte, err error) {
	reqID := newRequestID()
	w.Header().Set("X-Request-Id", reqID)
	s.mu.Lock()
	gw := time.Now().Add(s.skew)
	s.mu.Unlock()
	w.Header().Set("Date", gw.UTC().Format(http.TimeFormat))
	if err != nil {
		writeError(w, reqID, &apiError{status: http.StatusRequestEntityTooLarge, code: CodeInvalidParameter, msg: err.Error()})
		return
	}
	s.mu.Lock()
	noAuth := s.noAuth
	s.mu.Unlock()
	if e := s.authenticate(r, body, gw); e != nil && !noAuth {
		writeError(w, reqID, e)
		return
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch operationOf(r) {
	case "ListReplicationCapabilities":
		s.capabilities(w)
	case "GetBackup":
		s.showBackup(w, reqID, segs[3])
	case "ListBackups":
		s.listBackups(w, r, reqID)
	case "CopyBackup":
		s.replicate(w, reqID, segs[1], segs[3], body)
	default:
		writeError(w, reqID, &apiError{status: http.StatusNotFound, code: CodeAPINotFound, msg: "The API does not exist or has not been published in the environment", gatewayForm: true})
	}
}

func (s *Server) authenticate(r *http.Request, body []byte, now time.Time) *apiError {
	fail := func(msg string) *apiError {
		return &apiError{status: http.StatusUnauthorized, code: CodeAuthFailed, msg: msg, gatewayForm: true}
	}
	if tok := r.Header.Get(auth.HuaweiAuthTokenHeader); tok != "" {
		s.mu.Lock()
		valid, known := s.tokens[tok]
		s.mu.Unlock()
		switch {
		case !known:
			return fail("Incorrect IAM authentication information: verify token fail")
		case !valid:
			return fail("The token must be updated.")
		}
		return nil
	}
	lookup := func(ak string) (string, bool) { return SecretKey, ak == AccessKey }
	switch err := auth.VerifyHuaweiSignature(r, body, lookup, now, MaxClockSkew); {
	case err == nil:
		return nil
	case errors.Is(err, auth.ErrHuaweiSignatureExpired):
		return fail("Incorrect IAM authentication information: verify aksk signature fail, signature expired")
	case errors.Is(err, auth.ErrHuaweiAuthMissing):
		return fail("Incorrect IAM authentication information: Authorization not found")
	case errors.Is(err, auth.ErrHuaweiUnknownAccessKey):
		return fail("Incorrect IAM authentication information: AK not found")
	case errors.Is(err, auth.ErrHuaweiSignatureMismatch):
		return fail("Incorrect IAM authentication information: verify aksk signature fail")
	default:
		return fail("Incorrect IAM authentication information: malformed authentication information")
	}
}

func writeError(w http.ResponseWriter, reqID string, e *apiError) {
	body := map[string]string{"error_code": e.code, "error_msg": e.msg}
	if e.gatewayForm {
		body["request_id"] = reqID
	}
	fakesrv.WriteJSON(w, e.status, body)
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) capabilities(w http.ResponseWriter) {
	s.mu.Lock()
	regions := make([]map[string]any, 0, len(s.caps))
	names := make([]string, 0, len(s.caps))
	for n := range s.caps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		regions = append(regions, map[string]any{"name": n, "replication_destinations": append([]string{}, s.caps[n]...)})
	}
	s.mu.Unlock()
	fakesrv.WriteJSON(w, http.StatusOK, map[string]any{"regions": regions})
}

func (s *Server) showBackup(w http.ResponseWriter, reqID, id string) {
	s.mu.Lock()
	s.advanceLocked()
	b, ok := s.backups[id]
	var c cbr.Backup
	if ok {
		c = cloneBackup(b)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, reqID, &apiError{status: http.StatusNotFound, code: CodeBackupNotFound, msg: "Backup " + id + " not found"})
		return
	}
	fakesrv.WriteJSON(w, http.StatusOK, map[string]any{"backup": c})
}

// MaxListLimit is the largest page ListBackups returns (limit=1..1000; the
// default when limit is absent). The SDK's model documents limit only as "a
// positive integer"; 1000 is the fake's assumption, not a documented number.
const MaxListLimit = 1000

// listBackups serves GET /v3/{project_id}/backups with the query
// parameters vault_id, image_type, show_replication (replication records
// only when "true"), limit and offset; the answer holds the page, count
// (the matches over all pages), offset and limit.
func (s *Server) listBackups(w http.ResponseWriter, r *http.Request, reqID string) {
	q := r.URL.Query()
	limit, offset := MaxListLimit, 0
	for _, p := range []struct {
		name     string
		v        *int
		min, max int
	}{{"limit", &limit, 1, MaxListLimit}, {"offset", &offset, 0, 1 << 30}} {
		raw := q.Get(p.name)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < p.min || n > p.max {
			writeError(w, reqID, &apiError{status: http.StatusBadRequest, code: CodeInvalidParameter, msg: fmt.Sprintf("Invalid parameter %s: %q (%d to %d)", p.name, raw, p.min, p.max)})
			return
		}
		*p.v = n
	}
	vault, imageType, records := q.Get("vault_id"), q.Get("image_type"), q.Get("show_replication") == "true"
	s.mu.Lock()
	s.advanceLocked()
	var all []cbr.Backup
	for _, id := range s.order {
		b := s.backups[id]
		if (vault != "" && b.VaultID != vault) || (imageType != "" && string(b.ImageType) != imageType) {
			continue
		}
		c := cloneBackup(b)
		if !records {
			c.ReplicationRecords = nil
		}
		all = append(all, c)
	}
	s.mu.Unlock()
	page := all[min(offset, len(all)):min(offset+limit, len(all))]
	fakesrv.WriteJSON(w, http.StatusOK, map[string]any{"backups": page, "count": len(all), "offset": offset, "limit": limit})
}

var (
	regionRE = regexp.MustCompile(`^[a-zA-Z0-9._\-]*$`)
	nameRE   = regexp.MustCompile(`^[\x{4E00}-\x{9FA5}\x{F900}-\x{FA2D}a-zA-Z0-9_\-]*$`)
)

type replicateReq struct {
	Replicate *struct {
		Description          *string `json:"description"`
		DestinationProjectID string  `json:"destination_project_id"`
		DestinationRegion    string  `json:"destination_region"`
		DestinationVaultID   string  `json:"destination_vault_id"`
		EnableAcceleration   *bool   `json:"enable_acceleration"`
		Name                 *string `json:"name"`
	} `json:"replicate"`
}

func (s *Server) replicate(w http.ResponseWriter, reqID, projectID, backupID string, body []byte) {
	bad := func(code, msg string) {
		writeError(w, reqID, &apiError{status: http.StatusBadRequest, code: code, msg: msg})
	}
	var req replicateReq
	if err := json.Unmarshal(body, &req); err != nil || req.Replicate == nil {
		bad(CodeInvalidParameter, "Invalid request body: the replicate object is required")
		return
	}
	p := req.Replicate
	switch {
	case p.DestinationProjectID == "":
		bad(CodeInvalidParameter, "Invalid parameter: destination_project_id is required")
		return
	case p.DestinationRegion == "":
		bad(CodeInvalidParameter, "Invalid parameter: destination_region is required")
		return
	case p.DestinationVaultID == "":
		bad(CodeInvalidParameter, "Invalid parameter: destination_vault_id is required")
		return
	case len(p.DestinationRegion) > 255 || !regionRE.MatchString(p.DestinationRegion):
		bad(CodeInvalidParameter, "Invalid parameter: destination_region")
		return
	case p.Name != nil && (utf8.RuneCountInString(*p.Name) < 1 || utf8.RuneCountInString(*p.Name) > 64 || !nameRE.MatchString(*p.Name)):
		bad(CodeInvalidParameter, "Invalid parameter: name")
		return
	case p.Description != nil && (utf8.RuneCountInString(*p.Description) > 255 || strings.ContainsAny(*p.Description, "<>")):
		bad(CodeInvalidParameter, "Invalid parameter: description")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	b, ok := s.backups[backupID]
	if !ok {
		writeError(w, reqID, &apiError{status: http.StatusNotFound, code: CodeBackupNotFound, msg: "Backup " + backupID + " not found"})
		return
	}
	switch {
	case b.ImageType != cbr.ImageTypeBackup:
		bad(CodeNotReplicable, "Backup of type "+string(b.ImageType)+" cannot be replicated")
		return
	case b.Status != cbr.BackupAvailable:
		bad(CodeInvalidParameter, "Backup status is "+string(b.Status)+"; only available backups can be replicated")
		return
	case p.DestinationRegion == Region || !slices.Contains(s.caps[Region], p.DestinationRegion):
		bad(CodeRegionNotSupported, "Destination region "+p.DestinationRegion+" does not support replication from "+Region)
		return
	}
	v, ok := s.vaults[p.DestinationVaultID]
	switch {
	case !ok || v.Region != p.DestinationRegion || (v.ProjectID != "" && v.ProjectID != p.DestinationProjectID):
		bad(CodeVaultNotFound, "Vault "+p.DestinationVaultID+" not found")
		return
	case v.ProtectType != ProtectReplication:
		bad(CodeInvalidParameter, "Vault "+v.ID+" is not a replication vault")
		return
	}
	for _, r := range b.ReplicationRecords {
		if r.DestinationRegion == p.DestinationRegion && r.Status != cbr.ReplicationFail && r.Status != cbr.ReplicationSkip {
			bad(CodeAlreadyReplicated, "Backup "+b.ID+" is being or has been replicated to region "+p.DestinationRegion)
			return
		}
	}

	now := s.fs.Now().UTC()
	rec := cbr.ReplicationRecord{
		ID: s.newID(), Status: cbr.ReplicationWaiting, CreatedAt: now,
		DestinationProjectID: p.DestinationProjectID, DestinationRegion: p.DestinationRegion,
		DestinationVaultID: p.DestinationVaultID, SourceBackupID: b.ID, SourceCheckpointID: b.CheckpointID,
		SourceProjectID: projectID, SourceRegion: Region, VaultID: b.VaultID,
	}
	b.ReplicationRecords = append(b.ReplicationRecords, rec)
	j := &job{backupID: b.ID, recordID: rec.ID, start: now, duration: s.nextDurationLocked()}
	if p.Name != nil {
		j.name = *p.Name
	}
	if p.Description != nil {
		j.description = *p.Description
	}
	if s.failNext != nil {
		j.failCode, j.failMsg = s.failNext.code, s.failNext.reason
		s.failNext = nil
	}
	s.jobs = append(s.jobs, j)
	fakesrv.WriteJSON(w, http.StatusOK, map[string]any{"replication": cbr.Replication{
		BackupID: b.ID, DestinationProjectID: p.DestinationProjectID, DestinationRegion: p.DestinationRegion,
		DestinationVaultID: p.DestinationVaultID, ProjectID: projectID, ProviderID: b.ProviderID,
		ReplicationRecordID: rec.ID, SourceRegion: Region,
	}})
}

// operationOf names the API operation r calls (see Operations).
func operationOf(r *http.Request) string {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(segs) == 3 && segs[0] == "v3" && segs[2] == "replication-capabilities" && r.Method == http.MethodGet:
		return "ListReplicationCapabilities"
	case len(segs) == 4 && segs[0] == "v3" && segs[2] == "backups" && r.Method == http.MethodGet:
		return "GetBackup"
	case len(segs) == 3 && segs[0] == "v3" && segs[2] == "backups" && r.Method == http.MethodGet:
		return "ListBackups"
	case len(segs) == 5 && segs[0] == "v3" && segs[2] == "backups" && segs[4] == "replicate" && r.Method == http.MethodPost:
		return "CopyBackup"
	}
	return ""
}

// nextDurationLocked is the duration of an operation that starts now.
func (s *Server) nextDurationLocked() time.Duration {
	if s.spread != nil {
		return s.spread.Next()
	}
	return s.duration
}
