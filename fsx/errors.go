package fsx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/smithy-go"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// ErrorDetails is what every FSx API error carries. Each error type of this
// package embeds it, so all of them satisfy smithy.APIError:
//
//	var ae smithy.APIError
//	if errors.As(err, &ae) { ... ae.ErrorCode() ... }
type ErrorDetails struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Code is the service's error code, e.g. "BackupNotFound", read from the
	// X-Amzn-ErrorType header, else the body's __type, else its code
	// (cut at the first ':', after the last '#').
	Code string
	// Message is the body's message (or Message).
	Message string
	// RequestID is the answer's x-amzn-RequestId; quote it to AWS support.
	RequestID string
}

// ErrorCode returns Code (smithy.APIError).
func (e *ErrorDetails) ErrorCode() string { return e.Code }

// ErrorMessage returns Message (smithy.APIError).
func (e *ErrorDetails) ErrorMessage() string { return e.Message }

// ErrorFault reports a server fault for 5xx answers, else a client fault
// (smithy.APIError).
func (e *ErrorDetails) ErrorFault() smithy.ErrorFault {
	switch {
	case e.StatusCode >= 500:
		return smithy.FaultServer
	case e.StatusCode >= 400:
		return smithy.FaultClient
	}
	return smithy.FaultUnknown
}

// HTTPStatusCode returns StatusCode.
func (e *ErrorDetails) HTTPStatusCode() int { return e.StatusCode }

// ErrorKind says why the call failed, from Code and then StatusCode:
// throttling codes are Throttled; ServiceLimitExceeded is AtLimit (for
// copies, five in progress per destination Region); BackupNotFound,
// FileSystemNotFound and VolumeNotFound are NotFound; a refused or expired
// credential or signature is PermissionDenied; SourceBackupUnavailable,
// BackupInProgress, BackupBeingCopied, BackupRestoring and
// IncompatibleParameterError are Conflict; InternalServerError and timeouts
// are Transient; other codes follow the status (5xx Transient, other 4xx
// InvalidInput).
func (e *ErrorDetails) ErrorKind() backupcopy.Kind {
	switch code := e.Code; {
	case throttleCodes[code]:
		return backupcopy.Throttled
	case transientCodes[code]:
		return backupcopy.Transient
	case code == "ServiceLimitExceeded":
		return backupcopy.AtLimit
	case code == "BackupNotFound", code == "FileSystemNotFound", code == "VolumeNotFound":
		return backupcopy.NotFound
	case skewCodes[code], expiredCodes[code], authCodes[code]:
		return backupcopy.PermissionDenied
	case code == "SourceBackupUnavailable", code == "BackupInProgress", code == "BackupBeingCopied",
		code == "BackupRestoring", code == "IncompatibleParameterError":
		return backupcopy.Conflict
	}
	return rest.KindOfStatus(e.StatusCode)
}

// ServiceRequestID returns RequestID.
func (e *ErrorDetails) ServiceRequestID() string { return e.RequestID }

// Error returns "Code: Message".
func (e *ErrorDetails) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// GenericAPIError is an FSx error answer whose code this package does not
// model (for example InvalidSignatureException or ThrottlingException).
type GenericAPIError struct{ ErrorDetails }

