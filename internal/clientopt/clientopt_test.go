package clientopt

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type pkgOption func(*Settings)

func TestApplyAndRESTConfig(t *testing.T) {
	s := Apply([]pkgOption{pkgOption(Endpoint("http://127.0.0.1:9/")), pkgOption(UserAgent("tool/1")), nil, pkgOption(Region("eu-west-1"))})
	cfg, err := s.RESTConfig("fsx", "https://fsx.us-east-1.amazonaws.com")
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9", cfg.Endpoint.String())
	assert.Equal(t, "tool/1", cfg.UserAgent)
	assert.Equal(t, "eu-west-1", s.Region)

	cfg, err = Apply[Option](nil).RESTConfig("fsx", "https://fsx.us-east-1.amazonaws.com")
	require.NoError(t, err)
	assert.Equal(t, "https://fsx.us-east-1.amazonaws.com", cfg.Endpoint.String())

	_, err = Apply([]Option{Endpoint("http://example.com")}).RESTConfig("fsx", "")
	assert.ErrorContains(t, err, "loopback")
	_, err = Apply([]Option{UserAgent("x\r\nX-Evil: 1")}).RESTConfig("fsx", "https://a.example")
	assert.ErrorContains(t, err, "header injection")
}
