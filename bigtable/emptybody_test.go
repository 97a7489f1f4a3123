package bigtable_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// A 200 with an empty body to a list call is a broken answer: the listing
// ends with an error, never as an empty (or last) page. The same holds for
// the operations list the lost-response recovery reads.
func TestEmptyListBodyIsAnError(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			if posts.Add(1) == 1 {
				w.WriteHeader(503) // the copy's first answer is lost
				return
			}
			w.WriteHeader(409)
			w.Write([]byte(`{"error":{"code":409,"message":"exists","status":"ALREADY_EXISTS"}}`))
			return
		}
		w.WriteHeader(200) // every list: 200 and nothing
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)

	var got []string
	var lastErr error
	for b, err := range c.ListBackups(context.Background(), dstCl) {
		if err != nil {
			lastErr = err
			continue
		}
		got = append(got, b.Name)
	}
	assert.Empty(t, got)
	require.ErrorIs(t, lastErr, rest.ErrEmptyBody)
	assert.Contains(t, lastErr.Error(), "ListBackups")

	_, err := c.CopyBackup(context.Background(), copyReq("b"))
	require.ErrorIs(t, err, rest.ErrEmptyBody, "the operations list's broken answer is reported, not read as 'no operation'")
	assert.Equal(t, int32(2), posts.Load(), "the copy is not sent a third time")
}
