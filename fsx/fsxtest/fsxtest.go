// Package fsxtest is an in-process fake of the three Amazon FSx operations
// that package fsx uses: CopyBackup, DescribeBackups and DeleteBackup. It
// speaks the real awsJson1_1 protocol (POST / with X-Amz-Target
// AWSSimbaAPIService_v20180301.{Operation} and Content-Type
// application/x-amz-json-1.1), so aws-sdk-go-v2's FSx client pointed at it
// (BaseEndpoint) works too.
//
// Like FSx, it checks every request's SigV4 signature, made with AccessKeyID
// and SecretAccessKey for service "fsx" and region Region; a request that
// fails gets 403 with the AWS error shape (MissingAuthenticationTokenException,
// IncompleteSignatureException, UnrecognizedClientException or
// InvalidSignatureException, "Signature expired" for a request dated more than
// five minutes from the fake's clock; see SetClockSkew).
//
// It enforces the documented CopyBackup rules: the source must exist and be
// AVAILABLE (BackupNotFound, SourceBackupUnavailable); a ClientRequestToken
// replayed with the same parameters returns the same copy, with other
// parameters IncompatibleParameterError; at most MaxInProgressCopies copies
// may be in progress (ServiceLimitExceeded, Limit
// TOTAL_IN_PROGRESS_COPY_BACKUPS); CopyTags merges the source's tags with the
// request's (which win), at most 50 in all. A copy moves PENDING -> COPYING
// (ProgressPercent rising) -> AVAILABLE over Duration (2s by default), or
// FAILED after FailNextCopy; RejectKMSKey makes a key
// InvalidDestinationKmsKey. DescribeBackups supports BackupIds (at most 50,
// unknown ones give BackupNotFound), Filters, MaxResults and NextToken.
// DeleteBackup refuses backups being copied (BackupBeingCopied).
//
// # Faults and serving
//
// [Server.InjectFault] makes requests of one operation (named as
// [Operations] lists; the same names as [Server.CountRequests] takes) fail
// the way the service fails: throttled, a 5xx answer, a lost response (the
// change is made, the answer never comes) or a slow answer, a number of
// times or for a while. [NewServer] takes [WithOperationDuration],
// [WithoutAuthentication] and [WithoutListener]; [Server.Handler] serves the
// fake from another server, as `backupcopy emulator` serves all four fakes
// on one address.
package fsxtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/backupcopy/backupcopy/auth/sigv4"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/internal/fakesrv"
)

// DefaultDuration is how long a copy takes unless WithOperationDuration or
// SetOperationDuration says otherwise.
const DefaultDuration = 2 * time.Second

// Credentials and places the fake uses.
const (
	// AccessKeyID and SecretAccessKey are the only key pair the fake accepts.
	AccessKeyID     = "AKIAFSXTESTEXAMPLE01"
	SecretAccessKey = "fsxtestSecretAccessKey/EXAMPLE0123456789ab"
	// Region is the fake's own region: copies are made here, and requests
	// must be signed for it.
	Region = "us-east-1"
	// SourceRegion is a second region of the same partition whose backups
	// AddBackupIn may seed.
	SourceRegion = "us-west-2"
	// OwnerID is the account that owns every backup.
	OwnerID = "123456789012"
	// MaxInProgressCopies is how many copies may be PENDING or COPYING at
	// once in the fake's region.
	MaxInProgressCopies = 5
	// DefaultPageSize is the longest DescribeBackups page the fake returns.
	DefaultPageSize = 20
)

// errorTypeSuffix is what FSx appends to the code in X-Amzn-ErrorType.
const errorTypeSuffix = ":http://internal.amazon.com/coral/com.amazonaws.simba/"

type job struct {
	id       string
	start    time.Time
	duration time.Duration // fixed when the copy starts
	failMsg  string
	finished bool
}

type tokenUse struct {
	params   string // canonical parameters
	backupID string
}

