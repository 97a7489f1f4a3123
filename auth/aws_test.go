package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

func clearAWSEnv(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none-credentials"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none-config"))
}

func writeFiles(t *testing.T, creds, config string) {
	dir := t.TempDir()
	cp, fp := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(cp, []byte(creds), 0o600))
	require.NoError(t, os.WriteFile(fp, []byte(config), 0o600))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", cp)
	t.Setenv("AWS_CONFIG_FILE", fp)
}

func TestStaticAWSCredentials(t *testing.T) {
	c, err := StaticAWSCredentials("AKID", testSecret, "tok").Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "AKID", c.AccessKeyID)
	assert.Equal(t, "tok", c.SessionToken)
	_, err = StaticAWSCredentials("AKID", "", "").Retrieve(context.Background())
	assert.Error(t, err)
}

func TestEnvAWSCredentials(t *testing.T) {
	clearAWSEnv(t)
	_, err := EnvAWSCredentials{}.Retrieve(context.Background())
	assert.ErrorContains(t, err, "AWS_ACCESS_KEY_ID")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	_, err = EnvAWSCredentials{}.Retrieve(context.Background())
	assert.ErrorContains(t, err, "AWS_SECRET_ACCESS_KEY is not")
	t.Setenv("AWS_SECRET_KEY", testSecret) // the alternate name
	t.Setenv("AWS_SESSION_TOKEN", "tok")
	c, err := EnvAWSCredentials{}.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, AWSCredentials{AccessKeyID: "AKID", SecretAccessKey: testSecret, SessionToken: "tok", Source: "Environment"}, c)
}

func TestSharedAWSCredentials(t *testing.T) {
	clearAWSEnv(t)
	writeFiles(t, `
# comment
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = `+testSecret+`

[work]
AWS_ACCESS_KEY_ID=AKIDWORK   ; inline comment
aws_secret_access_key=secretwork
aws_session_token = tokwork
`, `
[default]
region = eu-west-1
[profile work]
region = ap-southeast-2
aws_access_key_id = AKIDFROMCONFIG
[profile cfgonly]
aws_access_key_id = AKIDCFG
aws_secret_access_key = secretcfg
region=us-west-2
`)
	tests := []struct {
		profile, env, wantID, wantToken, wantRegion string
	}{
		{"", "", "AKIDDEFAULT", "", "eu-west-1"},
		{"work", "", "AKIDWORK", "tokwork", "ap-southeast-2"},
		{"", "work", "AKIDWORK", "tokwork", "ap-southeast-2"},
		{"cfgonly", "", "AKIDCFG", "", "us-west-2"},
	}
	for _, tt := range tests {
		t.Run(tt.profile+"/"+tt.env, func(t *testing.T) {
			t.Setenv("AWS_PROFILE", tt.env)
			c, err := SharedAWSCredentials{Profile: tt.profile}.Retrieve(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tt.wantID, c.AccessKeyID, "credentials file wins over config")
			assert.Equal(t, tt.wantToken, c.SessionToken)
			assert.Equal(t, tt.wantRegion, AWSRegion(tt.profile))
		})
	}
	_, err := SharedAWSCredentials{Profile: "missing"}.Retrieve(context.Background())
	assert.ErrorContains(t, err, `profile "missing" not found`)
	assert.NotContains(t, err.Error(), testSecret)

	t.Setenv("AWS_REGION", "us-east-2")
	assert.Equal(t, "us-east-2", AWSRegion("work"), "environment wins")
}

func TestParseINIErrors(t *testing.T) {
	_, err := parseINI("[broken\nx=1")
	assert.ErrorContains(t, err, "line 1")
	_, err = parseINI("x=1")
	assert.ErrorContains(t, err, "outside")
	_, err = parseINI("[a]\nnot a pair")
	assert.ErrorContains(t, err, "line 2")
}

type failing struct{ msg string }

func (f failing) Retrieve(context.Context) (AWSCredentials, error) {
	return AWSCredentials{}, errors.New(f.msg)
}

func TestChain(t *testing.T) {
	c, err := AWSCredentialsChain{failing{"one"}, StaticAWSCredentials("AKID", testSecret, "")}.Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "AKID", c.AccessKeyID)
	_, err = AWSCredentialsChain{failing{"first reason"}, failing{"second reason"}}.Retrieve(context.Background())
	assert.ErrorContains(t, err, "first reason")
	assert.ErrorContains(t, err, "second reason")
	assert.ErrorContains(t, err, "AWS_ACCESS_KEY_ID")
}

type countingProvider struct {
	n       atomic.Int32
	expires time.Time
	delay   time.Duration
}

func (p *countingProvider) Retrieve(ctx context.Context) (AWSCredentials, error) {
	n := p.n.Add(1)
	time.Sleep(p.delay)
	return AWSCredentials{AccessKeyID: fmt.Sprint("AKID", n), SecretAccessKey: testSecret, Expires: p.expires}, nil
}

func TestCachedAWSCredentials(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	p := &countingProvider{expires: now.Add(time.Hour), delay: 10 * time.Millisecond}
	c := &CachedAWSCredentials{Provider: p, Now: func() time.Time { return now }}
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := c.Retrieve(context.Background())
			assert.NoError(t, err)
			assert.Equal(t, "AKID1", got.AccessKeyID)
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), p.n.Load(), "one shared refresh")
	now = now.Add(56 * time.Minute) // inside the 5-minute window
	got, _ := c.Retrieve(context.Background())
	assert.Equal(t, "AKID2", got.AccessKeyID)
	c.Invalidate()
	got, _ = c.Retrieve(context.Background())
	assert.Equal(t, "AKID3", got.AccessKeyID)
}

func TestAWSRedaction(t *testing.T) {
	creds := AWSCredentials{AccessKeyID: "AKID", SecretAccessKey: testSecret, SessionToken: "session-secret"}
	for _, v := range []any{creds, &creds, StaticAWSCredentials("AKID", testSecret, "session-secret"), &CachedAWSCredentials{Provider: StaticAWSCredentials("AKID", testSecret, "session-secret")}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, testSecret, "%s of %T", verb, v)
			assert.NotContains(t, out, "session-secret", "%s of %T", verb, v)
		}
	}
	assert.Contains(t, fmt.Sprint(creds), "AKID")
}

func TestDefaultAWSCredentials(t *testing.T) {
	clearAWSEnv(t)
	_, err := DefaultAWSCredentials().Retrieve(context.Background())
	assert.ErrorContains(t, err, "no AWS credentials found")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	c, err := DefaultAWSCredentials().Retrieve(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "AKIDENV", c.AccessKeyID)
}