// The error types FSx documents for CopyBackup, DescribeBackups and
// DeleteBackup. Their ErrorCode is the type's name.
type (
	// BadRequest: a generic error indicating a failure with a client request.
	BadRequest struct{ ErrorDetails }
	// BackupNotFound: no Amazon FSx backups were found based upon the
	// supplied parameters.
	BackupNotFound struct{ ErrorDetails }
	// ServiceLimitExceeded: an account or Region limit was reached; Limit
	// names it (for copies, LimitTotalInProgressCopyBackups).
	ServiceLimitExceeded struct {
		ErrorDetails
		// Limit names the limit reached.
		Limit ServiceLimit
	}
	// UnsupportedOperation: the requested operation is not supported for
	// this resource or API.
	UnsupportedOperation struct{ ErrorDetails }
	// IncompatibleParameterError: a parameter is incompatible with the
	// others, for example a ClientRequestToken reused with different
	// parameters. Parameter names it.
	IncompatibleParameterError struct {
		ErrorDetails
		// Parameter names the incompatible parameter.
		Parameter string
	}
	// InternalServerError: a generic error indicating a server-side failure.
	InternalServerError struct{ ErrorDetails }
	// InvalidSourceKmsKey: the KMS key of the source backup is not valid.
	InvalidSourceKmsKey struct{ ErrorDetails }
	// InvalidDestinationKmsKey: the KMS key given for the copy is not valid.
	InvalidDestinationKmsKey struct{ ErrorDetails }
	// InvalidRegion: the source Region is not valid (for example in another
	// partition).
	InvalidRegion struct{ ErrorDetails }
	// SourceBackupUnavailable: the source backup is not AVAILABLE; BackupID
	// names it.
	SourceBackupUnavailable struct {
		ErrorDetails
		// BackupID is the source backup.
		BackupID string
	}
	// IncompatibleRegionForMultiAZ: the destination Region does not support
	// Multi-AZ file systems (for Windows File Server backups).
	IncompatibleRegionForMultiAZ struct{ ErrorDetails }
	// BackupInProgress: another backup is already under way.
	BackupInProgress struct{ ErrorDetails }
	// BackupBeingCopied: the backup cannot be deleted while it is being
	// copied; BackupID names it.
	BackupBeingCopied struct {
		ErrorDetails
		// BackupID is the backup being copied.
		BackupID string
	}
	// BackupRestoring: the backup cannot be deleted while a file system is
	// being restored from it; FileSystemID names that file system.
	BackupRestoring struct {
		ErrorDetails
		// FileSystemID is the file system being restored.
		FileSystemID string
	}
	// FileSystemNotFound: no file system matched (DescribeBackups filters).
	FileSystemNotFound struct{ ErrorDetails }
	// VolumeNotFound: no volume matched (DescribeBackups filters).
	VolumeNotFound struct{ ErrorDetails }
)

// ErrorFault of InternalServerError is always a server fault.
func (e *InternalServerError) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }

// Every error type satisfies smithy.APIError.
var (
	_ smithy.APIError = (*GenericAPIError)(nil)
	_ smithy.APIError = (*BadRequest)(nil)
	_ smithy.APIError = (*BackupNotFound)(nil)
	_ smithy.APIError = (*ServiceLimitExceeded)(nil)
	_ smithy.APIError = (*UnsupportedOperation)(nil)
	_ smithy.APIError = (*IncompatibleParameterError)(nil)
	_ smithy.APIError = (*InternalServerError)(nil)
	_ smithy.APIError = (*InvalidSourceKmsKey)(nil)
	_ smithy.APIError = (*InvalidDestinationKmsKey)(nil)
	_ smithy.APIError = (*InvalidRegion)(nil)
	_ smithy.APIError = (*SourceBackupUnavailable)(nil)
	_ smithy.APIError = (*IncompatibleRegionForMultiAZ)(nil)
	_ smithy.APIError = (*BackupInProgress)(nil)
	_ smithy.APIError = (*BackupBeingCopied)(nil)
	_ smithy.APIError = (*BackupRestoring)(nil)
	_ smithy.APIError = (*FileSystemNotFound)(nil)
	_ smithy.APIError = (*VolumeNotFound)(nil)
)

// ServiceLimit names an FSx limit (ServiceLimitExceeded.Limit).
type ServiceLimit string

// The documented ServiceLimit values.
const (
	LimitFileSystemCount                     ServiceLimit = "FILE_SYSTEM_COUNT"
	LimitTotalThroughputCapacity             ServiceLimit = "TOTAL_THROUGHPUT_CAPACITY"
	LimitTotalStorage                        ServiceLimit = "TOTAL_STORAGE"
	LimitTotalUserInitiatedBackups           ServiceLimit = "TOTAL_USER_INITIATED_BACKUPS"
	LimitTotalUserTags                       ServiceLimit = "TOTAL_USER_TAGS"
	LimitTotalInProgressCopyBackups          ServiceLimit = "TOTAL_IN_PROGRESS_COPY_BACKUPS"
	LimitStorageVirtualMachinesPerFileSystem ServiceLimit = "STORAGE_VIRTUAL_MACHINES_PER_FILE_SYSTEM"
	LimitVolumesPerFileSystem                ServiceLimit = "VOLUMES_PER_FILE_SYSTEM"
	LimitTotalSSDIOPS                        ServiceLimit = "TOTAL_SSD_IOPS"
	LimitFileCacheCount                      ServiceLimit = "FILE_CACHE_COUNT"
)

// ResponseError wraps an API error with the HTTP status and request id of
// the answer, as aws-sdk-go-v2's ResponseError does. The chain of every API
// error this package returns is
// *smithy.OperationError -> *ResponseError -> the typed error.
type ResponseError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// RequestID is the answer's x-amzn-RequestId.
	RequestID string
	// Err is the typed API error (*BackupNotFound, ...).
	Err error
}

