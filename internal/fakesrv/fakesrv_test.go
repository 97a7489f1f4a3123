package fakesrv

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServerLogsAndBounds(t *testing.T) {
	s := New(func(s *Server, w http.ResponseWriter, r *http.Request) {
		b, err := s.ReadBody(r)
		if err != nil {
			WriteJSON(w, 413, map[string]string{"error": err.Error()})
			return
		}
		WriteJSON(w, 200, map[string]int{"len": len(b)})
	})
	defer s.Close()
	resp, err := http.Post(s.URL()+"/v1/x?y=1", "application/json", strings.NewReader(`{"a":1}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	resp, err = http.Post(s.URL()+"/big", "application/json", strings.NewReader(strings.Repeat("x", MaxBody+10)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 413, resp.StatusCode)
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "/v1/x", reqs[0].Path)
	assert.Equal(t, "y=1", reqs[0].RawQuery)
	assert.Equal(t, `{"a":1}`, string(reqs[0].Body))
	assert.Equal(t, 1, s.CountRequests(func(e Entry) bool { return e.Path == "/big" }))
}

func TestProgress(t *testing.T) {
	start := time.Unix(1000, 0)
	assert.Equal(t, 0, Progress(start, 2*time.Second, start))
	assert.Equal(t, 50, Progress(start, 2*time.Second, start.Add(time.Second)))
	assert.Equal(t, 100, Progress(start, 2*time.Second, start.Add(3*time.Second)))
	assert.Equal(t, 100, Progress(start, 0, start))
	assert.Equal(t, 0, Progress(start, time.Second, start.Add(-time.Second)))
}