// Server is a running fake. It is safe for concurrent use.
type Server struct {
	fs *fakesrv.Server

	mu         sync.Mutex
	duration   time.Duration
	spread     *fakesrv.Durations // per-operation durations, or nil
	pageSize   int
	skew       time.Duration
	backups    map[string]map[string]*fsx.Backup // region -> id -> backup
	order      map[string][]string               // region -> ids in creation order
	jobs       []*job
	copyTokens map[string]tokenUse
	delTokens  map[string]tokenUse
	failNext   []string
	maxCopies  int
	badKMS     map[string]bool
	noAuth     bool
	noListener bool
}

// NewServer starts a fake, listening on a loopback port unless
// WithoutListener.
func NewServer(opts ...Option) *Server {
	s := &Server{
		duration:   DefaultDuration,
		pageSize:   DefaultPageSize,
		backups:    map[string]map[string]*fsx.Backup{},
		order:      map[string][]string{},
		copyTokens: map[string]tokenUse{},
		delTokens:  map[string]tokenUse{},
		maxCopies:  MaxInProgressCopies,
		badKMS:     map[string]bool{},
	}
	for _, o := range opts {
		o(s)
	}
	s.fs = fakesrv.New(fakesrv.Config{Operation: operationOf, Serve: s.serve, WriteFault: writeFault, NoListener: s.noListener})
	s.fs.Start()
	return s
}

// URL returns the base URL (http://127.0.0.1:port): give it to
// fsx.WithEndpoint (or to aws-sdk-go-v2's BaseEndpoint).
func (s *Server) URL() string { return s.fs.URL() }

// Close shuts the fake down.
func (s *Server) Close() { s.fs.Close() }

// SetOperationDuration sets how long a copy started from now on takes from
// the CopyBackup call to AVAILABLE (default 2s); copies already in flight
// keep the duration they started with (advance the clock given to SetClock
// to finish them). Zero or less makes new copies AVAILABLE at once.
func (s *Server) SetOperationDuration(d time.Duration) {
	s.mu.Lock()
	s.duration = d
	s.spread = nil
	s.mu.Unlock()
}

// SetPageSize sets the longest DescribeBackups page (default
// DefaultPageSize), so tests can make listings span several pages.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	s.pageSize = max(n, 1)
	s.mu.Unlock()
}

// SetMaxInProgressCopies changes the in-progress copy limit (default
// MaxInProgressCopies).
func (s *Server) SetMaxInProgressCopies(n int) {
	s.mu.Lock()
	s.maxCopies = n
	s.mu.Unlock()
}

// SetClock replaces the clock that drives copies (not the one that checks
// signature dates, which is the real time plus SetClockSkew).
func (s *Server) SetClock(now func() time.Time) { s.fs.SetClock(now) }

// SetClockSkew makes the fake's request-checking clock run d ahead of the
// real time (behind if negative): signatures dated more than five minutes
// away are refused with InvalidSignatureException, and every answer's Date
// header shows the fake's time.
func (s *Server) SetClockSkew(d time.Duration) {
	s.mu.Lock()
	s.skew = d
	s.mu.Unlock()
}

// FailNextCopy makes the next accepted copy end FAILED with
// FailureDetails.Message message, instead of AVAILABLE.
func (s *Server) FailNextCopy(message string) {
	s.mu.Lock()
	s.failNext = append(s.failNext, message)
	s.mu.Unlock()
}