// Error returns aws-sdk-go-v2's form: "https response error StatusCode: N,
// RequestID: ID, Code: message".
func (e *ResponseError) Error() string {
	return fmt.Sprintf("https response error StatusCode: %d, RequestID: %s, %v", e.StatusCode, e.RequestID, e.Err)
}

// Unwrap returns the typed API error.
func (e *ResponseError) Unwrap() error { return e.Err }

// HTTPStatusCode returns StatusCode.
func (e *ResponseError) HTTPStatusCode() int { return e.StatusCode }

// ServiceRequestID returns RequestID.
func (e *ResponseError) ServiceRequestID() string { return e.RequestID }

// decodeError builds the error of an error answer to op, as aws-sdk-go-v2
// does: *smithy.OperationError -> *ResponseError -> the typed error.
func decodeError(op string, resp *rest.Response) error {
	return &smithy.OperationError{ServiceID: ServiceID, OperationName: op, Err: &ResponseError{StatusCode: resp.StatusCode,
		RequestID: resp.RequestID, Err: DecodeAPIError(resp.StatusCode, resp.Header, resp.Body)}}
}

// errorBody is the awsJson1_1 error document: {"__type": ..., "message": ...}
// plus the modeled members of some errors.
type errorBody struct {
	Type         string `json:"__type"`
	Code         string `json:"code"`
	MessageLower string `json:"message"`
	MessageUpper string `json:"Message"`
	Limit        string `json:"Limit"`
	Parameter    string `json:"Parameter"`
	BackupID     string `json:"BackupId"`
	FileSystemID string `json:"FileSystemId"`
}

// SanitizeErrorCode reduces a raw error code to the service's code as the
// AWS SDKs do: everything from the first ':' is dropped (the
// X-Amzn-ErrorType header appends ":http://internal.amazon.com/..."), and
// only what follows the last '#' is kept (a namespace such as
// "com.amazonaws.fsx#BackupNotFound").
func SanitizeErrorCode(code string) string {
	code, _, _ = strings.Cut(code, ":")
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	return strings.TrimSpace(code)
}

// DecodeAPIError turns an FSx error answer into this package's typed error
// (a *BackupNotFound, *ServiceLimitExceeded, ..., or *GenericAPIError for
// other codes). The code comes from the X-Amzn-ErrorType header, else the
// body's __type, else its code; the request id from x-amzn-RequestId. It
// never fails: a body that is not JSON gives a *GenericAPIError whose code is
// derived from the status.
func DecodeAPIError(status int, header http.Header, body []byte) error {
	var b errorBody
	_ = json.Unmarshal(body, &b)
	d := ErrorDetails{StatusCode: status, RequestID: header.Get(RequestIDHeader)}
	raw := header.Get("X-Amzn-Errortype")
	if raw == "" {
		raw = b.Type
	}
	if raw == "" {
		raw = b.Code
	}
	d.Code = SanitizeErrorCode(raw)
	d.Message = b.MessageLower
	if d.Message == "" {
		d.Message = b.MessageUpper
	}
	if d.Code == "" {
		d.Code = statusCode(status)
		if d.Message == "" {
			d.Message = bodySnippet(body)
		}
	}
	d.Message = trimSigningEcho(d.Message)
	return typedError(d, b)
}

// trimSigningEcho cuts what AWS appends to a signature mismatch: the
// canonical request and string to sign it expected. They hold the signed
// headers' values, among them X-Amz-Security-Token, and must not reach
// error strings or logs.
func trimSigningEcho(msg string) string {
	for _, marker := range []string{"The Canonical String for this request", "The String-to-Sign should have been", "x-amz-security-token:"} {
		if i := indexASCIIFold(msg, marker); i >= 0 {
			msg = strings.TrimSpace(msg[:i]) + " (the request AWS expected is left out: it holds credentials)"
		}
	}
	return msg
}

