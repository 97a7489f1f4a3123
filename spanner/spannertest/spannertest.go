package spannertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backupcopy/backupcopy/internal/fakesrv"
	"github.com/backupcopy/backupcopy/spanner"
)

// DefaultDuration is how long an operation runs unless configured.
const DefaultDuration = 2 * time.Second

// DefaultVersionRetention is the databases' version retention period (the
// service's default, 1 hour): a backup's version time may not be older.
const DefaultVersionRetention = time.Hour

// Server is a fake Cloud Spanner backup API. It is safe for concurrent use.
type Server struct {
	fs *fakesrv.Server

	mu         sync.Mutex
	duration   time.Duration
	spread     *fakesrv.Durations // per-operation durations, or nil
	noAuth     bool
	token      string
	instances  map[string]bool
	databases  map[string]spanner.DatabaseDialect
	backups    map[string]*spanner.Backup
	ops        map[string]*operation
	opOrder    []string
	opSeq      int
	noListener bool
	nextReq    atomic.Int64
}

type operation struct {
	name       string
	copy       bool
	backup     string
	database   string
	source     string
	start      time.Time
	duration   time.Duration
	done       bool
	endTime    time.Time
	cancelTime time.Time
	percent    int // frozen when done
	errCode    int
	errMsg     string
	result     *spanner.Backup
}

// WithToken accepts only "Authorization: Bearer token" (by default any
// non-empty bearer token is accepted).
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// NewServer starts a fake, listening on a loopback port unless
// WithoutListener. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		duration:  DefaultDuration,
		instances: map[string]bool{},
		databases: map[string]spanner.DatabaseDialect{},
		backups:   map[string]*spanner.Backup{},
		ops:       map[string]*operation{},
	}
	for _, o := range opts {
		o(s)
	}
	s.fs = fakesrv.New(fakesrv.Config{Operation: operationOf, Serve: s.serve, WriteFault: writeFault, NoListener: s.noListener})
	s.fs.Start()
	return s
}

// URL returns the base URL, for spanner.WithEndpoint (or option.WithEndpoint).
func (s *Server) URL() string { return s.fs.URL() }

// Close shuts the server down.
func (s *Server) Close() { s.fs.Close() }

// SetClock replaces the server's time source, so tests can drive operations
// without sleeping.
func (s *Server) SetClock(now func() time.Time) { s.fs.SetClock(now) }

// Now returns the server's current time.
func (s *Server) Now() time.Time { return s.fs.Now() }

// SetOperationDuration changes how long operations started from now on run
// (0: finish on the first look).
func (s *Server) SetOperationDuration(d time.Duration) {
	s.mu.Lock()
	s.duration = max(d, 0)
	s.spread = nil
	s.mu.Unlock()
}

// SetAuthRequired says whether requests need an "Authorization: Bearer"
// header (default true; WithoutAuthentication sets false).
func (s *Server) SetAuthRequired(required bool) {
	s.mu.Lock()
	s.noAuth = !required
	s.mu.Unlock()
}

// AddInstance makes an instance, projects/{project}/instances/{instance},
// exist.
func (s *Server) AddInstance(name string) {
	s.mu.Lock()
	s.instances[name] = true
	s.mu.Unlock()
}

// AddDatabase makes a database,
// projects/{project}/instances/{instance}/databases/{database}, and its
// instance exist. Its dialect is GoogleStandardSQL.
func (s *Server) AddDatabase(name string) {
	s.AddDatabaseWithDialect(name, spanner.GoogleStandardSQL)
}

// AddDatabaseWithDialect is AddDatabase with a dialect.
func (s *Server) AddDatabaseWithDialect(name string, d spanner.DatabaseDialect) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.databases[name] = d
	if inst, ok := instanceOf(name); ok {
		s.instances[inst] = true
	}
}

