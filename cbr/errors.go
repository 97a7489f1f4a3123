package cbr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// Error is an error answer from CBR or its API gateway.
type Error struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is the service's code, e.g. "BackupService.1009" or "APIGW.0301".
	Code string
	// Message is the service's message.
	Message string
	// RequestID is the X-Request-Id of the answer; quote it to support.
	RequestID string
}

// Error returns "HTTP status code: message (request id ...)". The call that
// returns it puts the package and operation in front: "cbr: CopyBackup:
// HTTP 400 BackupService.1009: ...".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return b.String()
}

// ErrorKind says why the call failed: APIGW.0308 or a 429 is Throttled; a
// 401 or 403 (APIGW.0301 among them) PermissionDenied; a 404 (an unknown
// backup, vault or API path) NotFound; BackupService.1009 (already
// replicated to that region) and BackupService.1012 (the backup's replica
// limit, which does not free up by waiting) Conflict; a 5xx or 408
// Transient; any other answer (BackupService.1002, .1005 and the other 400
// codes) InvalidInput.
func (e *Error) ErrorKind() backupcopy.Kind {
	switch {
	case strings.EqualFold(e.Code, CodeThrottled):
		return backupcopy.Throttled
	case strings.EqualFold(e.Code, CodeAuthFailed):
		return backupcopy.PermissionDenied
	case strings.EqualFold(e.Code, CodeVaultNotFound):
		return backupcopy.NotFound
	case strings.EqualFold(e.Code, CodeAlreadyReplicated), strings.EqualFold(e.Code, CodeReplicaLimit):
		return backupcopy.Conflict
	}
	return rest.KindOfStatus(e.StatusCode)
}

// Is makes errors.Is(err, ErrAlreadyReplicated) and the other sentinels of
// this package match an *Error by its code (or status).
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	return ok && s.match(e)
}

// Error codes users commonly branch on.
const (
	// CodeAlreadyReplicated: the backup is being, or has been, replicated to
	// that region.
	CodeAlreadyReplicated = "BackupService.1009"
	// CodeReplicaLimit: the backup has reached its replica limit.
	CodeReplicaLimit = "BackupService.1012"
	// CodeRegionNotSupported: the destination region does not support
	// replication from the source region.
	CodeRegionNotSupported = "BackupService.1005"
	// CodeNotReplicable: this type of backup (for example a replica) cannot
	// be replicated.
	CodeNotReplicable = "BackupService.1002"
	// CodeVaultNotFound: the vault does not exist.
	CodeVaultNotFound = "BackupService.6105"
	// CodeAuthFailed: the gateway refused the credentials (bad signature,
	// expired or wrong token). An access key is locked for 5 minutes after 5
	// failures in a row, so such errors are never retried blindly.
	CodeAuthFailed = "APIGW.0301"
	// CodeThrottled: the gateway's request rate limit was hit.
	CodeThrottled = "APIGW.0308"
)

// sentinel is the type of the Err... values: it matches an *Error by code or
// by status through (*Error).Is.
type sentinel struct {
	msg   string
	match func(*Error) bool
}

func (s *sentinel) Error() string { return s.msg }

func codeSentinel(msg string, codes ...string) *sentinel {
	return &sentinel{msg: msg, match: func(e *Error) bool {
		for _, c := range codes {
			if strings.EqualFold(e.Code, c) {
				return true
			}
		}
		return false
	}}
}

// Sentinels for errors.Is. Each matches an *Error with the code named.
var (
	// ErrAlreadyReplicated matches BackupService.1009.
	ErrAlreadyReplicated error = errAlreadyReplicated
	// ErrReplicaLimit matches BackupService.1012.
	ErrReplicaLimit error = errReplicaLimit
	// ErrRegionNotSupported matches BackupService.1005.
	ErrRegionNotSupported error = errRegionNotSupported
	// ErrNotReplicable matches BackupService.1002.
	ErrNotReplicable error = errNotReplicable
	// ErrVaultNotFound matches BackupService.6105.
	ErrVaultNotFound error = errVaultNotFound
	// ErrAuthFailed matches APIGW.0301 and any 401 answer.
	ErrAuthFailed error = errAuthFailed
	// ErrThrottled matches APIGW.0308 and any 429 answer (after the client's
	// own retries gave up).
	ErrThrottled error = errThrottled
	// ErrNotFound matches a 404 answer (unknown backup, or unknown API path).
	ErrNotFound error = errNotFound
)