// RejectKMSKey makes CopyBackup refuse keyID as the copy's KmsKeyId with
// InvalidDestinationKmsKey (as FSx does for a disabled or unknown key).
func (s *Server) RejectKMSKey(keyID string) {
	s.mu.Lock()
	s.badKMS[keyID] = true
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

func newBackupID() string {
	var b [9]byte
	rand.Read(b[:])
	return "backup-" + hex.EncodeToString(b[:])[:17]
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// AddBackup seeds a backup in Region and returns it with defaults filled
// in: a new BackupID, Lifecycle AVAILABLE, Type USER_INITIATED, the current
// time, OwnerID, ResourceARN, ResourceType FILE_SYSTEM and a file system.
func (s *Server) AddBackup(b fsx.Backup) fsx.Backup { return s.AddBackupIn(Region, b) }

// AddBackupIn seeds a backup in region, which copies may name as their
// SourceRegion. Only Region's backups are visible to DescribeBackups.
func (s *Server) AddBackupIn(region string, b fsx.Backup) fsx.Backup {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.BackupID == "" {
		b.BackupID = newBackupID()
	}
	if b.Lifecycle == "" {
		b.Lifecycle = fsx.LifecycleAvailable
	}
	if b.Lifecycle == fsx.LifecycleAvailable {
		b.ProgressPercent = 100
	}
	if b.Type == "" {
		b.Type = fsx.BackupTypeUserInitiated
	}
	if b.CreationTime.IsZero() {
		b.CreationTime = s.fs.Now().UTC().Truncate(time.Millisecond)
	}
	if b.OwnerID == "" {
		b.OwnerID = OwnerID
	}
	if b.ResourceARN == "" {
		b.ResourceARN = arn(region, b.BackupID)
	}
	if b.ResourceType == "" {
		b.ResourceType = fsx.ResourceTypeFileSystem
	}
	if b.FileSystemID == "" && b.ResourceType == fsx.ResourceTypeFileSystem {
		b.FileSystemID = "fs-0123456789abcdef0"
	}
	if b.FileSystemType == "" {
		b.FileSystemType = "LUSTRE"
	}
	if b.KMSKeyID == "" {
		b.KMSKeyID = "arn:aws:kms:" + region + ":" + OwnerID + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	}
	b.Tags = slices.Clone(b.Tags)
	s.putLocked(region, &b)
	return cloneBackup(&b)
}

func arn(region, id string) string {
	p := "aws"
	if strings.HasPrefix(region, "cn-") {
		p = "aws-cn"
	}
	return "arn:" + p + ":fsx:" + region + ":" + OwnerID + ":backup/" + id
}

func (s *Server) putLocked(region string, b *fsx.Backup) {
	m := s.backups[region]
	if m == nil {
		m = map[string]*fsx.Backup{}
		s.backups[region] = m
	}
	if _, ok := m[b.BackupID]; !ok {
		s.order[region] = append(s.order[region], b.BackupID)
	}
	m[b.BackupID] = b
}

func cloneBackup(b *fsx.Backup) fsx.Backup {
	c := *b
	c.Tags = slices.Clone(b.Tags)
	return c
}

// Backup returns a backup of Region as the fake now sees it.
func (s *Server) Backup(id string) (fsx.Backup, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	b, ok := s.backups[Region][id]
	if !ok {
		return fsx.Backup{}, false
	}
	return cloneBackup(b), true
}

// Backups returns every backup of Region, seeded ones and copies, in
// creation order.
func (s *Server) Backups() []fsx.Backup {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	out := make([]fsx.Backup, 0, len(s.order[Region]))
	for _, id := range s.order[Region] {
		out = append(out, cloneBackup(s.backups[Region][id]))
	}
	return out
}

// Copies returns the copies made of the backup sourceBackupID, in creation
// order.
func (s *Server) Copies(sourceBackupID string) []fsx.Backup {
	var out []fsx.Backup
	for _, b := range s.Backups() {
		if b.SourceBackupID == sourceBackupID {
			out = append(out, b)
		}
	}
	return out
}

// advanceLocked moves every unfinished copy to where the clock says it is.
func (s *Server) advanceLocked() {
	now := s.fs.Now()
	for _, j := range s.jobs {
		if j.finished {
			continue
		}
		b := s.backups[Region][j.id]
		if b == nil || b.Lifecycle == fsx.LifecycleDeleted {
			j.finished = true
			continue
		}
		el := now.Sub(j.start)
		switch {
		case el < j.duration/10:
			b.Lifecycle, b.ProgressPercent = fsx.LifecyclePending, 0
		case el < j.duration:
			b.Lifecycle, b.ProgressPercent = fsx.LifecycleCopying, min(max(fakesrv.Progress(j.start, j.duration, now), 1), 99)
		case j.failMsg != "":
			b.Lifecycle, b.FailureDetails.Message = fsx.LifecycleFailed, j.failMsg
			j.finished = true
		default:
			b.Lifecycle, b.ProgressPercent = fsx.LifecycleAvailable, 100
			j.finished = true
		}
	}
}

func (s *Server) inProgressLocked() int {
	n := 0
	for _, j := range s.jobs {
		if !j.finished {
			n++
		}
	}
	return n
}

// --- HTTP ---

type apiError struct {
	status int
	code   string
	msg    string
	extra  map[string]string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "BadRequest", msg: fmt.Sprintf(format, args...)}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte, err error) {
	w.Header().Set("X-Amzn-Requestid", newRequestID())
	s.mu.Lock()
	now := time.Now().Add(s.skew)
	noAuth := s.noAuth
	s.mu.Unlock()
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	if err != nil {
		writeError(w, &apiError{status: http.StatusRequestEntityTooLarge, code: "SerializationException", msg: err.Error()})
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		writeError(w, &apiError{status: http.StatusNotFound, code: "UnknownOperationException", msg: "FSx accepts only POST /"})
		return
	}
	if err := sigv4.Verify(r, body, AccessKeyID, SecretAccessKey, fsx.SigningName, now, 0); err != nil && !noAuth {
		var ve *sigv4.VerifyError
		if errors.As(err, &ve) {
			writeError(w, &apiError{status: http.StatusForbidden, code: ve.Code, msg: ve.Message})
		} else {
			writeError(w, &apiError{status: http.StatusForbidden, code: sigv4.CodeInvalidSignature, msg: err.Error()})
		}
		return
	}
	if a, err := sigv4.ParseAuthorization(r.Header.Get("Authorization")); err == nil && a.Region != Region && !noAuth {
		writeError(w, &apiError{status: http.StatusForbidden, code: sigv4.CodeInvalidSignature,
			msg: fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", a.Region)})
		return
	}
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(ct) != fsx.ContentType {
		writeError(w, &apiError{status: http.StatusBadRequest, code: "SerializationException",
			msg: "Content-Type must be " + fsx.ContentType})
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), fsx.TargetPrefix)
	if !ok {
		writeError(w, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException", msg: "Unknown X-Amz-Target"})
		return
	}
	var out any
	var aerr *apiError
	switch op {
	case "CopyBackup":
		out, aerr = s.copyBackup(body)
	case "DescribeBackups":
		out, aerr = s.describeBackups(body)
	case "DeleteBackup":
		out, aerr = s.deleteBackup(body)
	default:
		aerr = &apiError{status: http.StatusBadRequest, code: "UnknownOperationException", msg: "Unknown operation " + op}
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	b, _ := json.Marshal(out)
	fakesrv.WriteRaw(w, http.StatusOK, fsx.ContentType, b)
}

// writeError writes the awsJson1_1 error shape: X-Amzn-ErrorType
// "Code:http://...", body {"__type": "com.amazonaws.simba#Code",
// "Message": ...} plus the modeled members.
func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("X-Amzn-Errortype", e.code+errorTypeSuffix)
	m := map[string]string{"__type": "com.amazonaws.simba#" + e.code, "Message": e.msg}
	for k, v := range e.extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	fakesrv.WriteRaw(w, e.status, fsx.ContentType, b)
}

func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{status: http.StatusBadRequest, code: "SerializationException", msg: "Malformed JSON request body: " + err.Error()}
	}
	return nil
}

type tag struct {
	Key   *string `json:"Key"`
	Value *string `json:"Value"`
}

type copyInput struct {
	SourceBackupID     *string `json:"SourceBackupId"`
	ClientRequestToken string  `json:"ClientRequestToken"`
	CopyTags           *bool   `json:"CopyTags"`
	KMSKeyID           *string `json:"KmsKeyId"`
	SourceRegion       *string `json:"SourceRegion"`
	Tags               []tag   `json:"Tags"`
}

var (
	backupIDPattern = regexp.MustCompile(`^(backup-[0-9a-f]{8,})$`)
	regionPattern   = regexp.MustCompile(`^[a-z0-9-]{1,20}$`)
	tokenPattern    = regexp.MustCompile(`^[A-za-z0-9_.-]{1,63}$`)
	tagPattern      = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)
)