// AddBackup stores a backup (and makes its instance exist), to be copied,
// listed or deleted, and returns it with defaults filled in. Zero fields get defaults: State READY, CreateTime now,
// VersionTime the create time, ExpireTime 30 days after it, MaxExpireTime
// 366 days after it, DatabaseDialect GoogleStandardSQL and Google default
// encryption.
func (s *Server) AddBackup(b spanner.Backup) spanner.Backup {
	now := s.Now()
	if b.State == "" {
		b.State = spanner.BackupReady
	}
	if b.CreateTime.IsZero() {
		b.CreateTime = now
	}
	b.CreateTime = micro(b.CreateTime)
	if b.VersionTime.IsZero() {
		b.VersionTime = b.CreateTime
	}
	if b.ExpireTime.IsZero() {
		b.ExpireTime = b.CreateTime.Add(30 * 24 * time.Hour)
	}
	if b.MaxExpireTime.IsZero() {
		b.MaxExpireTime = b.CreateTime.Add(spanner.MaxCopyExpire)
	}
	if b.DatabaseDialect == "" {
		b.DatabaseDialect = spanner.GoogleStandardSQL
	}
	if b.EncryptionInfo == (spanner.EncryptionInfo{}) {
		b.EncryptionInfo = spanner.EncryptionInfo{Type: spanner.GoogleDefaultEncryption}
	}
	b.VersionTime, b.ExpireTime, b.MaxExpireTime = micro(b.VersionTime), micro(b.ExpireTime), micro(b.MaxExpireTime)
	b.SourceBackup = "" // not part of the resource
	s.mu.Lock()
	defer s.mu.Unlock()
	s.backups[b.Name] = &b
	out := clone(&b)
	if inst, ok := instanceOf(b.Name); ok {
		s.instances[inst] = true
	}
	return out
}

// Backup returns the stored backup called name, as a GET would.
func (s *Server) Backup(name string) (spanner.Backup, bool) {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	b, ok := s.backups[name]
	if !ok {
		return spanner.Backup{}, false
	}
	return clone(b), true
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

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	var out []Request
	for _, e := range s.fs.Requests() {
		out = append(out, Request{Method: e.Method, Path: e.Path, RawQuery: e.RawQuery, Header: e.Header, Body: e.Body})
	}
	return out
}

// ---- serving ----

// apiError is an error answer.
type apiError struct {
	status string
	msg    string
	field  string // for a BadRequest detail
	delay  time.Duration
}

func (e *apiError) Error() string { return e.status + ": " + e.msg }

func errf(status, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

func invalid(field, format string, args ...any) *apiError {
	return &apiError{status: "INVALID_ARGUMENT", msg: fmt.Sprintf(format, args...), field: field}
}

var httpStatus = map[string]int{
	"CANCELLED": 499, "UNKNOWN": 500, "INVALID_ARGUMENT": 400, "DEADLINE_EXCEEDED": 504, "NOT_FOUND": 404,
	"ALREADY_EXISTS": 409, "PERMISSION_DENIED": 403, "RESOURCE_EXHAUSTED": 429, "FAILED_PRECONDITION": 400,
	"ABORTED": 409, "OUT_OF_RANGE": 400, "UNIMPLEMENTED": 501, "INTERNAL": 500, "UNAVAILABLE": 503,
	"DATA_LOSS": 500, "UNAUTHENTICATED": 401,
}

var rpcCode = map[string]int{
	"CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4, "NOT_FOUND": 5,
	"ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "FAILED_PRECONDITION": 9,
	"ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12, "INTERNAL": 13, "UNAVAILABLE": 14,
	"DATA_LOSS": 15, "UNAUTHENTICATED": 16,
}

func writeError(w http.ResponseWriter, e *apiError) {
	code, ok := httpStatus[e.status]
	if !ok {
		code = 500
	}
	body := map[string]any{"code": code, "message": e.msg, "status": e.status}
	var details []any
	if e.field != "" {
		details = append(details, map[string]any{
			"@type":           "type.googleapis.com/google.rpc.BadRequest",
			"fieldViolations": []any{map[string]any{"field": e.field, "description": e.msg}},
		})
	}
	if e.delay > 0 {
		details = append(details, map[string]any{
			"@type":      "type.googleapis.com/google.rpc.RetryInfo",
			"retryDelay": strconv.FormatFloat(e.delay.Seconds(), 'f', -1, 64) + "s",
		})
	}
	if details != nil {
		body["details"] = details
	}
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
	}
	fakesrv.WriteJSON(w, code, map[string]any{"error": body})
}

