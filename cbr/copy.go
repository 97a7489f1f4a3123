package cbr

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// CopyBackupRequest asks CBR to replicate a backup to another region.
type CopyBackupRequest struct {
	// BackupID is the source backup, in the client's project and region
	// (required). It must be an ordinary backup (not a replica) in status
	// available.
	BackupID string
	// DestinationProjectID is the project in the destination region
	// (required).
	DestinationProjectID string
	// DestinationRegion is the destination region (required): at most 255
	// characters of [a-zA-Z0-9._-], different from the source region, and one
	// the source region may replicate to (see ListReplicationCapabilities).
	DestinationRegion string
	// DestinationVaultID is a replication vault in the destination region
	// (required).
	DestinationVaultID string
	// Name is the replica's name (optional): 1-64 characters, each an ASCII
	// letter or digit, '_', '-' or a Chinese character.
	Name string
	// Description is the replica's description (optional): at most 255
	// characters, without '<' or '>'.
	Description string
	// EnableAcceleration shortens cross-region replication (extra cost).
	EnableAcceleration bool
}

// replicateBody is the wire request, fields in the order the official SDK
// writes them.
type replicateBody struct {
	Replicate replicateFields `json:"replicate"`
}

type replicateFields struct {
	Description          string `json:"description,omitempty"`
	DestinationProjectID string `json:"destination_project_id"`
	DestinationRegion    string `json:"destination_region"`
	DestinationVaultID   string `json:"destination_vault_id"`
	EnableAcceleration   bool   `json:"enable_acceleration,omitempty"`
	Name                 string `json:"name,omitempty"`
}

func (r *CopyBackupRequest) body() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// Encoding strings and bools cannot fail.
	_ = enc.Encode(replicateBody{Replicate: replicateFields{
		Description:          r.Description,
		DestinationProjectID: r.DestinationProjectID,
		DestinationRegion:    r.DestinationRegion,
		DestinationVaultID:   r.DestinationVaultID,
		EnableAcceleration:   r.EnableAcceleration,
		Name:                 r.Name,
	}})
	return buf.Bytes()
}

// lookupSlack is how much earlier than the call's start a replication record
// may be dated and still be taken for the one a lost replicate call created.
// The start is put on the server's clock through the Date header of the
// records' answer (a skew inside the gateway's 15-minute signature window is
// never learnt otherwise) as well as through the skew the client learnt; the
// earlier cut-off is used.
const lookupSlack = 2 * time.Minute