func checkBackupID(field, id string) *apiError {
	if len(id) < 12 || len(id) > 128 || !backupIDPattern.MatchString(id) {
		return badRequest("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(backup-[0-9a-f]{8,})$", id, field)
	}
	return nil
}

func checkTags(tags []tag) ([]fsx.Tag, *apiError) {
	if len(tags) > 50 {
		return nil, badRequest("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	var out []fsx.Tag
	for _, t := range tags {
		if t.Key == nil || t.Value == nil {
			return nil, badRequest("Tag Key and Value are required")
		}
		k, v := *t.Key, *t.Value
		if n := len([]rune(k)); n < 1 || n > 128 || !tagPattern.MatchString(k) {
			return nil, badRequest("Invalid tag key '%s'", k)
		}
		if len([]rune(v)) > 256 || !tagPattern.MatchString(v) {
			return nil, badRequest("Invalid tag value '%s'", v)
		}
		out = append(out, fsx.Tag{Key: k, Value: v})
	}
	return out, nil
}

func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

func (s *Server) copyBackup(body []byte) (any, *apiError) {
	var in copyInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if in.SourceBackupID == nil {
		return nil, badRequest("1 validation error detected: Value null at 'sourceBackupId' failed to satisfy constraint: Member must not be null")
	}
	if e := checkBackupID("sourceBackupId", *in.SourceBackupID); e != nil {
		return nil, e
	}
	if in.ClientRequestToken != "" && !tokenPattern.MatchString(in.ClientRequestToken) {
		return nil, badRequest("Invalid ClientRequestToken")
	}
	srcRegion := Region
	if in.SourceRegion != nil {
		if !regionPattern.MatchString(*in.SourceRegion) {
			return nil, badRequest("Invalid SourceRegion '%s'", *in.SourceRegion)
		}
		srcRegion = *in.SourceRegion
	}
	if in.KMSKeyID != nil && (len(*in.KMSKeyID) < 1 || len([]rune(*in.KMSKeyID)) > 2048) {
		return nil, badRequest("Invalid KmsKeyId")
	}
	tags, e := checkTags(in.Tags)
	if e != nil {
		return nil, e
	}
	// Canonical parameters for token replay.
	canon, _ := json.Marshal(in)
	sum := sha256.Sum256(canon)
	params := hex.EncodeToString(sum[:])

	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	if in.ClientRequestToken != "" {
		if use, ok := s.copyTokens[in.ClientRequestToken]; ok {
			if use.params != params {
				return nil, &apiError{status: http.StatusBadRequest, code: "IncompatibleParameterError",
					msg:   "The ClientRequestToken was already used with different parameters",
					extra: map[string]string{"Parameter": "ClientRequestToken"}}
			}
			return map[string]any{"Backup": cloneBackup(s.backups[Region][use.backupID])}, nil
		}
	}
	if partition(srcRegion) != partition(Region) {
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidRegion",
			msg: fmt.Sprintf("Source Region %s is not in the same partition as %s", srcRegion, Region)}
	}
	src := s.backups[srcRegion][*in.SourceBackupID]
	if src == nil || src.Lifecycle == fsx.LifecycleDeleted {
		return nil, &apiError{status: http.StatusBadRequest, code: "BackupNotFound",
			msg: fmt.Sprintf("Backup %s does not exist in %s", *in.SourceBackupID, srcRegion)}
	}
	if src.Lifecycle != fsx.LifecycleAvailable {
		return nil, &apiError{status: http.StatusBadRequest, code: "SourceBackupUnavailable",
			msg:   fmt.Sprintf("Source backup %s is %s, not AVAILABLE", src.BackupID, src.Lifecycle),
			extra: map[string]string{"BackupId": src.BackupID}}
	}
	if in.KMSKeyID != nil && s.badKMS[*in.KMSKeyID] {
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidDestinationKmsKey",
			msg: "The KMS key " + *in.KMSKeyID + " is not valid or not enabled in " + Region}
	}
	if s.inProgressLocked() >= s.maxCopies {
		return nil, &apiError{status: http.StatusBadRequest, code: "ServiceLimitExceeded",
			msg:   fmt.Sprintf("You have reached the limit of %d backup copies in progress", s.maxCopies),
			extra: map[string]string{"Limit": string(fsx.LimitTotalInProgressCopyBackups)}}
	}
	var all []fsx.Tag
	if in.CopyTags != nil && *in.CopyTags {
		all = slices.Clone(src.Tags)
	}
	for _, t := range tags {
		if i := slices.IndexFunc(all, func(x fsx.Tag) bool { return x.Key == t.Key }); i >= 0 {
			all[i].Value = t.Value
		} else {
			all = append(all, t)
		}
	}
	if len(all) > 50 {
		return nil, badRequest("The source backup's tags plus the new tags exceed 50 tags")
	}
	now := s.fs.Now()
	kms := src.KMSKeyID
	if in.KMSKeyID != nil {
		kms = *in.KMSKeyID
	} else if srcRegion != Region {
		kms = "arn:aws:kms:" + Region + ":" + OwnerID + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	}
	c := &fsx.Backup{
		BackupID: newBackupID(), Lifecycle: fsx.LifecyclePending, Type: fsx.BackupTypeUserInitiated,
		CreationTime: now.UTC().Truncate(time.Millisecond), KMSKeyID: kms, OwnerID: OwnerID, Tags: all,
		SourceBackupID: src.BackupID, SourceBackupRegion: srcRegion, ResourceType: src.ResourceType,
		SizeInBytes: src.SizeInBytes, FileSystemID: src.FileSystemID, FileSystemType: src.FileSystemType,
		VolumeID: src.VolumeID,
	}
	c.ResourceARN = arn(Region, c.BackupID)
	s.putLocked(Region, c)
	j := &job{id: c.BackupID, start: now, duration: s.nextDurationLocked()}
	if len(s.failNext) > 0 {
		j.failMsg, s.failNext = s.failNext[0], s.failNext[1:]
	}
	s.jobs = append(s.jobs, j)
	s.advanceLocked()
	if in.ClientRequestToken != "" {
		s.copyTokens[in.ClientRequestToken] = tokenUse{params: params, backupID: c.BackupID}
	}
	return map[string]any{"Backup": cloneBackup(c)}, nil
}