func (s *Server) checkAuth(r *http.Request) *apiError {
	s.mu.Lock()
	noAuth, want := s.noAuth, s.token
	s.mu.Unlock()
	if noAuth {
		return nil
	}
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return errf("UNAUTHENTICATED", "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
	}
	if want != "" && tok != want {
		return errf("UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
	}
	return nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte, err error) {
	w.Header().Set("X-Request-Id", "fake-"+strconv.FormatInt(s.nextReq.Add(1), 10))
	if err != nil {
		writeError(w, errf("INVALID_ARGUMENT", "reading the request body: %v", err))
		return
	}
	if e := s.checkAuth(r); e != nil {
		writeError(w, e)
		return
	}
	code, out, aerr := s.route(r, body)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	fakesrv.WriteJSON(w, code, out)
}

// route dispatches on the path under /v1/.
func (s *Server) route(r *http.Request, body []byte) (int, any, *apiError) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		return 0, nil, errf("NOT_FOUND", "unknown path %s", r.URL.Path)
	}
	p := strings.Split(rest, "/")
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	isInstance := len(p) >= 4 && p[0] == "projects" && p[2] == "instances"
	if !isInstance {
		return 0, nil, errf("NOT_FOUND", "unknown path %s", r.URL.Path)
	}
	parent := strings.Join(p[:4], "/")
	m := r.Method
	switch {
	case len(p) == 5 && p[4] == "backups" && m == http.MethodPost:
		return s.create(now, parent, r, body)
	case len(p) == 5 && p[4] == "backups" && m == http.MethodGet:
		return s.listBackups(parent, r)
	case len(p) == 5 && p[4] == "backups:copy" && m == http.MethodPost:
		return s.copyBackup(now, parent, body)
	case len(p) == 5 && p[4] == "backupOperations" && m == http.MethodGet:
		return s.listOperations(now, parent, r)
	case len(p) == 6 && p[4] == "backups" && m == http.MethodGet:
		b, ok := s.backups[rest]
		if !ok {
			return 0, nil, errf("NOT_FOUND", "Backup not found: %s", rest)
		}
		return 200, b, nil
	case len(p) == 6 && p[4] == "backups" && m == http.MethodDelete:
		return s.deleteBackup(rest)
	case len(p) == 8 && p[4] == "backups" && p[6] == "operations" && m == http.MethodGet:
		op, ok := s.ops[rest]
		if !ok {
			return 0, nil, errf("NOT_FOUND", "Operation not found: %s", rest)
		}
		return 200, s.opJSON(op, now), nil
	case len(p) == 8 && p[4] == "backups" && p[6] == "operations" && strings.HasSuffix(p[7], ":cancel") && m == http.MethodPost:
		return s.cancel(now, strings.TrimSuffix(rest, ":cancel"))
	}
	return 0, nil, errf("NOT_FOUND", "unknown method %s %s", m, r.URL.Path)
}

var backupIDRE = regexp.MustCompile(`^[a-z][a-z0-9_\-]*[a-z0-9]$`)

func checkBackupID(id string) *apiError {
	if id == "" {
		return invalid("backup_id", "backup_id is required")
	}
	if len(id) < 2 || len(id) > 60 || !backupIDRE.MatchString(id) {
		return invalid("backup_id", "Invalid backup id %q: must match [a-z][a-z0-9_\\-]*[a-z0-9] and be 2 to 60 characters long", id)
	}
	return nil
}

var nameRE = map[string]*regexp.Regexp{
	"instance": regexp.MustCompile(`^projects/[^/]+/instances/[^/]+$`),
	"database": regexp.MustCompile(`^projects/[^/]+/instances/[^/]+/databases/[^/]+$`),
	"backup":   regexp.MustCompile(`^projects/[^/]+/instances/[^/]+/backups/[^/]+$`),
	"kms":      regexp.MustCompile(`^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$`),
}

func instanceOf(name string) (string, bool) {
	p := strings.Split(name, "/")
	if len(p) < 4 || p[0] != "projects" || p[2] != "instances" {
		return "", false
	}
	return strings.Join(p[:4], "/"), true
}