// indexASCIIFold is strings.Index ignoring ASCII letter case, with the index
// into s itself (strings.ToLower(s) may be longer or shorter than s, so an
// index into it does not locate the marker in s).
func indexASCIIFold(s, marker string) int {
	lower := func(c byte) byte {
		if 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	for i := 0; i+len(marker) <= len(s); i++ {
		j := 0
		for j < len(marker) && lower(s[i+j]) == lower(marker[j]) {
			j++
		}
		if j == len(marker) {
			return i
		}
	}
	return -1
}

func typedError(d ErrorDetails, b errorBody) error {
	switch d.Code {
	case "BadRequest":
		return &BadRequest{d}
	case "BackupNotFound":
		return &BackupNotFound{d}
	case "ServiceLimitExceeded":
		return &ServiceLimitExceeded{ErrorDetails: d, Limit: ServiceLimit(b.Limit)}
	case "UnsupportedOperation":
		return &UnsupportedOperation{d}
	case "IncompatibleParameterError":
		return &IncompatibleParameterError{ErrorDetails: d, Parameter: b.Parameter}
	case "InternalServerError":
		return &InternalServerError{d}
	case "InvalidSourceKmsKey":
		return &InvalidSourceKmsKey{d}
	case "InvalidDestinationKmsKey":
		return &InvalidDestinationKmsKey{d}
	case "InvalidRegion":
		return &InvalidRegion{d}
	case "SourceBackupUnavailable":
		return &SourceBackupUnavailable{ErrorDetails: d, BackupID: b.BackupID}
	case "IncompatibleRegionForMultiAZ":
		return &IncompatibleRegionForMultiAZ{d}
	case "BackupInProgress":
		return &BackupInProgress{d}
	case "BackupBeingCopied":
		return &BackupBeingCopied{ErrorDetails: d, BackupID: b.BackupID}
	case "BackupRestoring":
		return &BackupRestoring{ErrorDetails: d, FileSystemID: b.FileSystemID}
	case "FileSystemNotFound":
		return &FileSystemNotFound{d}
	case "VolumeNotFound":
		return &VolumeNotFound{d}
	}
	return &GenericAPIError{d}
}

// statusCode names an answer that carries no error code.
func statusCode(status int) string {
	if t := http.StatusText(status); t != "" {
		return strings.ReplaceAll(t, " ", "")
	}
	return fmt.Sprintf("HTTP%d", status)
}

func bodySnippet(body []byte) string {
	s := strings.ToValidUTF8(strings.TrimSpace(string(body)), "\uFFFD")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Error codes (besides the modeled ones) that decide retries.
var (
	// throttleCodes are refusals that did not act: retried with backoff.
	throttleCodes = map[string]bool{
		"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
		"RequestThrottledException": true, "TooManyRequestsException": true,
		"ProvisionedThroughputExceededException": true, "TransactionInProgressException": true,
		"RequestLimitExceeded": true, "BandwidthLimitExceeded": true, "LimitExceededException": true,
		"RequestThrottled": true, "SlowDown": true, "PriorRequestNotComplete": true,
		"EC2ThrottledException": true,
	}
	// transientCodes may have acted: retried for idempotent calls (all of
	// this package's calls are).
	transientCodes = map[string]bool{
		"RequestTimeout": true, "RequestTimeoutException": true, "InternalServerError": true,
	}
	// skewCodes are signature or date refusals that a corrected clock can
	// cure, when the answer's Date shows the skew.
	skewCodes = map[string]bool{
		"InvalidSignatureException": true, "SignatureDoesNotMatch": true, "AuthFailure": true,
		"RequestTimeTooSkewed": true, "RequestExpired": true, "RequestInTheFuture": true,
		"AccessDeniedException": true,
	}
	// expiredCodes say the (temporary) credentials expired.
	expiredCodes = map[string]bool{"ExpiredToken": true, "ExpiredTokenException": true}
	// authCodes refuse the credentials or their permissions for good.
	authCodes = map[string]bool{
		"UnrecognizedClientException": true, "InvalidClientTokenId": true, "AccessDenied": true,
		"MissingAuthenticationToken": true, "IncompleteSignature": true, "InvalidSignature": true,
		"NotAuthorized": true, "OptInRequired": true,
	}
)

// hint reads what a refused request's answer adds to its Kind, now being
// the local time: expired temporary credentials ask for fresh ones (once),
// and a signature or date refusal whose answer's Date is far from now asks
// for a signature dated by the server's clock.
func hint(resp *rest.Response, apiErr error, now time.Time) rest.Hint {
	var ae smithy.APIError
	if !errors.As(apiErr, &ae) {
		return rest.Hint{}
	}
	code := ae.ErrorCode()
	return rest.Hint{Refresh: expiredCodes[code], Resign: skewCodes[code] && skewed(resp, now)}
}

// skewed reports whether the answer's Date is more than four minutes from
// now (the AWS SDKs' threshold).
func skewed(resp *rest.Response, now time.Time) bool {
	if resp == nil {
		return false
	}
	t, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return false
	}
	return t.Sub(now).Abs() > clockSkewThreshold
}
