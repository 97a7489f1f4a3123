package gapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// Test types: a result with a source and a metadata naming the backup.
type tResult struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Ready  bool   `json:"ready"`
}

type tWire struct {
	Type   string `json:"@type"`
	Name   string `json:"name"`
	Source string `json:"source"`
}

func (w tWire) AnyType() string { return w.Type }

type tMeta struct{ Name, Source string }

const tMetaURL = "type.googleapis.com/test.Meta"

var tKind = OperationKind[tResult, tMeta, tWire]{
	Service: "test", Op: "CopyBackup", MetadataType: tMetaURL, ResultType: "test.Result",
	FromWire: func(w *tWire) *tMeta { return &tMeta{Name: w.Name, Source: w.Source} },
	Percent:  func(*tMeta) int { return -1 },
}

func tOp(name, backup, source string, done bool, result string) string {
	s := fmt.Sprintf(`{"name":%q,"metadata":{"@type":%q,"name":%q,"source":%q},"done":%t`, name, tMetaURL, backup, source, done)
	if result != "" {
		s += `,"response":` + result
	}
	return s + "}"
}

// listServer answers GET /b with the backup and GET /ops with pages of
// operations built by page(n, filter); it records the list queries.
func listServer(t *testing.T, backup string, page func(n int, q url.Values) (int, string)) (*rest.Client, *[]url.Values) {
	t.Helper()
	var mu sync.Mutex
	var queries []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/b" {
			fmt.Fprint(w, backup)
			return
		}
		queries = append(queries, r.URL.Query())
		code, body := page(len(queries), r.URL.Query())
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	rc, err := rest.New(rest.Config{Endpoint: u, Service: "test", DecodeAPIError: DecodeAPIError("test"), Hint: Hint})
	require.NoError(t, err)
	return rc, &queries
}

func tRecovery(rc *rest.Client, backup string) Recovery[tResult, tMeta] {
	return Recovery[tResult, tMeta]{
		Backup: backup, List: rest.NewPath("ops"), ListOp: "ListOperations",
		Get: func(ctx context.Context) (*tResult, error) {
			r, _, err := rest.Call[tResult](ctx, rc, &rest.Request{Op: "Get", Method: http.MethodGet, Path: rest.NewPath("b"), Mode: rest.Idempotent})
			return r, err
		},
		Ready:           func(r *tResult) bool { return r.Ready },
		Matches:         func(r *tResult) bool { return r.Source == "src" },
		MetadataMatches: func(m *tMeta) bool { return m.Source == "src" },
	}
}

var errConflict = errors.New("conflict")

func TestOperationFilterSyntax(t *testing.T) {
	assert.Equal(t, `(metadata.@type=type.googleapis.com/x.Meta) AND (metadata.name:"projects/example.com:p/instances/i/backups/b")`,
		OperationFilter("type.googleapis.com/x.Meta", "projects/example.com:p/instances/i/backups/b"))
}

// The running operation wins over a finished one; another source's or
// another backup's operation never matches; a finished operation counts
// only if its result is this request's.
func TestRecoverPicksThisRequestsOperation(t *testing.T) {
	ok := `{"@type":"type.googleapis.com/test.Result","name":"b","source":"src","ready":true}`
	other := `{"@type":"type.googleapis.com/test.Result","name":"b","source":"old","ready":true}`
	tests := []struct {
		name string
		ops  []string
		want string
	}{
		{"running wins", []string{tOp("done", "b", "src", true, ok), tOp("run", "b", "src", false, "")}, "run"},
		{"finished with our result", []string{tOp("old", "b", "src", true, other), tOp("done", "b", "src", true, ok)}, "done"},
		{"other source", []string{tOp("x", "b", "elsewhere", false, "")}, ""},
		{"longer name", []string{tOp("x", "b2", "src", false, "")}, ""},
		{"failed only", []string{`{"name":"f","done":true,"error":{"code":9},"metadata":{"@type":"` + tMetaURL + `","name":"b","source":"src"}}`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"operations": json.RawMessage("[" + join(tt.ops) + "]")})
			rc, _ := listServer(t, `{"name":"b","source":"src"}`, func(int, url.Values) (int, string) { return 200, string(body) })
			op, b, err := tKind.Recover(context.Background(), rc, errConflict, tRecovery(rc, "b"))
			require.NoError(t, err)
			if tt.want == "" {
				assert.Nil(t, op)
				require.NotNil(t, b, "no operation listed: follow the backup")
				return
			}
			require.NotNil(t, op)
			assert.Equal(t, tt.want, op.Name)
		})
	}
}

func join(ops []string) string {
	s := ""
	for i, o := range ops {
		if i > 0 {
			s += ","
		}
		s += o
	}
	return s
}

// A refused filter is dropped; pages are followed through rest.Pages and
// the search stops after MaxOperationPages pages (then the backup is
// followed).
func TestRecoverFilterFallbackAndPageLimit(t *testing.T) {
	rc, queries := listServer(t, `{"name":"b","source":"src"}`, func(n int, q url.Values) (int, string) {
		if q.Get("filter") != "" {
			return 400, `{"error":{"code":400,"message":"no","status":"INVALID_ARGUMENT"}}`
		}
		return 200, `{"operations":[` + tOp("x", "other", "src", false, "") + `],"nextPageToken":"t` + strconv.Itoa(n) + `"}`
	})
	op, b, err := tKind.Recover(context.Background(), rc, errConflict, tRecovery(rc, "b"))
	require.NoError(t, err)
	assert.Nil(t, op)
	assert.NotNil(t, b)
	require.Len(t, *queries, 1+MaxOperationPages)
	assert.Contains(t, (*queries)[0].Get("filter"), "metadata.@type=")
	assert.Empty(t, (*queries)[1].Get("filter"))
	assert.Equal(t, "t2", (*queries)[2].Get("pageToken"))
}

// The backup decides first: absent or another request's, the conflict is
// genuine; unreadable, or its operations unlistable while it is not ready,
// the conflict comes back inside a *RecoveryError (OutcomeUnknown).
func TestRecoverConflictsAndLookupFailures(t *testing.T) {
	ctx := context.Background()
	denied := func(int, url.Values) (int, string) {
		return 403, `{"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}}`
	}

	rc, _ := listServer(t, `{"name":"b","source":"someone else"}`, denied)
	_, _, err := tKind.Recover(ctx, rc, errConflict, tRecovery(rc, "b"))
	assert.Same(t, errConflict, err)

	rc, _ = listServer(t, `{"name":"b","source":"src"}`, denied)
	_, _, err = tKind.Recover(ctx, rc, errConflict, tRecovery(rc, "b"))
	var re *RecoveryError
	require.ErrorAs(t, err, &re)
	assert.ErrorIs(t, err, errConflict)
	assert.Equal(t, codes.PermissionDenied, status.Code(re.Lookup))
	assert.Equal(t, backupcopy.OutcomeUnknown, backupcopy.KindOf(err))

	rc, _ = listServer(t, `{"name":"b","source":"src","ready":true}`, denied)
	op, b, err := tKind.Recover(ctx, rc, errConflict, tRecovery(rc, "b"))
	require.NoError(t, err, "a ready backup of this request needs no operation")
	assert.Nil(t, op)
	assert.True(t, b.Ready)

	r := tRecovery(rc, "b")
	r.Get = func(context.Context) (*tResult, error) {
		return nil, &Error{Code: codes.NotFound, st: status.New(codes.NotFound, "nf")}
	}
	_, _, err = tKind.Recover(ctx, rc, errConflict, r)
	assert.Same(t, errConflict, err)
}
