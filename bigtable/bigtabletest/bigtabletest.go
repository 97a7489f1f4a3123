package bigtabletest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/internal/fakesrv"
	"github.com/backupcopy/backupcopy/internal/gapi"
)

// DefaultDuration is how long an operation runs unless SetOperationDuration
// says otherwise.
const DefaultDuration = 2 * time.Second

// MaxPageSize is the largest page a list returns unless SetPageSize says
// otherwise. The API documents pageSize only as "the standard list page
// size" (no maximum); 1000 is the fake's, the same as spannertest's.
const MaxPageSize = 1000

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	fs *fakesrv.Server

	mu           sync.Mutex
	clusters     map[string]bool
	tables       map[string]bool
	backups      map[string]*backup
	ops          []*operation // in creation order
	opByName     map[string]*operation
	duration     time.Duration
	spread       *fakesrv.Durations // per-operation durations, or nil
	authRequired bool
	pageSize     int
	noListener   bool
	nextOp       int
	nextReq      int
}

type backup struct {
	b  bigtable.Backup
	op *operation // the operation creating it, nil once seeded
}

type opKind int

const (
	copyOp opKind = iota
	createOp
)

type operation struct {
	name     string
	kind     opKind
	backup   string // the new backup's name
	start    time.Time
	duration time.Duration
	// copy: the source backup as it was when the copy began.
	source bigtable.Backup
	// create: the source table.
	table string
	// size of the finished backup.
	size int64
	done bool
	// cancelled: ended by operations:cancel at end, with percent reached.
	cancelled bool
	end       time.Time
	percent   int
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

// NewServer starts a fake with no clusters, tables or backups, listening on
// a loopback port unless WithoutListener.
func NewServer(opts ...Option) *Server {
	s := &Server{
		clusters:     map[string]bool{},
		tables:       map[string]bool{},
		backups:      map[string]*backup{},
		opByName:     map[string]*operation{},
		duration:     DefaultDuration,
		authRequired: true,
		pageSize:     MaxPageSize,
	}
	for _, o := range opts {
		o(s)
	}
	s.fs = fakesrv.New(fakesrv.Config{Operation: operationOf, Serve: s.serve, WriteFault: writeFault, NoListener: s.noListener})
	s.fs.Start()
	return s
}

// URL returns the base URL, http://127.0.0.1:port, for bigtable.WithEndpoint.
func (s *Server) URL() string { return s.fs.URL() }

// Close shuts the server down.
func (s *Server) Close() { s.fs.Close() }

// SetOperationDuration sets how long operations started from now on take
// (default 2 s; 0 finishes them by the next request).
func (s *Server) SetOperationDuration(d time.Duration) {
	s.mu.Lock()
	s.duration = max(d, 0)
	s.spread = nil
	s.mu.Unlock()
}

// SetAuthRequired says whether requests need a bearer token (default true).
func (s *Server) SetAuthRequired(required bool) {
	s.mu.Lock()
	s.authRequired = required
	s.mu.Unlock()
}

// SetPageSize sets the largest page a list returns when the request sets no
// smaller pageSize (default MaxPageSize).
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	s.pageSize = max(n, 1)
	s.mu.Unlock()
}

// SetClock replaces the fake's time source, so tests can drive operations
// and expire-time rules without sleeping.
func (s *Server) SetClock(now func() time.Time) { s.fs.SetClock(now) }

// Now returns the fake's current time.
func (s *Server) Now() time.Time { return s.fs.Now() }

var (
	clusterRE = regexp.MustCompile(`^projects/[^/]+/instances/[^/]+/clusters/[^/]+$`)
	tableRE   = regexp.MustCompile(`^projects/[^/]+/instances/[^/]+/tables/[^/]+$`)
	backupRE  = regexp.MustCompile(`^(projects/[^/]+/instances/[^/]+/clusters/[^/]+)/backups/([^/]+)$`)
	idRE      = regexp.MustCompile(`^[_a-zA-Z0-9][-_.a-zA-Z0-9]*$`)
)

// AddCluster declares a cluster, projects/{p}/instances/{i}/clusters/{c}, as
// a copy destination. It panics on a malformed name.
func (s *Server) AddCluster(name string) {
	if !clusterRE.MatchString(name) {
		panic("bigtabletest: AddCluster: not a cluster name: " + name)
	}
	s.mu.Lock()
	s.clusters[name] = true
	s.mu.Unlock()
}

