package gapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"google.golang.org/grpc/codes"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// OperationKind describes one kind of Google long-running operation (a
// backup create or copy) for the client that started it: R is the result
// (the backup), M the metadata as the package exports it, W the metadata's
// wire form, decoded in the same pass as the operation. Finding, polling,
// decoding and cancelling operations, and resolving a replayed create or
// copy, are written here once for the Bigtable and Spanner clients.
type OperationKind[R, M any, W AnyMessage] struct {
	// Service names the API in errors ("bigtable").
	Service string
	// Op is the call that starts the operation ("CopyBackup"); a failed
	// operation's error carries it.
	Op string
	// MetadataType is the metadata's type URL; ResultType the response's
	// fully qualified message name.
	MetadataType, ResultType string
	// FromWire converts the decoded wire metadata.
	FromWire func(*W) *M
	// Percent reads the progress, 0-100, or -1 when the API reports none.
	Percent func(*M) int
	// Finish, if set, completes a result from the operation's metadata.
	Finish func(*R, *M)
}

// Body returns an empty operation body to decode a response into.
func (k OperationKind[R, M, W]) Body() *OperationOf[W] { return &OperationOf[W]{Want: k.MetadataType} }

// State reads an operation body decoded through Body.
func (k OperationKind[R, M, W]) State(o *OperationOf[W]) (lro.State[R, M], error) {
	var meta *M
	if !o.Slow && o.Meta != nil {
		meta = k.FromWire(o.Meta)
	}
	return k.state(&o.Operation, meta)
}

// StateOf reads a plain Operation (one from a list).
func (k OperationKind[R, M, W]) StateOf(op *Operation) (lro.State[R, M], error) {
	return k.state(op, nil)
}

func (k OperationKind[R, M, W]) state(op *Operation, meta *M) (lro.State[R, M], error) {
	st := lro.State[R, M]{Done: op.Done, Percent: -1}
	if meta == nil && len(op.Metadata) > 0 && string(op.Metadata) != "null" {
		var w W
		if err := decodeAny(op.Metadata, k.MetadataType, &w); err != nil {
			return st, &rest.MalformedResponseError{Service: k.Service, Op: k.Op, Err: fmt.Errorf("operation %s is not a %s operation (metadata: %w)", op.Name, k.Op, err)}
		}
		meta = k.FromWire(&w)
	}
	if meta != nil {
		st.Metadata = meta
		st.Percent = k.Percent(meta)
	}
	if !op.Done {
		return st, nil
	}
	if len(op.Error) > 0 && string(op.Error) != "null" {
		st.Err = OperationError(k.Service, k.Op, op.Error)
		return st, nil
	}
	if len(op.Response) == 0 || string(op.Response) == "null" {
		return st, k.broken(op.Name, "response", errors.New("done without a response or an error"))
	}
	r := new(R)
	if err := decodeAny(op.Response, TypeURL(k.ResultType), r); err != nil {
		return st, k.broken(op.Name, "response", err)
	}
	if k.Finish != nil && meta != nil {
		k.Finish(r, meta)
	}
	st.Result = r
	st.Percent = 100
	return st, nil
}

// broken is the error for an operation body that does not decode.
func (k OperationKind[R, M, W]) broken(name, part string, err error) error {
	return &rest.MalformedResponseError{Service: k.Service, Op: k.Op, Err: fmt.Errorf("operation %s %s: %w", name, part, err)}
}

// Get polls the operation at path (GET /v{n}/{name}).
func (k OperationKind[R, M, W]) Get(ctx context.Context, rc *rest.Client, path rest.Path) (lro.State[R, M], error) {
	o := k.Body()
	if _, err := rc.Do(ctx, &rest.Request{
		Op:     "GetOperation",
		Method: http.MethodGet,
		Path:   path,
		Mode:   rest.Idempotent,
		Out:    o,
	}); err != nil {
		return lro.State[R, M]{}, err
	}
	return k.State(o)
}