func parseTime(field, v string, required bool) (time.Time, *apiError) {
	if v == "" {
		if required {
			return time.Time{}, invalid(field, "%s is required", field)
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, invalid(field, "Invalid value for %s: %q is not an RFC 3339 timestamp", field, v)
	}
	return micro(t), nil
}

func micro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

type encryption struct {
	Type     string   `json:"encryptionType"`
	KeyName  string   `json:"kmsKeyName"`
	KeyNames []string `json:"kmsKeyNames"`
}

var encryptionTypes = map[bool][]string{
	false: {"USE_DATABASE_ENCRYPTION", "GOOGLE_DEFAULT_ENCRYPTION", "CUSTOMER_MANAGED_ENCRYPTION"},
	true:  {"USE_CONFIG_DEFAULT_OR_BACKUP_ENCRYPTION", "GOOGLE_DEFAULT_ENCRYPTION", "CUSTOMER_MANAGED_ENCRYPTION"},
}

// checkEncryption checks an encryption config and returns the backup's
// EncryptionInfo (nil: inherit).
func checkEncryption(e *encryption, copy bool) (*spanner.EncryptionInfo, *apiError) {
	if e == nil {
		return nil, nil
	}
	if e.Type == "" {
		return nil, invalid("encryption_config.encryption_type", "encryption_config.encryption_type is required")
	}
	if !slices.Contains(encryptionTypes[copy], e.Type) {
		return nil, invalid("encryption_config.encryption_type", "Invalid value for encryption_config.encryption_type: %q", e.Type)
	}
	cmek := e.Type == "CUSTOMER_MANAGED_ENCRYPTION"
	switch {
	case !cmek && (e.KeyName != "" || len(e.KeyNames) > 0):
		return nil, invalid("encryption_config.kms_key_name", "kms_key_name and kms_key_names may be set only with CUSTOMER_MANAGED_ENCRYPTION")
	case cmek && e.KeyName == "" && len(e.KeyNames) == 0:
		return nil, invalid("encryption_config.kms_key_name", "CUSTOMER_MANAGED_ENCRYPTION requires kms_key_name or kms_key_names")
	case e.KeyName != "" && len(e.KeyNames) > 0:
		return nil, invalid("encryption_config.kms_key_names", "Specify only one of kms_key_name and kms_key_names")
	}
	keys := e.KeyNames
	if e.KeyName != "" {
		keys = []string{e.KeyName}
	}
	for _, k := range keys {
		if !nameRE["kms"].MatchString(k) {
			return nil, invalid("encryption_config.kms_key_name", "Invalid KMS key name %q", k)
		}
	}
	switch {
	case cmek:
		return &spanner.EncryptionInfo{Type: spanner.CustomerManagedEncryption, KMSKeyVersion: keys[0] + "/cryptoKeyVersions/1"}, nil
	case e.Type == "GOOGLE_DEFAULT_ENCRYPTION":
		return &spanner.EncryptionInfo{Type: spanner.GoogleDefaultEncryption}, nil
	}
	return nil, nil
}

func (s *Server) create(now time.Time, parent string, r *http.Request, body []byte) (int, any, *apiError) {
	var req struct {
		Database    string `json:"database"`
		ExpireTime  string `json:"expireTime"`
		VersionTime string `json:"versionTime"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return 0, nil, invalid("backup", "Invalid JSON payload received. %v", err)
	}
	q := r.URL.Query()
	if !s.instances[parent] {
		return 0, nil, errf("NOT_FOUND", "Instance not found: %s", parent)
	}
	id := q.Get("backupId")
	if e := checkBackupID(id); e != nil {
		return 0, nil, e
	}
	var enc *encryption
	if q.Has("encryptionConfig.encryptionType") || q.Has("encryptionConfig.kmsKeyName") || q.Has("encryptionConfig.kmsKeyNames") {
		enc = &encryption{Type: q.Get("encryptionConfig.encryptionType"), KeyName: q.Get("encryptionConfig.kmsKeyName"), KeyNames: q["encryptionConfig.kmsKeyNames"]}
	}
	encInfo, e := checkEncryption(enc, false)
	if e != nil {
		return 0, nil, e
	}
	switch {
	case req.Database == "":
		return 0, nil, invalid("backup.database", "backup.database is required")
	case !nameRE["database"].MatchString(req.Database):
		return 0, nil, invalid("backup.database", "Invalid database name %q", req.Database)
	case !strings.HasPrefix(req.Database, parent+"/"):
		return 0, nil, invalid("backup.database", "The database %s must be in the backup's instance %s", req.Database, parent)
	}
	expire, e := parseTime("backup.expire_time", req.ExpireTime, true)
	if e != nil {
		return 0, nil, e
	}
	if expire.Before(now.Add(spanner.MinExpire)) || expire.After(now.Add(spanner.MaxCreateExpire)) {
		return 0, nil, invalid("backup.expire_time", "backup.expire_time must be at least 6 hours and at most 366 days from the time the request is received")
	}
	version, e := parseTime("backup.version_time", req.VersionTime, false)
	if e != nil {
		return 0, nil, e
	}
	if version.After(now) {
		return 0, nil, invalid("backup.version_time", "backup.version_time %s is in the future", req.VersionTime)
	}
	if !version.IsZero() && version.Before(now.Add(-DefaultVersionRetention)) {
		return 0, nil, errf("FAILED_PRECONDITION", "backup.version_time %s is outside the database's version retention period (%s)", req.VersionTime, DefaultVersionRetention)
	}
	dialect, ok := s.databases[req.Database]
	if !ok {
		return 0, nil, errf("NOT_FOUND", "Database not found: %s", req.Database)
	}
	name := parent + "/backups/" + id
	if _, ok := s.backups[name]; ok {
		return 0, nil, errf("ALREADY_EXISTS", "Backup already exists: %s", name)
	}
	for _, op := range s.ops {
		if !op.done && !op.copy && op.database == req.Database {
			return 0, nil, errf("FAILED_PRECONDITION", "Cannot create a backup of database %s: backup %s is already being created. Only one pending backup creation per database is allowed", req.Database, op.backup)
		}
	}
	if version.IsZero() {
		version = micro(now)
	}
	if encInfo == nil {
		encInfo = &spanner.EncryptionInfo{Type: spanner.GoogleDefaultEncryption}
	}
	b := &spanner.Backup{
		Name: name, Database: req.Database, State: spanner.BackupCreating,
		CreateTime: micro(now), VersionTime: version, ExpireTime: expire,
		MaxExpireTime: micro(now.Add(spanner.MaxCopyExpire)), DatabaseDialect: dialect,
		EncryptionInfo: *encInfo,
	}
	s.backups[name] = b
	op := s.startOp(now, b, false, req.Database, "")
	return 200, s.opJSON(op, now), nil
}

func (s *Server) copyBackup(now time.Time, parent string, body []byte) (int, any, *apiError) {
	var req struct {
		BackupID         string      `json:"backupId"`
		SourceBackup     string      `json:"sourceBackup"`
		ExpireTime       string      `json:"expireTime"`
		EncryptionConfig *encryption `json:"encryptionConfig"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return 0, nil, invalid("", "Invalid JSON payload received. %v", err)
	}
	if !s.instances[parent] {
		return 0, nil, errf("NOT_FOUND", "Instance not found: %s", parent)
	}
	if e := checkBackupID(req.BackupID); e != nil {
		return 0, nil, e
	}
	encInfo, e := checkEncryption(req.EncryptionConfig, true)
	if e != nil {
		return 0, nil, e
	}
	switch {
	case req.SourceBackup == "":
		return 0, nil, invalid("source_backup", "source_backup is required")
	case !nameRE["backup"].MatchString(req.SourceBackup):
		return 0, nil, invalid("source_backup", "Invalid source backup name %q", req.SourceBackup)
	}
	expire, e := parseTime("expire_time", req.ExpireTime, true)
	if e != nil {
		return 0, nil, e
	}
	src, ok := s.backups[req.SourceBackup]
	if !ok {
		return 0, nil, errf("NOT_FOUND", "Backup not found: %s", req.SourceBackup)
	}
	if src.State != spanner.BackupReady {
		return 0, nil, errf("FAILED_PRECONDITION", "Source backup %s is not ready (state %s)", req.SourceBackup, src.State)
	}
	if expire.Before(src.CreateTime.Add(spanner.MinExpire)) || expire.After(src.CreateTime.Add(spanner.MaxCopyExpire)) {
		return 0, nil, invalid("expire_time", "expire_time must be at least 6 hours and at most 366 days from the create_time of the source backup")
	}
	if !src.MaxExpireTime.IsZero() && expire.After(src.MaxExpireTime) {
		return 0, nil, invalid("expire_time", "expire_time must not be after the source backup's max_expire_time %s", src.MaxExpireTime.Format(time.RFC3339))
	}
	name := parent + "/backups/" + req.BackupID
	if _, ok := s.backups[name]; ok {
		return 0, nil, errf("ALREADY_EXISTS", "Backup already exists: %s", name)
	}
	if encInfo == nil {
		encInfo = &src.EncryptionInfo
	}
	b := &spanner.Backup{
		Name: name, Database: src.Database, State: spanner.BackupCreating,
		CreateTime: micro(now), VersionTime: src.VersionTime, ExpireTime: expire,
		MaxExpireTime: src.MaxExpireTime, DatabaseDialect: src.DatabaseDialect,
		SizeBytes: src.SizeBytes, EncryptionInfo: *encInfo,
	}
	s.backups[name] = b
	src.ReferencingBackups = append(src.ReferencingBackups, name)
	op := s.startOp(now, b, true, src.Database, req.SourceBackup)
	return 200, s.opJSON(op, now), nil
}

func (s *Server) startOp(now time.Time, b *spanner.Backup, copy bool, database, source string) *operation {
	s.opSeq++
	op := &operation{
		name: fmt.Sprintf("%s/operations/_auto_op_%016x", b.Name, 0x5a17e00000+s.opSeq),
		copy: copy, backup: b.Name, database: database, source: source,
		start: micro(now), duration: s.nextDurationLocked(),
	}
	s.ops[op.name] = op
	s.opOrder = append(s.opOrder, op.name)
	s.advance(now)
	return op
}

// advance finishes every operation whose time has come.
func (s *Server) advance(now time.Time) {
	for _, name := range s.opOrder {
		op := s.ops[name]
		if op.done || now.Before(op.start.Add(op.duration)) {
			continue
		}
		op.done, op.percent, op.endTime = true, 100, op.start.Add(op.duration)
		b := s.backups[op.backup]
		if b == nil {
			op.errCode, op.errMsg = rpcCode["ABORTED"], "the backup was deleted"
			continue
		}
		b.State = spanner.BackupReady
		if b.SizeBytes == 0 {
			b.SizeBytes = int64(len(b.Database)) << 20
		}
		s.dropReference(op)
		r := clone(b)
		op.result = &r
	}
}

func (s *Server) dropReference(op *operation) {
	if src := s.backups[op.source]; op.copy && src != nil {
		src.ReferencingBackups = slices.DeleteFunc(src.ReferencingBackups, func(n string) bool { return n == op.backup })
		if len(src.ReferencingBackups) == 0 {
			src.ReferencingBackups = nil
		}
	}
}

func (s *Server) cancel(now time.Time, name string) (int, any, *apiError) {
	op, ok := s.ops[name]
	if !ok {
		return 0, nil, errf("NOT_FOUND", "Operation not found: %s", name)
	}
	if op.done {
		return 0, nil, errf("FAILED_PRECONDITION", "Operation %s has already completed", name)
	}
	op.done = true
	op.cancelTime, op.endTime = micro(now), micro(now)
	op.percent = s.percent(op, now)
	op.errCode, op.errMsg = rpcCode["CANCELLED"], "Backup creation was cancelled."
	s.dropReference(op)
	delete(s.backups, op.backup)
	return 200, struct{}{}, nil
}

func (s *Server) deleteBackup(name string) (int, any, *apiError) {
	b, ok := s.backups[name]
	if !ok {
		return 0, nil, errf("NOT_FOUND", "Backup not found: %s", name)
	}
	if b.State == spanner.BackupCreating {
		return 0, nil, errf("FAILED_PRECONDITION", "Backup %s is being created; cancel its operation instead", name)
	}
	if len(b.ReferencingBackups) > 0 || len(b.ReferencingDatabases) > 0 {
		return 0, nil, errf("FAILED_PRECONDITION", "Backup %s is in use by %s", name, strings.Join(append(slices.Clone(b.ReferencingBackups), b.ReferencingDatabases...), ", "))
	}
	delete(s.backups, name)
	return 200, struct{}{}, nil
}

func (s *Server) percent(op *operation, now time.Time) int {
	if op.done {
		return op.percent
	}
	return fakesrv.Progress(op.start, op.duration, now)
}

// opJSON renders an operation as the API does.
func (s *Server) opJSON(op *operation, now time.Time) map[string]any {
	prog := spanner.OperationProgress{Percent: s.percent(op, now), StartTime: op.start, EndTime: op.endTime}
	var meta any
	if op.copy {
		meta = spanner.CopyBackupMetadata{Name: op.backup, SourceBackup: op.source, Progress: prog, CancelTime: op.cancelTime}
	} else {
		meta = spanner.CreateBackupMetadata{Name: op.backup, Database: op.database, Progress: prog, CancelTime: op.cancelTime}
	}
	out := map[string]any{"name": op.name, "metadata": meta}
	if !op.done {
		return out
	}
	out["done"] = true
	if op.errCode != 0 {
		out["error"] = map[string]any{"code": op.errCode, "message": op.errMsg}
		return out
	}
	raw, _ := json.Marshal(op.result)
	var resp map[string]any
	json.Unmarshal(raw, &resp)
	resp["@type"] = spanner.BackupTypeURL
	out["response"] = resp
	return out
}

func clone(b *spanner.Backup) spanner.Backup {
	c := *b
	c.ReferencingBackups = slices.Clone(b.ReferencingBackups)
	c.ReferencingDatabases = slices.Clone(b.ReferencingDatabases)
	return c
}

// MaxPageSize is the largest page a list returns, and the page a list
// without pageSize gets: the API documents that a pageSize of 0 or less
// "defaults to the server's maximum allowed page size" (backups.list,
// backupOperations.list), without giving the number; 1000 is the fake's.
const MaxPageSize = 1000

// page cuts a sorted list by pageSize and pageToken (an offset).
func page(n int, r *http.Request) (lo, hi int, next string, e *apiError) {
	q := r.URL.Query()
	size := MaxPageSize
	if v := q.Get("pageSize"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, "", invalid("page_size", "Invalid page_size %q", v)
		}
		if p > 0 {
			size = min(p, MaxPageSize)
		}
	}
	if v := q.Get("pageToken"); v != "" {
		off, err := strconv.Atoi(strings.TrimPrefix(v, "offset-"))
		if err != nil || !strings.HasPrefix(v, "offset-") || off < 0 || off > n {
			return 0, 0, "", invalid("page_token", "Invalid page_token %q", v)
		}
		lo = off
	}
	hi = min(lo+size, n)
	if hi < n {
		next = "offset-" + strconv.Itoa(hi)
	}
	return lo, hi, next, nil
}

