package rest

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCallersHTTPClientCarriesEveryAttempt: the caller's client (here an
// httpmock transport, one per client, never the global one) carries every
// attempt, and its own CheckRedirect does not weaken the redirect rule.
func TestCallersHTTPClientCarriesEveryAttempt(t *testing.T) {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", "https://api.example.com/v1/things/a%20b",
		httpmock.ResponderFromMultipleResponses([]*http.Response{
			httpmock.NewStringResponse(503, `busy`),
			httpmock.NewStringResponse(200, `{"name":"a b"}`),
		}))
	u, err := url.Parse("https://api.example.com")
	require.NoError(t, err)
	c, err := New(Config{
		Endpoint:   u,
		HTTPClient: &http.Client{Transport: mock},
		Auth:       headerAuth{"Authorization": "Bearer t"},
		Rand:       func() float64 { return 0 },
	})
	require.NoError(t, err)
	out, resp, err := Call[struct{ Name string }](context.Background(), c, &Request{Op: "GetThing", Method: "GET", Path: NewPath("v1", "things").Seg("Name", "a b"), Mode: Idempotent})
	require.NoError(t, err)
	assert.Equal(t, "a b", out.Name)
	assert.Equal(t, 2, resp.Attempts)
	assert.Equal(t, 2, mock.GetTotalCallCount())
}

func TestMockRedirectToOtherHostStops(t *testing.T) {
	mock := httpmock.NewMockTransport()
	mock.RegisterResponder("GET", "https://api.example.com/v1/x", func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(302, "")
		resp.Header.Set("Location", "https://attacker.example.net/collect")
		return resp, nil
	})
	mock.RegisterResponder("GET", "https://attacker.example.net/collect", httpmock.NewStringResponder(200, "{}"))
	u, _ := url.Parse("https://api.example.com")
	c, err := New(Config{Endpoint: u, HTTPClient: &http.Client{Transport: mock}, Auth: headerAuth{"X-Auth-Token": "secret"}})
	require.NoError(t, err)
	resp, err := c.Do(context.Background(), &Request{Op: "Get", Method: "GET", Path: NewPath("v1", "x"), Mode: Idempotent})
	require.Error(t, err)
	assert.Equal(t, 302, resp.StatusCode)
	assert.Zero(t, mock.GetCallCountInfo()["GET https://attacker.example.net/collect"])
}