// CancelOperation asks the service to cancel the operation at path, which
// ends in ":cancel" (POST /v{n}/{name}:cancel, no body), as
// google.longrunning.Operations.CancelOperation is mapped to REST by both
// APIs. The operation then ends with a CANCELLED error, unless it finished
// first.
func CancelOperation(ctx context.Context, rc *rest.Client, path rest.Path) error {
	_, err := rc.Do(ctx, &rest.Request{
		Op:     "CancelOperation",
		Method: http.MethodPost,
		Writes: true,
		Path:   path,
		Mode:   rest.Idempotent,
	})
	return err
}

// OperationFilter is the list filter that selects the operations whose
// metadata has the type typeURL and names backup:
//
//	(metadata.@type=type.googleapis.com/...) AND (metadata.name:"projects/...")
//
// It is the syntax of Spanner's backupOperations.list filter documentation
// (the type URL unquoted, fields of the metadata after metadata.@type, ':'
// for "contains", a quoted string value) and of the standard list filter
// (AIP-160) that Bigtable's operations.list takes. ':' also matches longer
// names, so every listed operation is checked again by the caller.
func OperationFilter(typeURL, backup string) string {
	return fmt.Sprintf("(metadata.@type=%s) AND (metadata.name:%q)", typeURL, backup)
}

// MaxOperationPages bounds how many pages of operations a recovery reads
// before it gives up looking for the operation and follows the backup.
const MaxOperationPages = 20

var errPageLimit = errors.New("page limit reached")

type listOperationsResponse struct {
	Operations    []*Operation `json:"operations"`
	NextPageToken string       `json:"nextPageToken"`
}

// listOperations lists the operations at path that match filter, through
// rest.Pages (lazy pages, repeated-token guard), stopping with errPageLimit
// after maxPages pages. If pages is not nil it counts the requests made.
func listOperations(ctx context.Context, rc *rest.Client, op string, path rest.Path, filter string, pageSize, maxPages int, pages *int) iter.Seq2[*Operation, error] {
	if pages == nil {
		pages = new(int)
	}
	return rest.Pages(op, rc.MalformedPage(op), func(token string) ([]*Operation, string, error) {
		if *pages == maxPages {
			return nil, "", errPageLimit
		}
		*pages++
		q := url.Values{}
		if filter != "" {
			q.Set("filter", filter)
		}
		if pageSize > 0 {
			q.Set("pageSize", strconv.Itoa(pageSize))
		}
		if token != "" {
			q.Set("pageToken", token)
		}
		out, _, err := rest.Call[listOperationsResponse](ctx, rc, &rest.Request{
			Op:     op,
			Method: http.MethodGet,
			Path:   path,
			Query:  q,
			Mode:   rest.Idempotent,
		})
		if err != nil {
			return nil, "", err
		}
		return out.Operations, out.NextPageToken, nil
	})
}

// Recovery describes a create or copy whose answer was lost and whose replay
// was refused because the backup already exists (ALREADY_EXISTS; for a
// Spanner create also FAILED_PRECONDITION).
type Recovery[R, M any] struct {
	// Backup is the new backup's name.
	Backup string
	// List is where the backup's operations are listed; ListOp names that
	// call ("ListOperations", "ListBackupOperations").
	List   rest.Path
	ListOp string
	// Get reads the backup.
	Get func(context.Context) (*R, error)
	// Ready reports whether a backup is complete.
	Ready func(*R) bool
	// Matches reports whether an existing backup is this request's: the
	// same source (table, database or backup) and the same expire time.
	Matches func(*R) bool
	// MetadataMatches reports whether an operation's metadata is this
	// request's, beyond the type and the backup name Recover checks (a
	// source it names is the request's).
	MetadataMatches func(*M) bool
}