// CopyBackup starts replicating a backup to another region
// (POST /v3/{project_id}/backups/{backup_id}/replicate) and returns at once
// with a handle on the replication; Wait follows it to the end.
//
// The replicate call has no idempotency token, so it is never resent
// blindly: only when the request certainly did not reach CBR (no
// connection), or was refused at the gateway (throttled, expired token,
// clock skew). When an attempt may have been acted on (its answer was lost, a
// 5xx, an unreadable 200), CopyBackup reads the source backup's replication
// records: a record to the same destination region and vault dated after the
// call began is returned as this call's replication; if there is none, the
// request is sent once more.
//
// Validation happens before any I/O (*backupcopy.ValidationError). API errors are
// *Error values; errors.Is works with ErrAlreadyReplicated, ErrReplicaLimit,
// ErrVaultNotFound, ErrRegionNotSupported, ErrNotReplicable, ErrThrottled and
// ErrAuthFailed.
func (c *Client) CopyBackup(ctx context.Context, req *CopyBackupRequest) (*CopyBackupOperation, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := req.validate(c.region); err != nil {
		return nil, err
	}
	if c.regionCheck {
		if err := c.CheckReplicationDestination(ctx, req.DestinationRegion); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	body := req.body()
	start := c.clock.Now()

	rep, err := c.replicate(ctx, req, body)
	if err == nil {
		return c.newOperation(rep, nil), nil
	}
	if !mayHaveActed(err) {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, outcomeUnknown(err)
	}
	op, lerr := c.findReplication(ctx, req, start)
	switch {
	case lerr != nil:
		return nil, outcomeUnknown(fmt.Errorf("%w (reading the backup's replication records failed too: %w)", err, lerr))
	case op != nil:
		return op, nil
	}

	// No replication started: the first request did not take effect.
	rep, err2 := c.replicate(ctx, req, body)
	if err2 == nil {
		return c.newOperation(rep, nil), nil
	}
	if (errors.Is(err2, ErrAlreadyReplicated) || mayHaveActed(err2)) && ctx.Err() == nil {
		if op, lerr := c.findReplication(ctx, req, start); lerr == nil && op != nil {
			return op, nil
		}
	}
	if mayHaveActed(err2) {
		return nil, outcomeUnknown(err2)
	}
	return nil, err2
}

func (c *Client) replicate(ctx context.Context, req *CopyBackupRequest, body []byte) (*Replication, error) {
	var out struct {
		Replication *Replication `json:"replication"`
	}
	rreq := &rest.Request{
		Op:          "CopyBackup",
		Method:      http.MethodPost,
		Writes:      true,
		Path:        c.path().Lit("backups").Seg("BackupID", req.BackupID).Lit("replicate"),
		Header:      c.header(),
		Body:        body,
		ContentType: "application/json;charset=UTF-8",
		Mode:        rest.NotIdempotent,
		Out:         &out,
	}
	resp, err := c.rest.Do(ctx, rreq)
	if err != nil {
		return nil, err
	}
	if out.Replication == nil || out.Replication.ReplicationRecordID == "" {
		return nil, c.rest.Malformed(rreq, resp, errors.New("the response has no replication.replication_record_id"))
	}
	if err := rest.CheckSegment("replication.replication_record_id", out.Replication.ReplicationRecordID); err != nil {
		return nil, c.rest.Malformed(rreq, resp, err)
	}
	r := *out.Replication
	// The handle follows the backup and project asked for: an answer naming
	// others is not this call's replication (it may still have started one,
	// which the caller then looks for in the backup's records).
	if (r.BackupID != "" && r.BackupID != req.BackupID) || (r.ProjectID != "" && r.ProjectID != c.projectID) {
		return nil, c.rest.Malformed(rreq, resp, fmt.Errorf("the response names backup %q of project %q, not the requested %q of %q", r.BackupID, r.ProjectID, req.BackupID, c.projectID))
	}
	if r.BackupID == "" {
		r.BackupID = req.BackupID
	}
	if r.ProjectID == "" {
		r.ProjectID = c.projectID
	}
	return &r, nil
}

// mayHaveActed reports whether a failed replicate call may nonetheless have
// started a replication: the call path says so with Kind OutcomeUnknown.
func mayHaveActed(err error) bool { return backupcopy.KindOf(err) == backupcopy.OutcomeUnknown }

// OutcomeUnknownError wraps the failure of a replicate call that may have
// started a replication which could not be confirmed (the context ended, or
// the records could not be read). Look at the backup's ReplicationRecords
// (GetBackup) before trying again.
type OutcomeUnknownError struct {
	// Err is the replicate call's failure.
	Err error
}

// Error returns "cbr: CopyBackup: the replicate request may have reached
// CBR; check ...: " and Err's message.
func (e *OutcomeUnknownError) Error() string {
	// The cause carries the same "cbr: CopyBackup: " prefix; say it once.
	return "cbr: CopyBackup: the replicate request may have reached CBR; check the backup's replication records before retrying: " +
		strings.TrimPrefix(e.Err.Error(), "cbr: CopyBackup: ")
}

// Unwrap returns Err.
func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// ErrorKind returns OutcomeUnknown.
func (e *OutcomeUnknownError) ErrorKind() backupcopy.Kind { return backupcopy.OutcomeUnknown }

func outcomeUnknown(err error) error { return &OutcomeUnknownError{Err: err} }

// findReplication looks for the replication a lost replicate call may have
// started: the newest record on the source backup to the same destination
// region, vault and project, dated after start (less lookupSlack).
func (c *Client) findReplication(ctx context.Context, req *CopyBackupRequest, start time.Time) (*CopyBackupOperation, error) {
	b, resp, err := c.getBackupResp(ctx, "CopyBackup.FindReplication", c.projectID, req.BackupID)
	if err != nil {
		return nil, err
	}
	if b.ID != req.BackupID {
		return nil, &rest.MalformedResponseError{Service: service, Op: "CopyBackup.FindReplication", Err: fmt.Errorf("the response describes backup %q, not %q", b.ID, req.BackupID)}
	}
	since := start.Add(c.rest.ClockSkew()).Add(-lookupSlack)
	if resp != nil {
		if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			// The server's time at our start: its Date now, less what has
			// passed here since (Date has whole seconds: one more of slack).
			// The earlier of the two cut-offs wins.
			if srv := d.Add(-c.clock.Now().Sub(start)).Add(-lookupSlack - time.Second); srv.Before(since) {
				since = srv
			}
		}
	}
	var best *ReplicationRecord
	for i := range b.ReplicationRecords {
		r := &b.ReplicationRecords[i]
		if r.DestinationRegion != req.DestinationRegion || r.DestinationVaultID != req.DestinationVaultID ||
			(r.DestinationProjectID != "" && r.DestinationProjectID != req.DestinationProjectID) ||
			rest.CheckSegment("id", r.ID) != nil {
			continue
		}
		if !r.CreatedAt.IsZero() && r.CreatedAt.Before(since) {
			continue
		}
		if best == nil || r.CreatedAt.After(best.CreatedAt) {
			best = r
		}
	}
	if best == nil {
		return nil, nil
	}
	return c.newOperation(replicationFromRecord(c.projectID, c.region, b, best), best), nil
}