type describeInput struct {
	BackupIDs []string `json:"BackupIds"`
	Filters   []struct {
		Name   string   `json:"Name"`
		Values []string `json:"Values"`
	} `json:"Filters"`
	MaxResults *int    `json:"MaxResults"`
	NextToken  *string `json:"NextToken"`
}

func (s *Server) describeBackups(body []byte) (any, *apiError) {
	var in describeInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if len(in.BackupIDs) > 50 {
		return nil, badRequest("1 validation error detected: Value at 'backupIds' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	for _, id := range in.BackupIDs {
		if e := checkBackupID("backupIds", id); e != nil {
			return nil, e
		}
	}
	if in.MaxResults != nil && *in.MaxResults < 1 {
		return nil, badRequest("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.MaxResults)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	var list []fsx.Backup
	if len(in.BackupIDs) > 0 {
		var missing []string
		for _, id := range in.BackupIDs {
			b := s.backups[Region][id]
			if b == nil {
				missing = append(missing, id)
				continue
			}
			list = append(list, cloneBackup(b))
		}
		if len(missing) > 0 {
			return nil, &apiError{status: http.StatusBadRequest, code: "BackupNotFound",
				msg: "Backup(s) not found: " + strings.Join(missing, ", ")}
		}
		return map[string]any{"Backups": list}, nil
	}
	for _, id := range s.order[Region] {
		b := s.backups[Region][id]
		ok := true
		for _, f := range in.Filters {
			var v string
			switch f.Name {
			case string(fsx.FilterFileSystemID):
				v = b.FileSystemID
			case string(fsx.FilterBackupType):
				v = string(b.Type)
			case string(fsx.FilterFileSystemType):
				v = b.FileSystemType
			case string(fsx.FilterVolumeID):
				v = b.VolumeID
			case string(fsx.FilterDataRepositoryType), string(fsx.FilterFileCacheID), string(fsx.FilterFileCacheType):
				v = ""
			default:
				return nil, badRequest("Invalid filter name '%s'", f.Name)
			}
			if !slices.Contains(f.Values, v) {
				ok = false
			}
		}
		if ok {
			list = append(list, cloneBackup(b))
		}
	}
	start := 0
	if in.NextToken != nil {
		raw, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "offset:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(raw), "offset:") || n < 0 || n > len(list) {
			return nil, badRequest("Invalid NextToken")
		}
		start = n
	}
	size := s.pageSize
	if in.MaxResults != nil && *in.MaxResults < size {
		size = *in.MaxResults
	}
	end := min(start+size, len(list))
	out := map[string]any{"Backups": list[start:end]}
	if end < len(list) {
		out["NextToken"] = base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(end)))
	}
	return out, nil
}