// AddTable declares a table, projects/{p}/instances/{i}/tables/{t}, as a
// CreateBackup source. It panics on a malformed name.
func (s *Server) AddTable(name string) {
	if !tableRE.MatchString(name) {
		panic("bigtabletest: AddTable: not a table name: " + name)
	}
	s.mu.Lock()
	s.tables[name] = true
	s.mu.Unlock()
}

// AddBackup seeds a backup, typically a READY copy source, and returns it
// with defaults filled in. Its cluster and
// source table are declared too. Empty fields get defaults: State READY,
// StartTime an hour ago, EndTime (when READY) half an hour ago, ExpireTime in
// 7 days, BackupType STANDARD, GOOGLE_DEFAULT_ENCRYPTION. A backup with the
// same name is replaced. It panics on a malformed name.
func (s *Server) AddBackup(b bigtable.Backup) bigtable.Backup {
	m := backupRE.FindStringSubmatch(b.Name)
	if m == nil || len(m[2]) > 50 || !idRE.MatchString(m[2]) {
		panic("bigtabletest: AddBackup: not a backup name: " + b.Name)
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	if b.State == "" {
		b.State = bigtable.BackupReady
	}
	if b.StartTime.IsZero() {
		b.StartTime = now.Add(-time.Hour)
	}
	if b.EndTime.IsZero() && b.State == bigtable.BackupReady {
		b.EndTime = now.Add(-30 * time.Minute)
	}
	if b.ExpireTime.IsZero() {
		b.ExpireTime = now.Add(7 * 24 * time.Hour)
	}
	if b.BackupType == "" {
		b.BackupType = bigtable.BackupTypeStandard
	}
	if b.EncryptionInfo.Type == "" {
		b.EncryptionInfo.Type = bigtable.GoogleDefaultEncryption
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clusters[m[1]] = true
	if tableRE.MatchString(b.SourceTable) {
		s.tables[b.SourceTable] = true
	}
	s.backups[b.Name] = &backup{b: b}
	return b
}

// Backup returns the current state of a backup.
func (s *Server) Backup(name string) (bigtable.Backup, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(s.Now())
	e, ok := s.backups[name]
	if !ok {
		return bigtable.Backup{}, false
	}
	return e.b, true
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	var out []Request
	for _, e := range s.fs.Requests() {
		out = append(out, Request{Method: e.Method, Path: e.Path, RawQuery: e.RawQuery, Header: e.Header, Body: e.Body})
	}
	return out
}

// advanceLocked finishes the operations whose time has come and deletes
// expired backups.
func (s *Server) advanceLocked(now time.Time) {
	for _, op := range s.ops {
		if op.done || now.Before(op.start.Add(op.duration)) {
			continue
		}
		op.done = true
		if e, ok := s.backups[op.backup]; ok && e.op == op {
			e.b.State = bigtable.BackupReady
			e.b.EndTime = op.start.Add(op.duration)
			if op.kind == copyOp {
				// A copy keeps the source's data window.
				e.b.StartTime, e.b.EndTime = op.source.StartTime, op.source.EndTime
			}
			e.b.SizeBytes = op.size
		}
	}
	for name, e := range s.backups {
		if e.b.State == bigtable.BackupReady && !e.b.ExpireTime.IsZero() && !now.Before(e.b.ExpireTime) && !s.copyingFromLocked(name) {
			delete(s.backups, name)
		}
	}
}

// copyingFromLocked reports whether a copy from backup is in progress.
func (s *Server) copyingFromLocked(name string) bool {
	for _, op := range s.ops {
		if !op.done && op.kind == copyOp && op.source.Name == name {
			return true
		}
	}
	return false
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextReq++
	w.Header().Set("X-Request-Id", fmt.Sprintf("fake-%d", s.nextReq))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "INVALID_ARGUMENT", err.Error())
		return
	}
	if s.authRequired {
		h := r.Header.Get("Authorization")
		if !strings.HasPrefix(h, "Bearer ") || strings.TrimSpace(h[len("Bearer "):]) == "" {
			writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED",
				"Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
			return
		}
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	s.advanceLocked(now)

	path, ok := strings.CutPrefix(r.URL.Path, "/v2/")
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "unknown path "+r.URL.Path)
		return
	}
	path = strings.TrimSuffix(path, "/")
	switch {
	case strings.HasPrefix(path, "operations/"):
		if name, ok := strings.CutSuffix(path, ":cancel"); ok {
			s.methods(w, r, http.MethodPost, func() { s.cancelOperation(w, name, now) })
		} else if strings.HasSuffix(path, "/operations") {
			s.methods(w, r, http.MethodGet, func() { s.listOperations(w, r, strings.TrimSuffix(path, "/operations"), now) })
		} else {
			s.methods(w, r, http.MethodGet, func() { s.getOperation(w, path, now) })
		}
	case strings.HasSuffix(path, "/backups:copy"):
		s.methods(w, r, http.MethodPost, func() { s.copyBackup(w, strings.TrimSuffix(path, "/backups:copy"), body, now) })
	case strings.HasSuffix(path, "/backups"):
		parent := strings.TrimSuffix(path, "/backups")
		switch r.Method {
		case http.MethodPost:
			s.createBackup(w, r, parent, body, now)
		case http.MethodGet:
			s.listBackups(w, r, parent)
		default:
			writeError(w, http.StatusMethodNotAllowed, "UNIMPLEMENTED", "method "+r.Method+" not allowed")
		}
	case backupRE.MatchString(path):
		switch r.Method {
		case http.MethodGet:
			s.getBackup(w, path)
		case http.MethodDelete:
			s.deleteBackup(w, path)
		default:
			writeError(w, http.StatusMethodNotAllowed, "UNIMPLEMENTED", "method "+r.Method+" not allowed")
		}
	default:
		writeError(w, http.StatusNotFound, "NOT_FOUND", "unknown path "+r.URL.Path)
	}
}