// Recover resolves the refused replay described by r. It reads the backup:
// when there is none, or it is not this request's (Matches), the refusal is
// genuine and Recover returns conflict. Otherwise it looks for the
// operation that made it among the listed operations (OperationFilter, then
// without a filter if the service refuses it), checking each one's metadata
// type, backup name and MetadataMatches, and returns the running one, or a
// finished one whose result Matches. When none is listed any more it
// returns the backup, for a handle that follows it. A failed look-up
// returns a *RecoveryError holding conflict and the look-up's error (but a
// READY matching backup is returned even if listing fails).
func (k OperationKind[R, M, W]) Recover(ctx context.Context, rc *rest.Client, conflict error, r Recovery[R, M]) (*Operation, *R, error) {
	b, err := r.Get(ctx)
	if Code(err) == codes.NotFound {
		return nil, nil, conflict
	}
	if err != nil {
		return nil, nil, &RecoveryError{Conflict: conflict, Lookup: err}
	}
	if !r.Matches(b) {
		return nil, nil, conflict
	}
	op, err := k.find(ctx, rc, r)
	if err != nil {
		if r.Ready(b) {
			return nil, b, nil
		}
		return nil, nil, &RecoveryError{Conflict: conflict, Lookup: err}
	}
	if op != nil {
		return op, nil, nil
	}
	return nil, b, nil
}

// find returns the operation that made r's backup, or nil.
func (k OperationKind[R, M, W]) find(ctx context.Context, rc *rest.Client, r Recovery[R, M]) (*Operation, error) {
	filter := OperationFilter(k.MetadataType, r.Backup)
	for {
		var done *Operation
		seen := false
		for op, err := range listOperations(ctx, rc, r.ListOp, r.List, filter, 0, MaxOperationPages, nil) {
			if errors.Is(err, errPageLimit) {
				return done, nil
			}
			if err != nil {
				if code := Code(err); !seen && filter != "" && (code == codes.InvalidArgument || code == codes.Unimplemented) {
					break // the service refused the filter: list without one
				}
				return nil, err
			}
			seen = true
			if op == nil || !k.ours(op, r) {
				continue
			}
			if !op.Done {
				return op, nil
			}
			if done == nil {
				if st, err := k.StateOf(op); err == nil && st.Result != nil && r.Matches(st.Result) {
					done = op
				}
			}
		}
		if seen || filter == "" {
			return done, nil
		}
		filter = ""
	}
}

// ours reports whether op is r's kind of operation for r's backup.
func (k OperationKind[R, M, W]) ours(op *Operation, r Recovery[R, M]) bool {
	if op.Name == "" || len(op.Metadata) == 0 {
		return false
	}
	var head struct {
		Type string `json:"@type"`
		Name string `json:"name"`
	}
	if json.Unmarshal(op.Metadata, &head) != nil || head.Type != k.MetadataType || head.Name != r.Backup {
		return false
	}
	var w W
	if decodeAny(op.Metadata, k.MetadataType, &w) != nil {
		return false
	}
	return r.MetadataMatches == nil || r.MetadataMatches(k.FromWire(&w))
}

// RecoveryError is a refused replay of a create or copy (ALREADY_EXISTS)
// that could not be checked against the backup an earlier, lost attempt
// may have made, because looking it up failed. errors.As finds the API
// error of the refusal first (status.Code reads ALREADY_EXISTS), then the
// look-up's. Its kind is backupcopy.OutcomeUnknown: the copy may exist.
type RecoveryError struct {
	// Conflict is the refusal; Lookup why it could not be resolved.
	Conflict, Lookup error
}

func (e *RecoveryError) Error() string {
	return fmt.Sprintf("%v (an earlier attempt's answer was lost and it may have succeeded; looking up the backup or its operation failed: %v)", e.Conflict, e.Lookup)
}

// Unwrap returns the refusal and the look-up error.
func (e *RecoveryError) Unwrap() []error { return []error{e.Conflict, e.Lookup} }

// ErrorKind reports backupcopy.OutcomeUnknown.
func (e *RecoveryError) ErrorKind() backupcopy.Kind { return backupcopy.OutcomeUnknown }