type deleteInput struct {
	BackupID           *string `json:"BackupId"`
	ClientRequestToken string  `json:"ClientRequestToken"`
}

func (s *Server) deleteBackup(body []byte) (any, *apiError) {
	var in deleteInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if in.BackupID == nil {
		return nil, badRequest("1 validation error detected: Value null at 'backupId' failed to satisfy constraint: Member must not be null")
	}
	id := *in.BackupID
	if e := checkBackupID("backupId", id); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	if in.ClientRequestToken != "" {
		if use, ok := s.delTokens[in.ClientRequestToken]; ok {
			if use.backupID != id {
				return nil, &apiError{status: http.StatusBadRequest, code: "IncompatibleParameterError",
					msg:   "The ClientRequestToken was already used with different parameters",
					extra: map[string]string{"Parameter": "ClientRequestToken"}}
			}
			return map[string]any{"BackupId": id, "Lifecycle": fsx.LifecycleDeleted}, nil
		}
	}
	b := s.backups[Region][id]
	if b == nil || b.Lifecycle == fsx.LifecycleDeleted {
		return nil, &apiError{status: http.StatusBadRequest, code: "BackupNotFound", msg: "Backup " + id + " does not exist"}
	}
	if b.Lifecycle == fsx.LifecyclePending || b.Lifecycle == fsx.LifecycleCopying {
		return nil, &apiError{status: http.StatusBadRequest, code: "BackupBeingCopied",
			msg: "Backup " + id + " is being copied", extra: map[string]string{"BackupId": id}}
	}
	for _, j := range s.jobs {
		if !j.finished && s.backups[Region][j.id] != nil && s.backups[Region][j.id].SourceBackupID == id {
			return nil, &apiError{status: http.StatusBadRequest, code: "BackupBeingCopied",
				msg: "Backup " + id + " is the source of a copy in progress", extra: map[string]string{"BackupId": id}}
		}
	}
	if b.Lifecycle == fsx.LifecycleCreating || b.Lifecycle == fsx.LifecycleTransferring {
		return nil, &apiError{status: http.StatusBadRequest, code: "BackupInProgress", msg: "Backup " + id + " is still being created"}
	}
	b.Lifecycle = fsx.LifecycleDeleted
	if in.ClientRequestToken != "" {
		s.delTokens[in.ClientRequestToken] = tokenUse{backupID: id}
	}
	return map[string]any{"BackupId": id, "Lifecycle": fsx.LifecycleDeleted}, nil
}

// operationOf names the API operation r calls (see Operations).
func operationOf(r *http.Request) string {
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), fsx.TargetPrefix)
	if r.Method != http.MethodPost || r.URL.Path != "/" || !slices.Contains(Operations(), op) {
		return ""
	}
	return op
}

// nextDurationLocked is the duration of an operation that starts now.
func (s *Server) nextDurationLocked() time.Duration {
	if s.spread != nil {
		return s.spread.Next()
	}
	return s.duration
}