func (s *Server) methods(w http.ResponseWriter, r *http.Request, method string, f func()) {
	if r.Method != method {
		writeError(w, http.StatusMethodNotAllowed, "UNIMPLEMENTED", "method "+r.Method+" not allowed")
		return
	}
	f()
}

func (s *Server) copyBackup(w http.ResponseWriter, parent string, body []byte, now time.Time) {
	var req struct {
		BackupID     string `json:"backupId"`
		SourceBackup string `json:"sourceBackup"`
		ExpireTime   string `json:"expireTime"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error())
		return
	}
	if !clusterRE.MatchString(parent) {
		writeBadRequest(w, "parent", "Invalid parent: "+parent)
		return
	}
	if !checkID(w, req.BackupID) {
		return
	}
	if !backupRE.MatchString(req.SourceBackup) {
		writeBadRequest(w, "source_backup", "Invalid source backup name: "+req.SourceBackup)
		return
	}
	expire, ok := checkExpire(w, req.ExpireTime, now, 30*24*time.Hour, "30 days")
	if !ok {
		return
	}
	if !s.clusters[parent] {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Cluster not found: "+parent)
		return
	}
	src, ok := s.backups[req.SourceBackup]
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Source backup not found: "+req.SourceBackup)
		return
	}
	if src.b.State != bigtable.BackupReady {
		writeError(w, http.StatusBadRequest, "FAILED_PRECONDITION", "Source backup "+req.SourceBackup+" is not READY.")
		return
	}
	if src.b.SourceBackup != "" {
		writeError(w, http.StatusBadRequest, "FAILED_PRECONDITION", "Copying a copied backup is not allowed: "+req.SourceBackup+" is a copy of "+src.b.SourceBackup+".")
		return
	}
	name := parent + "/backups/" + req.BackupID
	if _, exists := s.backups[name]; exists {
		writeError(w, http.StatusConflict, "ALREADY_EXISTS", "Backup already exists: "+name)
		return
	}
	op := s.newOpLocked(copyOp, name, now)
	op.source = src.b
	op.size = src.b.SizeBytes
	s.backups[name] = &backup{op: op, b: bigtable.Backup{
		Name: name, SourceTable: src.b.SourceTable, SourceBackup: src.b.Name,
		ExpireTime: expire, StartTime: src.b.StartTime, State: bigtable.BackupCreating,
		EncryptionInfo: src.b.EncryptionInfo, BackupType: bigtable.BackupTypeStandard,
	}}
	s.writeOp(w, op, now)
}

func (s *Server) createBackup(w http.ResponseWriter, r *http.Request, parent string, body []byte, now time.Time) {
	var req bigtable.Backup
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error())
		return
	}
	if !clusterRE.MatchString(parent) {
		writeBadRequest(w, "parent", "Invalid parent: "+parent)
		return
	}
	id := r.URL.Query().Get("backupId")
	if !checkID(w, id) {
		return
	}
	if !tableRE.MatchString(req.SourceTable) {
		writeBadRequest(w, "backup.source_table", "Invalid source table: "+req.SourceTable)
		return
	}
	if instanceOf(req.SourceTable) != instanceOf(parent) {
		writeBadRequest(w, "backup.source_table", "The source table must be in the same instance as the backup.")
		return
	}
	if req.ExpireTime.IsZero() {
		writeBadRequest(w, "backup.expire_time", "expire_time is required.")
		return
	}
	if d := req.ExpireTime.Sub(now); d < 6*time.Hour || d > 90*24*time.Hour {
		writeBadRequest(w, "backup.expire_time", "expire_time must be at least 6 hours and at most 90 days from the time the request is received.")
		return
	}
	switch req.BackupType {
	case "", bigtable.BackupTypeUnspecified:
		req.BackupType = bigtable.BackupTypeStandard
	case bigtable.BackupTypeStandard, bigtable.BackupTypeHot:
	default:
		writeBadRequest(w, "backup.backup_type", "Invalid backup type: "+string(req.BackupType))
		return
	}
	if !req.HotToStandardTime.IsZero() {
		if req.BackupType != bigtable.BackupTypeHot {
			writeBadRequest(w, "backup.hot_to_standard_time", "hot_to_standard_time applies only to hot backups.")
			return
		}
		if req.HotToStandardTime.Sub(now) < 24*time.Hour {
			writeBadRequest(w, "backup.hot_to_standard_time", "hot_to_standard_time must be at least 24 hours after the backup creation time.")
			return
		}
	}
	if !s.clusters[parent] {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Cluster not found: "+parent)
		return
	}
	if !s.tables[req.SourceTable] {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Table not found: "+req.SourceTable)
		return
	}
	name := parent + "/backups/" + id
	if _, exists := s.backups[name]; exists {
		writeError(w, http.StatusConflict, "ALREADY_EXISTS", "Backup already exists: "+name)
		return
	}
	op := s.newOpLocked(createOp, name, now)
	op.table = req.SourceTable
	op.size = 1 << 30
	s.backups[name] = &backup{op: op, b: bigtable.Backup{
		Name: name, SourceTable: req.SourceTable, ExpireTime: req.ExpireTime, StartTime: now,
		State: bigtable.BackupCreating, BackupType: req.BackupType, HotToStandardTime: req.HotToStandardTime,
		EncryptionInfo: bigtable.EncryptionInfo{Type: bigtable.GoogleDefaultEncryption},
	}}
	s.writeOp(w, op, now)
}

func checkID(w http.ResponseWriter, id string) bool {
	if id == "" || len(id) > 50 || !idRE.MatchString(id) {
		writeBadRequest(w, "backup_id", "Invalid backup id "+strconv.Quote(id)+": it must be 1-50 characters matching [_a-zA-Z0-9][-_.a-zA-Z0-9]*.")
		return false
	}
	return true
}

func checkExpire(w http.ResponseWriter, raw string, now time.Time, maxD time.Duration, maxText string) (time.Time, bool) {
	if raw == "" {
		writeBadRequest(w, "expire_time", "expire_time is required.")
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid value at 'expire_time' (type.googleapis.com/google.protobuf.Timestamp), Field 'expireTime', Illegal timestamp format; timestamps must end with 'Z' or have a valid timezone offset.")
		return time.Time{}, false
	}
	t = t.UTC().Truncate(time.Microsecond)
	if d := t.Sub(now); d < 6*time.Hour || d > maxD {
		writeBadRequest(w, "expire_time", "expire_time must be at least 6 hours and at most "+maxText+" from the time the request is received.")
		return time.Time{}, false
	}
	return t, true
}

func instanceOf(name string) string {
	parts := strings.SplitN(name, "/", 5)
	if len(parts) < 4 {
		return name
	}
	return strings.Join(parts[:4], "/")
}

func (s *Server) newOpLocked(kind opKind, backupName string, now time.Time) *operation {
	s.nextOp++
	op := &operation{
		name:     fmt.Sprintf("operations/%s/operations/%d", backupName, 1000+s.nextOp),
		kind:     kind,
		backup:   backupName,
		start:    now,
		duration: s.nextDurationLocked(),
	}
	s.ops = append(s.ops, op)
	s.opByName[op.name] = op
	return op
}

func (s *Server) getBackup(w http.ResponseWriter, name string) {
	e, ok := s.backups[name]
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Backup not found: "+name)
		return
	}
	fakesrv.WriteJSON(w, http.StatusOK, e.b)
}

func (s *Server) deleteBackup(w http.ResponseWriter, name string) {
	e, ok := s.backups[name]
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Backup not found: "+name)
		return
	}
	if e.b.State != bigtable.BackupReady {
		writeError(w, http.StatusBadRequest, "FAILED_PRECONDITION", "Backup "+name+" is still being created.")
		return
	}
	if s.copyingFromLocked(name) {
		writeError(w, http.StatusBadRequest, "FAILED_PRECONDITION", "Backup "+name+" is the source of a copy in progress and cannot be deleted until the copy finishes.")
		return
	}
	delete(s.backups, name)
	fakesrv.WriteJSON(w, http.StatusOK, struct{}{})
}

func (s *Server) listBackups(w http.ResponseWriter, r *http.Request, parent string) {
	if !clusterRE.MatchString(parent) {
		writeBadRequest(w, "parent", "Invalid parent: "+parent)
		return
	}
	q := r.URL.Query()
	if q.Get("filter") != "" || q.Get("orderBy") != "" {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "bigtabletest: filter and orderBy are not supported by the fake")
		return
	}
	prefix := parent + "/backups/"
	all := strings.HasSuffix(parent, "/clusters/-")
	if all {
		prefix = strings.TrimSuffix(parent, "-")
	} else if !s.clusters[parent] {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Cluster not found: "+parent)
		return
	}
	var names []string
	for name := range s.backups {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	start, size, ok := pageWindow(w, q.Get("pageToken"), q.Get("pageSize"), s.pageSize, len(names))
	if !ok {
		return
	}
	out := struct {
		Backups       []bigtable.Backup `json:"backups,omitempty"`
		NextPageToken string            `json:"nextPageToken,omitempty"`
	}{}
	for _, n := range names[start:min(start+size, len(names))] {
		out.Backups = append(out.Backups, s.backups[n].b)
	}
	if start+size < len(names) {
		out.NextPageToken = pageToken(start + size)
	}
	fakesrv.WriteJSON(w, http.StatusOK, out)
}

func pageToken(offset int) string { return "page-" + strconv.Itoa(offset) }

// pageWindow reads pageToken and pageSize.
func pageWindow(w http.ResponseWriter, token, sizeRaw string, maxSize, n int) (start, size int, ok bool) {
	size = maxSize
	if sizeRaw != "" {
		v, err := strconv.Atoi(sizeRaw)
		if err != nil || v < 0 {
			writeBadRequest(w, "page_size", "Invalid page_size: "+sizeRaw)
			return 0, 0, false
		}
		if v > 0 && v < size {
			size = v
		}
	}
	if token != "" {
		v, err := strconv.Atoi(strings.TrimPrefix(token, "page-"))
		if !strings.HasPrefix(token, "page-") || err != nil || v < 0 || v > n {
			writeBadRequest(w, "page_token", "Invalid page_token.")
			return 0, 0, false
		}
		start = v
	}
	return start, size, true
}

// opJSON renders an operation as the service does.
func (s *Server) opJSON(op *operation, now time.Time) gapi.Operation {
	pct := fakesrv.Progress(op.start, op.duration, now)
	out := gapi.Operation{Name: op.name, Done: op.done}
	var end time.Time
	switch {
	case op.cancelled:
		end, pct = op.end, op.percent
	case op.done:
		end = op.start.Add(op.duration)
		pct = 100
	}
	var meta any
	switch op.kind {
	case copyOp:
		meta = bigtable.CopyBackupMetadata{
			Name: op.backup,
			SourceBackupInfo: bigtable.BackupInfo{
				Backup: op.source.Name, SourceTable: op.source.SourceTable, SourceBackup: op.source.SourceBackup,
				StartTime: op.source.StartTime, EndTime: op.source.EndTime,
			},
			Progress: bigtable.OperationProgress{Percent: pct, StartTime: op.start, EndTime: end},
		}
	case createOp:
		meta = bigtable.CreateBackupMetadata{Name: op.backup, SourceTable: op.table, RequestTime: op.start, FinishTime: end}
	}
	out.Metadata, _ = json.Marshal(meta)
	if op.cancelled {
		out.Error = json.RawMessage(`{"code":1,"message":"The operation was cancelled."}`)
		return out
	}
	if op.done {
		var b bigtable.Backup
		if e, ok := s.backups[op.backup]; ok && e.op == op {
			b = e.b
		} else {
			// The backup was deleted (or expired) since; report what was made.
			b = bigtable.Backup{Name: op.backup, State: bigtable.BackupReady, SizeBytes: op.size}
		}
		out.Response = withType(b, "google.bigtable.admin.v2.Backup")
	}
	return out
}

// withType encodes v as an Any: its JSON object with "@type" first.
func withType(v any, fullName string) json.RawMessage {
	b, _ := json.Marshal(v)
	head := `{"@type":` + strconv.Quote(gapi.TypeURL(fullName))
	if string(b) == "{}" {
		return json.RawMessage(head + "}")
	}
	return json.RawMessage(head + "," + string(b[1:]))
}

func (s *Server) writeOp(w http.ResponseWriter, op *operation, now time.Time) {
	fakesrv.WriteJSON(w, http.StatusOK, s.opJSON(op, now))
}

func (s *Server) getOperation(w http.ResponseWriter, name string, now time.Time) {
	op, ok := s.opByName[name]
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Operation not found: "+name)
		return
	}
	s.writeOp(w, op, now)
}

// cancelOperation serves POST /v2/{name=operations/**}:cancel. As the
// service documents for backups, cancelling stops the creation or copy and
// deletes the backup being made; the operation ends done with a CANCELLED
// error (code 1). A finished operation cannot be cancelled
// (FAILED_PRECONDITION).
func (s *Server) cancelOperation(w http.ResponseWriter, name string, now time.Time) {
	op, ok := s.opByName[name]
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Operation not found: "+name)
		return
	}
	if op.done {
		writeError(w, http.StatusBadRequest, "FAILED_PRECONDITION", "Operation "+name+" has already completed.")
		return
	}
	op.percent = fakesrv.Progress(op.start, op.duration, now)
	op.done, op.cancelled, op.end = true, true, now
	if e, ok := s.backups[op.backup]; ok && e.op == op {
		delete(s.backups, op.backup)
	}
	fakesrv.WriteJSON(w, http.StatusOK, struct{}{})
}

// listOperations serves GET /v2/{scope}/operations, scope being
// operations/projects/{p}[/instances/{i}[/...]].
func (s *Server) listOperations(w http.ResponseWriter, r *http.Request, scope string, now time.Time) {
	if !strings.HasPrefix(scope, "operations/projects/") {
		writeBadRequest(w, "name", "Invalid operations collection: "+scope)
		return
	}
	q := r.URL.Query()
	match, err := parseFilter(q.Get("filter"))
	if err != nil {
		writeBadRequest(w, "filter", "Invalid filter: "+err.Error())
		return
	}
	// A filter on name and done only is matched without rendering each
	// operation; only the page is rendered.
	light := !strings.Contains(q.Get("filter"), "metadata")
	var matched []*operation
	for i := len(s.ops) - 1; i >= 0; i-- { // newest first
		op := s.ops[i]
		if !strings.HasPrefix(op.name, scope+"/") {
			continue
		}
		j := gapi.Operation{Name: op.name, Done: op.done}
		if !light {
			j = s.opJSON(op, now)
		}
		if match(&j) {
			matched = append(matched, op)
		}
	}
	start, size, ok := pageWindow(w, q.Get("pageToken"), q.Get("pageSize"), s.pageSize, len(matched))
	if !ok {
		return
	}
	var list []gapi.Operation
	for _, op := range matched[start:min(start+size, len(matched))] {
		list = append(list, s.opJSON(op, now))
	}
	out := struct {
		Operations    []gapi.Operation `json:"operations,omitempty"`
		NextPageToken string           `json:"nextPageToken,omitempty"`
	}{Operations: list}
	if start+size < len(matched) {
		out.NextPageToken = pageToken(start + size)
	}
	fakesrv.WriteJSON(w, http.StatusOK, out)
}

// parseFilter reads the subset of the list-filter syntax the fake supports:
// terms "field = value" or "field : value" (contains), optionally in
// parentheses, joined by AND. Fields: name, done, metadata.@type,
// metadata.name. Values may be quoted.
func parseFilter(f string) (func(*gapi.Operation) bool, error) {
	f = strings.TrimSpace(f)
	if f == "" {
		return func(*gapi.Operation) bool { return true }, nil
	}
	type term struct {
		field, op, value string
	}
	var terms []term
	for _, raw := range splitAnd(f) {
		t := strings.TrimSpace(raw)
		t = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(t, "("), ")"))
		i := strings.IndexAny(t, "=:")
		if i <= 0 {
			return nil, fmt.Errorf("term %q has no '=' or ':'", raw)
		}
		field, value := strings.TrimSpace(t[:i]), strings.TrimSpace(t[i+1:])
		if uq, err := strconv.Unquote(value); err == nil {
			value = uq
		}
		switch strings.ToLower(field) {
		case "name", "done", "metadata.@type", "metadata.name":
		default:
			return nil, fmt.Errorf("unsupported field %q", field)
		}
		terms = append(terms, term{strings.ToLower(field), t[i : i+1], value})
	}
	return func(op *gapi.Operation) bool {
		var meta struct {
			Type string `json:"@type"`
			Name string `json:"name"`
		}
		_ = json.Unmarshal(op.Metadata, &meta)
		for _, t := range terms {
			var got string
			switch t.field {
			case "name":
				got = op.Name
			case "done":
				got = strconv.FormatBool(op.Done)
			case "metadata.@type":
				got = meta.Type
			case "metadata.name":
				got = meta.Name
			}
			if t.op == "=" && !strings.EqualFold(got, t.value) || t.op == ":" && !strings.Contains(strings.ToLower(got), strings.ToLower(t.value)) {
				return false
			}
		}
		return true
	}, nil
}

// splitAnd splits f at " AND " outside quotes.
func splitAnd(f string) []string {
	var out []string
	inQuote := false
	last := 0
	for i := 0; i < len(f); i++ {
		switch {
		case f[i] == '\\' && inQuote:
			i++
		case f[i] == '"':
			inQuote = !inQuote
		case !inQuote && i+5 <= len(f) && strings.EqualFold(f[i:i+5], " AND "):
			out = append(out, f[last:i])
			last = i + 5
			i += 4
		}
	}
	return append(out, f[last:])
}

type errorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []any  `json:"details,omitempty"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, httpCode int, status, msg string, details ...any) {
	var b errorBody
	b.Error.Code, b.Error.Message, b.Error.Status, b.Error.Details = httpCode, msg, status, details
	fakesrv.WriteJSON(w, httpCode, b)
}

// writeBadRequest answers INVALID_ARGUMENT with a BadRequest field violation.
func writeBadRequest(w http.ResponseWriter, field, msg string) {
	writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", msg, map[string]any{
		"@type":           "type.googleapis.com/google.rpc.BadRequest",
		"fieldViolations": []map[string]string{{"field": field, "description": msg}},
	})
}