func (s *Server) listBackups(parent string, r *http.Request) (int, any, *apiError) {
	if f := r.URL.Query().Get("filter"); f != "" {
		return 0, nil, errf("UNIMPLEMENTED", "spannertest: backup list filters are not implemented (filter %q)", f)
	}
	if !s.instances[parent] {
		return 0, nil, errf("NOT_FOUND", "Instance not found: %s", parent)
	}
	var names []string
	for n := range s.backups {
		if strings.HasPrefix(n, parent+"/backups/") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	lo, hi, next, e := page(len(names), r)
	if e != nil {
		return 0, nil, e
	}
	out := map[string]any{}
	var list []*spanner.Backup
	for _, n := range names[lo:hi] {
		list = append(list, s.backups[n])
	}
	if list != nil {
		out["backups"] = list
	}
	if next != "" {
		out["nextPageToken"] = next
	}
	return 200, out, nil
}

func (s *Server) listOperations(now time.Time, parent string, r *http.Request) (int, any, *apiError) {
	if !s.instances[parent] {
		return 0, nil, errf("NOT_FOUND", "Instance not found: %s", parent)
	}
	match, e := parseFilter(r.URL.Query().Get("filter"))
	if e != nil {
		return 0, nil, e
	}
	var matched []*operation
	for _, name := range s.opOrder {
		if !strings.HasPrefix(name, parent+"/backups/") {
			continue
		}
		if op := s.ops[name]; match(op) {
			matched = append(matched, op)
		}
	}
	lo, hi, next, e := page(len(matched), r)
	if e != nil {
		return 0, nil, e
	}
	out := map[string]any{}
	if hi > lo {
		list := make([]map[string]any, 0, hi-lo)
		for _, op := range matched[lo:hi] { // only the page is rendered
			list = append(list, s.opJSON(op, now))
		}
		out["operations"] = list
	}
	if next != "" {
		out["nextPageToken"] = next
	}
	return 200, out, nil
}

// operationOf names the API operation r calls (see Operations).
func operationOf(r *http.Request) string {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		return ""
	}
	p := strings.Split(rest, "/")
	m := r.Method
	switch {
	case len(p) == 5 && p[4] == "backups" && m == http.MethodPost:
		return "CreateBackup"
	case len(p) == 5 && p[4] == "backups":
		return "ListBackups"
	case len(p) == 5 && p[4] == "backups:copy":
		return "CopyBackup"
	case len(p) == 5 && p[4] == "backupOperations":
		return "ListBackupOperations"
	case len(p) == 6 && p[4] == "backups" && m == http.MethodDelete:
		return "DeleteBackup"
	case len(p) == 6 && p[4] == "backups":
		return "GetBackup"
	case len(p) == 8 && p[6] == "operations" && strings.HasSuffix(p[7], ":cancel"):
		return "CancelOperation"
	case len(p) == 8 && p[6] == "operations":
		return "GetOperation"
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
