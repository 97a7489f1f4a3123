package fsx

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	smithyrand "github.com/aws/smithy-go/rand"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// CopyBackupRequest asks FSx to copy a backup into the client's region.
type CopyBackupRequest struct {
	// SourceBackupID is the backup to copy (required): 12-128 characters
	// matching ^(backup-[0-9a-f]{8,})$. It must be AVAILABLE.
	SourceBackupID string
	// SourceRegion is the region of the source backup, in the same AWS
	// partition (^[a-z0-9-]{1,20}$). Empty means the client's region (an
	// in-region copy).
	SourceRegion string
	// KMSKeyID is the KMS key that encrypts the copy (1-2048 characters);
	// empty keeps the default key.
	KMSKeyID string
	// ClientRequestToken makes the call idempotent: 1-63 characters of
	// letters, digits, '_', '.' and '-'. When empty, CopyBackup generates a
	// UUID once per call and sends it on every attempt.
	ClientRequestToken string
	// CopyTags copies the source backup's tags to the copy; Tags are merged
	// in (and win on a key clash). Source tags plus Tags must total at most
	// 50.
	CopyTags bool
	// Tags are added to the copy (at most 50).
	Tags []Tag
}

// copyBackupBody is the wire request.
type copyBackupBody struct {
	SourceBackupID     string `json:"SourceBackupId"`
	ClientRequestToken string `json:"ClientRequestToken,omitempty"`
	CopyTags           *bool  `json:"CopyTags,omitempty"`
	KMSKeyID           string `json:"KmsKeyId,omitempty"`
	SourceRegion       string `json:"SourceRegion,omitempty"`
	Tags               []Tag  `json:"Tags,omitempty"`
}

// encodeJSON encodes v without HTML escaping (as the AWS SDKs do).
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// The wire structs hold only strings, bools, numbers and slices of them.
	_ = enc.Encode(v)
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// NewClientRequestToken returns a fresh idempotency token (a random UUID).
func NewClientRequestToken() (string, error) {
	return smithyrand.NewUUIDIdempotencyToken(rand.Reader).GetIdempotencyToken()
}

// CopyBackup calls FSx CopyBackup (POST / with X-Amz-Target
// AWSSimbaAPIService_v20180301.CopyBackup) and returns at once with a handle
// on the copy; Wait follows it to AVAILABLE.
//
// The request carries a ClientRequestToken (req's, else a UUID generated once
// for this call), the same on every attempt, so CopyBackup retries
// connection failures, lost answers, 500/502/503/504 and throttling without
// risk of a second copy. Client errors, ServiceLimitExceeded included, are
// not retried. A signature refused for clock skew is signed again with the
// server's time.
//
// Validation happens before any I/O (*backupcopy.ValidationError). API errors wrap a
// typed error (*BackupNotFound, *ServiceLimitExceeded, ...) that satisfies
// smithy.APIError, inside a *ResponseError and a *smithy.OperationError
// (and a *backupcopy.CallError).
func (c *Client) CopyBackup(ctx context.Context, req *CopyBackupRequest) (*CopyBackupOperation, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	token := req.ClientRequestToken
	if token == "" {
		var err error
		if token, err = NewClientRequestToken(); err != nil {
			return nil, fmt.Errorf("fsx: CopyBackup: generating a ClientRequestToken: %w", err)
		}
	}
	body := copyBackupBody{
		SourceBackupID:     req.SourceBackupID,
		ClientRequestToken: token,
		KMSKeyID:           req.KMSKeyID,
		SourceRegion:       req.SourceRegion,
		Tags:               req.Tags,
	}
	if req.CopyTags {
		t := true
		body.CopyTags = &t
	}
	var out struct {
		Backup *Backup `json:"Backup"`
	}
	creq, resp, err := c.call(ctx, "CopyBackup", encodeJSON(body), true, &out)
	if err != nil {
		return nil, err
	}
	if out.Backup == nil || out.Backup.BackupID == "" {
		return nil, c.rest.Malformed(creq, resp, errors.New("the response has no Backup.BackupId"))
	}
	if err := checkBackupID("Backup.BackupId", out.Backup.BackupID); err != nil {
		return nil, c.rest.Malformed(creq, resp, err)
	}
	b := *out.Backup
	op := &CopyBackupOperation{}
	op.Operation = lro.NewWithState(b.BackupID, backupState(&b), c.poller(b.BackupID), c.lroCfg)
	return op, nil
}