// operationOf names the API operation r calls (see Operations).
func operationOf(r *http.Request) string {
	path, ok := strings.CutPrefix(r.URL.Path, "/v2/")
	if !ok {
		return ""
	}
	path = strings.TrimSuffix(path, "/")
	switch {
	case strings.HasPrefix(path, "operations/") && strings.HasSuffix(path, "/operations"):
		return "ListOperations"
	case strings.HasPrefix(path, "operations/") && strings.HasSuffix(path, ":cancel"):
		return "CancelOperation"
	case strings.HasPrefix(path, "operations/"):
		return "GetOperation"
	case strings.HasSuffix(path, "/backups:copy"):
		return "CopyBackup"
	case strings.HasSuffix(path, "/backups") && r.Method == http.MethodPost:
		return "CreateBackup"
	case strings.HasSuffix(path, "/backups"):
		return "ListBackups"
	case r.Method == http.MethodDelete:
		return "DeleteBackup"
	case backupRE.MatchString(path):
		return "GetBackup"
	}
	return ""
}

// retryInfo is a google.rpc.RetryInfo detail advising d (none for 0).
func retryInfo(d time.Duration) []any {
	if d <= 0 {
		return nil
	}
	return []any{map[string]any{
		"@type":      "type.googleapis.com/google.rpc.RetryInfo",
		"retryDelay": strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s",
	}}
}

// nextDurationLocked is the duration of an operation that starts now.
func (s *Server) nextDurationLocked() time.Duration {
	if s.spread != nil {
		return s.spread.Next()
	}
	return s.duration
}
