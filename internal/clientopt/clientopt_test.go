package clientopt

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/internal/rest"
)

func TestRESTConfig(t *testing.T) {
	s := &Settings{Endpoint: "http://127.0.0.1:9/", UserAgent: "tool/1"}
	cfg, err := s.RESTConfig("fsx", "https://fsx.us-east-1.amazonaws.com")
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9", cfg.Endpoint.String())
	assert.Equal(t, "tool/1", cfg.UserAgent)
	assert.Equal(t, "fsx", cfg.Service)

	cfg, err = (&Settings{}).RESTConfig("fsx", "https://fsx.us-east-1.amazonaws.com")
	require.NoError(t, err)
	assert.Equal(t, "https://fsx.us-east-1.amazonaws.com", cfg.Endpoint.String())

	_, err = (&Settings{Endpoint: "http://example.com"}).RESTConfig("fsx", "")
	assert.ErrorContains(t, err, "loopback")
	assert.ErrorContains(t, err, "fsx: NewClient: invalid endpoint")
	_, err = (&Settings{UserAgent: "x\r\nX-Evil: 1"}).RESTConfig("fsx", "https://a.example")
	assert.ErrorContains(t, err, "header injection")
}

func TestOverride(t *testing.T) {
	p := rest.Policy{MaxAttempts: 2, BaseDelay: time.Millisecond}
	s := &Settings{UserAgent: "a"}
	s.Override(context.Background())
	assert.Equal(t, rest.Policy{}, s.Policy, "no override")
	s.Override(WithOverride(context.Background(), func(s *Settings) { s.Policy = p }))
	assert.Equal(t, p, s.Policy)
	assert.Equal(t, "a", s.UserAgent)
}