func replicationFromRecord(projectID, region string, b *Backup, r *ReplicationRecord) *Replication {
	src := r.SourceRegion
	if src == "" {
		src = region
	}
	return &Replication{
		BackupID:             b.ID,
		DestinationProjectID: r.DestinationProjectID,
		DestinationRegion:    r.DestinationRegion,
		DestinationVaultID:   r.DestinationVaultID,
		ProjectID:            projectID,
		ProviderID:           b.ProviderID,
		ReplicationRecordID:  r.ID,
		SourceRegion:         src,
	}
}

// CopyBackupOperation is a handle on one replication. Name, Done, Poll, Wait,
// Metadata and Progress come from lro.Operation: Poll and Wait return the
// finished *ReplicationRecord (with DestinationBackupID) or, if the
// replication failed or was skipped, a *ReplicationError; Metadata is the
// latest record seen; progress is the record's extra_info.progress.
type CopyBackupOperation struct {
	*lro.Operation[ReplicationRecord, ReplicationRecord]

	mu  sync.Mutex
	rep *Replication
}

// Replication returns the replicate call's answer. For a handle resumed with
// CopyBackupOperation it is rebuilt from the replication record once the
// handle has polled, and is nil before.
func (op *CopyBackupOperation) Replication() *Replication {
	op.mu.Lock()
	defer op.mu.Unlock()
	if op.rep == nil {
		return nil
	}
	r := *op.rep
	return &r
}

func (op *CopyBackupOperation) noteReplication(r *Replication) {
	op.mu.Lock()
	if op.rep == nil {
		op.rep = r
	}
	op.mu.Unlock()
}

// opRef is what an operation name encodes.
type opRef struct{ projectID, backupID, recordID string }

const namePrefix = "cbr1."

func (r opRef) name() string {
	return namePrefix + base64.RawURLEncoding.EncodeToString([]byte(r.projectID+"/"+r.backupID+"/"+r.recordID))
}

func parseName(name string) (opRef, error) {
	bad := func(rule string) (opRef, error) {
		return opRef{}, rest.Invalid("operation name", rule, name)
	}
	enc, ok := strings.CutPrefix(name, namePrefix)
	if !ok {
		return bad(`must start with "` + namePrefix + `" (a name returned by CopyBackupOperation.Name)`)
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return bad("is not a CopyBackupOperation name (bad encoding)")
	}
	parts := strings.Split(string(raw), "/")
	if len(parts) != 3 {
		return bad("is not a CopyBackupOperation name (wrong number of parts)")
	}
	for _, p := range parts {
		if rest.CheckSegment("id", p) != nil {
			return bad("is not a CopyBackupOperation name (bad id)")
		}
	}
	return opRef{projectID: parts[0], backupID: parts[1], recordID: parts[2]}, nil
}

