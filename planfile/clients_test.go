package planfile

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noEnvironment clears the variables Settings.Clients and the libraries read,
// so that only what a test sets counts.
func noEnvironment(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	for _, k := range []string{EnvBigtableEndpoint, EnvSpannerEndpoint, EnvCBREndpoint, EnvFSxEndpoint, EnvCBRRegion,
		"GOOGLE_APPLICATION_CREDENTIALS", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_FSX", "AWS_EC2_METADATA_DISABLED"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("HOME", home)
	t.Setenv("APPDATA", home)
	t.Setenv("CLOUDSDK_CONFIG", home)
	t.Setenv("AWS_CONFIG_FILE", home+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", home+"/none")
}

func TestClientsUnknownCloud(t *testing.T) {
	_, err := Settings{}.Clients(context.Background(), ClientOptions{}, "bigtable", "gcs")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown cloud "gcs"`)
	var ce *ClientError
	assert.False(t, errors.As(err, &ce), "an unknown name is not a client's failure")
}

// A loopback http:// Google endpoint, from the settings or the environment,
// is an emulator: the client needs no credentials. Any other endpoint needs
// Application Default Credentials, and without them that cloud alone fails.
func TestClientsGoogleEmulatorRule(t *testing.T) {
	noEnvironment(t)
	t.Setenv(EnvSpannerEndpoint, "http://localhost:9010")
	s := Settings{Bigtable: GoogleSettings{Endpoint: "http://127.0.0.1:8086"}}
	c, err := s.Clients(context.Background(), ClientOptions{}, Bigtable, Spanner)
	require.NoError(t, err)
	assert.NotNil(t, c.Bigtable)
	assert.NotNil(t, c.Spanner)
	require.NoError(t, c.Close())

	s.Bigtable.Endpoint = "https://bigtableadmin.googleapis.com"
	c, err = s.Clients(context.Background(), ClientOptions{}, Bigtable, Spanner)
	defer c.Close()
	var ce *ClientError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, Bigtable, ce.Cloud)
	assert.Contains(t, ce.Error(), "Application Default Credentials")
	assert.Nil(t, c.Bigtable)
	assert.NotNil(t, c.Spanner, "the other cloud's client is still built")
}

// CBR needs a source region: from the settings, else HUAWEICLOUD_SDK_REGION.
func TestClientsCBRRegion(t *testing.T) {
	noEnvironment(t)
	t.Setenv("HUAWEICLOUD_SDK_AK", "ak")
	t.Setenv("HUAWEICLOUD_SDK_SK", "sk")
	s := Settings{CBR: CBRSettings{ProjectID: "0b9a46e9d0f74f4aab8b1b1d4d4c0b73"}}
	c, err := s.Clients(context.Background(), ClientOptions{}, CBR)
	var ce *ClientError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "cbr: no source region: set clouds.cbr.region or HUAWEICLOUD_SDK_REGION", ce.Error())
	assert.Nil(t, c.CBR)

	t.Setenv(EnvCBRRegion, "ap-southeast-1")
	c, err = s.Clients(context.Background(), ClientOptions{}, CBR)
	require.NoError(t, err)
	assert.Equal(t, "ap-southeast-1", c.CBR.Region())
	require.NoError(t, c.Close())
}

// FSx credentials are resolved at once; FSxSource makes one client per
// source region, and the destination region's is the FSx client itself.
func TestClientsFSx(t *testing.T) {
	noEnvironment(t)
	s := Settings{FSx: FSxSettings{Region: "eu-west-1"}}
	_, err := s.Clients(context.Background(), ClientOptions{}, FSx)
	var ce *ClientError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, FSx, ce.Cloud)
	assert.Regexp(t, `^fsx: `, ce.Error())

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	c, err := s.Clients(context.Background(), ClientOptions{}, FSx)
	require.NoError(t, err)
	assert.Nil(t, c.Bigtable)
	src, err := c.FSxSource("us-east-1")
	require.NoError(t, err)
	assert.Equal(t, "us-east-1", src.Region())
	again, err := c.FSxSource("us-east-1")
	require.NoError(t, err)
	assert.Same(t, src, again)
	same, err := c.FSxSource("eu-west-1")
	require.NoError(t, err)
	assert.Same(t, c.FSx, same)
	_, err = c.FSxSource("not a region")
	require.ErrorAs(t, err, &ce)
	require.NoError(t, c.Close())
}