var (
	errAlreadyReplicated  = codeSentinel("cbr: backup already replicated to that region", CodeAlreadyReplicated)
	errReplicaLimit       = codeSentinel("cbr: replica limit reached", CodeReplicaLimit)
	errRegionNotSupported = codeSentinel("cbr: destination region does not support replication", CodeRegionNotSupported)
	errNotReplicable      = codeSentinel("cbr: backup cannot be replicated", CodeNotReplicable)
	errVaultNotFound      = codeSentinel("cbr: vault not found", CodeVaultNotFound)
	errAuthFailed         = &sentinel{msg: "cbr: authentication failed", match: func(e *Error) bool {
		return strings.EqualFold(e.Code, CodeAuthFailed) || e.StatusCode == http.StatusUnauthorized
	}}
	errThrottled = &sentinel{msg: "cbr: request throttled", match: func(e *Error) bool {
		return strings.EqualFold(e.Code, CodeThrottled) || e.StatusCode == http.StatusTooManyRequests
	}}
	errNotFound = &sentinel{msg: "cbr: not found", match: func(e *Error) bool {
		return e.StatusCode == http.StatusNotFound
	}}
)

// ReplicationError is the error a finished replication reports: its record
// ended in ReplicationFail or ReplicationSkip.
type ReplicationError struct {
	// RecordID is the replication record.
	RecordID string
	// BackupID is the source backup.
	BackupID string
	// Status is ReplicationFail or ReplicationSkip.
	Status ReplicationStatus
	// FailCode and FailReason are the record's extra_info.fail_code and
	// extra_info.fail_reason.
	FailCode, FailReason string
}

// ErrorKind returns CopyFailed.
func (e *ReplicationError) ErrorKind() backupcopy.Kind { return backupcopy.CopyFailed }

// Error returns "cbr: replication RECORD of backup ID ended with status ...".
func (e *ReplicationError) Error() string {
	s := fmt.Sprintf("cbr: replication %s of backup %s ended with status %q", e.RecordID, e.BackupID, e.Status)
	if e.FailCode != "" {
		s += " (" + e.FailCode + ")"
	}
	if e.FailReason != "" {
		s += ": " + e.FailReason
	}
	return s
}

// decodeError builds an *Error from a non-2xx answer to op: error_code/error_msg,
// else code/message, at the top level or one object down (for example
// {"error": {"code": ..., "message": ...}}).
func decodeError(op string, resp *rest.Response) error {
	return fmt.Errorf("%s: %s: %w", service, op, decodeAnswer(resp))
}

// decodeAnswer is decodeError without the call's name.
func decodeAnswer(resp *rest.Response) *Error {
	e := &Error{StatusCode: resp.StatusCode, RequestID: resp.RequestID}
	var m map[string]any
	if json.Unmarshal(resp.Body, &m) == nil {
		e.Code, e.Message = codeMessage(m)
		if e.Code == "" && e.Message == "" {
			for _, v := range m {
				if sub, ok := v.(map[string]any); ok {
					if e.Code, e.Message = codeMessage(sub); e.Code != "" || e.Message != "" {
						break
					}
				}
			}
		}
		if e.RequestID == "" {
			e.RequestID, _ = m["request_id"].(string)
		}
	}
	if e.Code == "" && e.Message == "" {
		msg := strings.TrimSpace(string(resp.Body))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		e.Message = msg
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

func codeMessage(m map[string]any) (code, msg string) {
	code, _ = m["error_code"].(string)
	msg, _ = m["error_msg"].(string)
	if code != "" || msg != "" {
		return code, msg
	}
	code, _ = m["code"].(string)
	msg, _ = m["message"].(string)
	return code, msg
}

// hint reads what a refused request's answer adds to its Kind: a 401 saying
// the IAM token expired or must be updated asks for a fresh token (once),
// and one saying the AK/SK signature's date is out of the gateway's window
// for a corrected clock. Any other 401 is not retried: the gateway locks an
// access key for 5 minutes after 5 failures in a row.
func hint(_ *rest.Response, apiErr error) rest.Hint {
	var e *Error
	if !errors.As(apiErr, &e) || e.StatusCode != http.StatusUnauthorized {
		return rest.Hint{}
	}
	return rest.Hint{Refresh: tokenExpired(e.Message), Resign: signatureExpired(e.Message)}
}

// tokenExpired recognises the gateway's answers for an IAM token that must be
// replaced ("The token must be updated.", "token expired").
func tokenExpired(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "token") && (strings.Contains(m, "must be updated") || strings.Contains(m, "expired")) &&
		!strings.Contains(m, "signature")
}

// signatureExpired recognises the gateway's answer for an AK/SK signature
// whose X-Sdk-Date is outside its window.
func signatureExpired(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "signature expired") || strings.Contains(m, "signature has expired") ||
		(strings.Contains(m, "x-sdk-date") && strings.Contains(m, "expired"))
}

// recordNotFoundError: the source backup has no record with that id (yet).
type recordNotFoundError struct{ backupID, recordID string }

func (e *recordNotFoundError) Error() string {
	return fmt.Sprintf("cbr: GetBackup: backup %s has no replication record %s (yet)", e.backupID, e.recordID)
}

// ErrorKind is Transient: a record the replicate call announced may show up
// on a later read.
func (e *recordNotFoundError) ErrorKind() backupcopy.Kind { return backupcopy.Transient }