// newOperation returns a handle on the replication rep started. initial, if
// known, is its record as just read.
func (c *Client) newOperation(rep *Replication, initial *ReplicationRecord) *CopyBackupOperation {
	ref := opRef{projectID: rep.ProjectID, backupID: rep.BackupID, recordID: rep.ReplicationRecordID}
	if ref.projectID == "" {
		ref.projectID = c.projectID
	}
	op := &CopyBackupOperation{rep: rep}
	st := lro.State[ReplicationRecord, ReplicationRecord]{Percent: 0}
	if initial != nil {
		st = recordState(initial, ref.backupID)
	}
	op.Operation = lro.NewWithState(ref.name(), st, c.poller(op, ref), c.opConfig(ref))
	return op
}

// CopyBackupOperation returns a handle on the replication that name (from
// CopyBackupOperation.Name) refers to, for example in another process. It
// makes no request: Poll or Wait read the replication's state from the
// source backup's replication records
// (GET /v3/{project_id}/backups/{backup_id}). A malformed
// name, or one from another project, makes Poll and Wait fail with a
// *backupcopy.ValidationError.
func (c *Client) CopyBackupOperation(name string) *CopyBackupOperation {
	op := &CopyBackupOperation{}
	ref, err := parseName(name)
	if err == nil && ref.projectID != c.projectID {
		err = rest.Invalid("operation name", "belongs to project "+ref.projectID+", but the client is for project "+c.projectID, name)
	}
	if err != nil {
		fail := func(context.Context, string) (lro.State[ReplicationRecord, ReplicationRecord], error) {
			return lro.State[ReplicationRecord, ReplicationRecord]{}, err
		}
		op.Operation = lro.New(name, fail, c.lroCfg)
		return op
	}
	op.Operation = lro.New(name, c.poller(op, ref), c.opConfig(ref))
	return op
}

// opConfig is the client's lro.Config for the replication ref, whose Watch
// does not parse the operation's name again before each sleep.
func (c *Client) opConfig(ref opRef) lro.Config {
	cfg := c.lroCfg
	cfg.Watch = c.polls.watcher(ref)
	return cfg
}

// poller reads the source backup (through the shared polls, see polls.go)
// and returns the state of the record.
func (c *Client) poller(op *CopyBackupOperation, ref opRef) lro.PollFunc[ReplicationRecord, ReplicationRecord] {
	return func(ctx context.Context, _ string) (lro.State[ReplicationRecord, ReplicationRecord], error) {
		var zero lro.State[ReplicationRecord, ReplicationRecord]
		b, err := c.polls.get(ctx, ref.projectID, ref.backupID)
		if err != nil {
			return zero, err
		}
		r := b.record(ref.recordID)
		if r == nil {
			return zero, &recordNotFoundError{backupID: ref.backupID, recordID: ref.recordID}
		}
		op.noteReplication(replicationFromRecord(ref.projectID, c.region, b, r))
		return recordState(r, ref.backupID), nil
	}
}

// recordState maps a replication record to an operation state.
func recordState(r *ReplicationRecord, backupID string) lro.State[ReplicationRecord, ReplicationRecord] {
	rec := *r
	st := lro.State[ReplicationRecord, ReplicationRecord]{Metadata: &rec, Percent: rec.Progress}
	switch rec.Status {
	case ReplicationSuccess:
		res := rec
		res.Progress = 100
		st.Done, st.Result, st.Percent = true, &res, 100
	case ReplicationFail, ReplicationSkip:
		st.Done = true
		st.Err = &ReplicationError{RecordID: rec.ID, BackupID: backupID, Status: rec.Status, FailCode: rec.FailCode, FailReason: rec.FailReason}
	}
	return st
}