// CopyBackupOperation is a handle on one backup copy. Name is the new
// BackupId; Poll and Wait read it with DescribeBackups and return the
// *Backup once its Lifecycle is AVAILABLE, or a *CopyFailedError if it
// became FAILED or DELETED. Metadata is the backup as last read; progress is
// its ProgressPercent.
type CopyBackupOperation struct {
	*lro.Operation[Backup, Backup]
}

// CopyBackupOperation returns a handle on the copy whose new BackupId is
// backupID (from CopyBackupOperation.Name), for example in another process.
// It makes no request. An id that is not a backup id makes Poll and Wait
// fail with a *backupcopy.ValidationError.
func (c *Client) CopyBackupOperation(backupID string) *CopyBackupOperation {
	op := &CopyBackupOperation{}
	if err := checkBackupID("backup ID", backupID); err != nil {
		err = rest.Prefixed(service, "CopyBackupOperation", err)
		fail := func(context.Context, string) (lro.State[Backup, Backup], error) {
			return lro.State[Backup, Backup]{}, err
		}
		op.Operation = lro.New(backupID, fail, c.lroCfg)
		return op
	}
	op.Operation = lro.New(backupID, c.poller(backupID), c.lroCfg)
	return op
}

// CopyFailedError is the error a finished copy reports: its backup ended
// FAILED (Message is FailureDetails.Message) or DELETED.
type CopyFailedError struct {
	// BackupID is the copy's new backup.
	BackupID string
	// Lifecycle is LifecycleFailed or LifecycleDeleted.
	Lifecycle Lifecycle
	// Message is the backup's FailureDetails.Message.
	Message string
}

// ErrorKind returns CopyFailed.
func (e *CopyFailedError) ErrorKind() backupcopy.Kind { return backupcopy.CopyFailed }

// Error returns "fsx: backup copy ID failed (Lifecycle L): message".
func (e *CopyFailedError) Error() string {
	if e.Lifecycle == LifecycleDeleted {
		return fmt.Sprintf("fsx: backup copy %s was deleted before it became AVAILABLE", e.BackupID)
	}
	s := fmt.Sprintf("fsx: backup copy %s failed (Lifecycle %s)", e.BackupID, e.Lifecycle)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is makes errors.Is(err, ErrBackupDeleted) true for a DELETED copy.
func (e *CopyFailedError) Is(target error) bool {
	return target == ErrBackupDeleted && e.Lifecycle == LifecycleDeleted
}

// ErrBackupDeleted matches the *CopyFailedError of a copy that was deleted.
var ErrBackupDeleted error = errBackupDeleted

var errBackupDeleted = rest.Sentinel(backupcopy.CopyFailed, "fsx: backup deleted")

// poller reads the backup with DescribeBackups(BackupIds=[id]); polls of
// several operations of the client may share one request.
func (c *Client) poller(id string) lro.PollFunc[Backup, Backup] {
	return func(ctx context.Context, _ string) (lro.State[Backup, Backup], error) {
		b, err := c.polls.Get(ctx, "", id)
		if err != nil {
			return lro.State[Backup, Backup]{}, err
		}
		return backupState(b), nil
	}
}

// backupState maps a backup to an operation state.
func backupState(b *Backup) lro.State[Backup, Backup] {
	meta := *b
	st := lro.State[Backup, Backup]{Metadata: &meta, Percent: b.ProgressPercent}
	switch b.Lifecycle {
	case LifecycleAvailable:
		res := *b
		res.ProgressPercent = 100
		st.Done, st.Result, st.Percent = true, &res, 100
	case LifecycleFailed, LifecycleDeleted:
		st.Done = true
		st.Err = &CopyFailedError{BackupID: b.BackupID, Lifecycle: b.Lifecycle, Message: b.FailureDetails.Message}
	}
	return st
}
