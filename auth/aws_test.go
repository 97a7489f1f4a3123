package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth/internal/credcache"
)

const (
	awsTestSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	awsTestToken  = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"
)

func TestStaticAWSCredentials(t *testing.T) {
	tests := []struct {
		name, id, secret, token string
		wantErr                 string
	}{
		{name: "long-term", id: "AKID", secret: awsTestSecret},
		{name: "with token", id: "AKID", secret: awsTestSecret, token: awsTestToken},
		{name: "no secret", id: "AKID", wantErr: `secret access key for "AKID" is empty`},
		{name: "no id", secret: awsTestSecret, wantErr: "access key id is empty"},
		{name: "nothing", wantErr: "access key id and secret access key are empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := StaticAWSCredentials(tt.id, tt.secret, tt.token).Retrieve(context.Background())
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), awsTestSecret)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, AWSCredentials{AccessKeyID: tt.id, SecretAccessKey: tt.secret, SessionToken: tt.token, Source: "Static"}, got)
		})
	}
}

func TestEnvAWSCredentials(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    AWSCredentials
		wantErr string
	}{
		{name: "nothing set", wantErr: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"},
		{name: "id only", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKID"}, wantErr: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"},
		{name: "secret only", env: map[string]string{"AWS_SECRET_ACCESS_KEY": awsTestSecret}, wantErr: "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"},
		{name: "standard names", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": awsTestSecret},
			want: AWSCredentials{AccessKeyID: "AKID", SecretAccessKey: awsTestSecret, Source: "Environment"}},
		{name: "alternate names", env: map[string]string{"AWS_ACCESS_KEY": "AKALT", "AWS_SECRET_KEY": "alt-secret", "AWS_SESSION_TOKEN": awsTestToken},
			want: AWSCredentials{AccessKeyID: "AKALT", SecretAccessKey: "alt-secret", SessionToken: awsTestToken, Source: "Environment"}},
		{name: "standard names win", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_ACCESS_KEY": "AKALT",
			"AWS_SECRET_ACCESS_KEY": awsTestSecret, "AWS_SECRET_KEY": "alt-secret"},
			want: AWSCredentials{AccessKeyID: "AKID", SecretAccessKey: awsTestSecret, Source: "Environment"}},
		{name: "mixed names", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_KEY": "alt-secret"},
			want: AWSCredentials{AccessKeyID: "AKID", SecretAccessKey: "alt-secret", Source: "Environment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWSEnv(t, "", "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got, err := EnvAWSCredentials{}.Retrieve(context.Background())
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// fakeAWSProvider counts calls and returns what its function says.
type fakeAWSProvider struct {
	calls atomic.Int32
	fn    func(ctx context.Context, call int32) (AWSCredentials, error)
}

func (f *fakeAWSProvider) Retrieve(ctx context.Context) (AWSCredentials, error) {
	return f.fn(ctx, f.calls.Add(1))
}

func fixedAWS(c AWSCredentials, err error) *fakeAWSProvider {
	return &fakeAWSProvider{fn: func(context.Context, int32) (AWSCredentials, error) { return c, err }}
}

func TestAWSCredentialsChain(t *testing.T) {
	good := AWSCredentials{AccessKeyID: "AKGOOD", SecretAccessKey: awsTestSecret, Source: "fake"}
	t.Run("first success wins", func(t *testing.T) {
		first := fixedAWS(AWSCredentials{}, errors.New("first is empty"))
		second := fixedAWS(good, nil)
		third := fixedAWS(AWSCredentials{AccessKeyID: "AKNOT"}, nil)
		got, err := AWSCredentialsChain{first, second, third}.Retrieve(context.Background())
		require.NoError(t, err)
		assert.Equal(t, good, got)
		assert.EqualValues(t, 1, first.calls.Load())
		assert.EqualValues(t, 0, third.calls.Load())
	})
	t.Run("all fail: every reason listed", func(t *testing.T) {
		isolateAWSEnv(t, "", "")
		chain := AWSCredentialsChain{EnvAWSCredentials{}, SharedAWSCredentials{Profile: "ops"}, fixedAWS(AWSCredentials{}, errors.New("custom failure")), nil}
		_, err := chain.Retrieve(context.Background())
		require.Error(t, err)
		msg := err.Error()
		assert.Contains(t, msg, "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
		assert.Contains(t, msg, "EnvAWSCredentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
		assert.Contains(t, msg, `SharedAWSCredentials{Profile: "ops"}: profile "ops" not found`)
		assert.Contains(t, msg, "*auth.fakeAWSProvider: custom failure")
		assert.Contains(t, msg, "<nil provider>")
	})
	t.Run("environment before files", func(t *testing.T) {
		isolateAWSEnv(t, testCredsFile, testCfgFile)
		t.Setenv("AWS_ACCESS_KEY_ID", "AKENV")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
		got, err := AWSCredentialsChain{EnvAWSCredentials{}, SharedAWSCredentials{}}.Retrieve(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "AKENV", got.AccessKeyID)
	})
	t.Run("cancelled context stops the chain", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		first := &fakeAWSProvider{fn: func(context.Context, int32) (AWSCredentials, error) {
			cancel()
			return AWSCredentials{}, errors.New("interrupted")
		}}
		second := fixedAWS(good, nil)
		_, err := AWSCredentialsChain{first, second}.Retrieve(ctx)
		assert.ErrorIs(t, err, context.Canceled)
		assert.EqualValues(t, 0, second.calls.Load())
	})
	t.Run("empty", func(t *testing.T) {
		_, err := AWSCredentialsChain{}.Retrieve(context.Background())
		assert.ErrorContains(t, err, "empty AWS credentials chain")
	})
}

// fakeAWSClock is an injectable clock.
type fakeAWSClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeAWSClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeAWSClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestCachedAWSCredentialsExpiry(t *testing.T) {
	clock := &fakeAWSClock{now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	p := &fakeAWSProvider{fn: func(_ context.Context, call int32) (AWSCredentials, error) {
		return AWSCredentials{AccessKeyID: fmt.Sprintf("AK%d", call), SecretAccessKey: "s", Expires: clock.Now().Add(time.Hour)}, nil
	}}
	c := &CachedAWSCredentials{Provider: p, Now: clock.Now}
	get := func() string {
		t.Helper()
		creds, err := c.Retrieve(context.Background())
		require.NoError(t, err)
		return creds.AccessKeyID
	}
	assert.Equal(t, "AK1", get())
	assert.Equal(t, "AK1", get())
	clock.Advance(54*time.Minute + 59*time.Second) // 5m01s left: still fresh
	assert.Equal(t, "AK1", get())
	clock.Advance(2 * time.Second) // inside the 5-minute window
	assert.Equal(t, "AK2", get())
	assert.Equal(t, "AK2", get())
	c.Invalidate()
	assert.Equal(t, "AK3", get())
	assert.EqualValues(t, 3, p.calls.Load())

	t.Run("custom window", func(t *testing.T) {
		p := &fakeAWSProvider{fn: func(_ context.Context, call int32) (AWSCredentials, error) {
			return AWSCredentials{AccessKeyID: fmt.Sprintf("AK%d", call), SecretAccessKey: "s", Expires: clock.Now().Add(time.Hour)}, nil
		}}
		c := &CachedAWSCredentials{Provider: p, Now: clock.Now, ExpiryWindow: 30 * time.Minute}
		_, _ = c.Retrieve(context.Background())
		clock.Advance(29 * time.Minute)
		_, _ = c.Retrieve(context.Background())
		assert.EqualValues(t, 1, p.calls.Load())
		clock.Advance(2 * time.Minute)
		_, _ = c.Retrieve(context.Background())
		assert.EqualValues(t, 2, p.calls.Load())
	})

	t.Run("no expiry: kept until invalidated", func(t *testing.T) {
		p := fixedAWS(AWSCredentials{AccessKeyID: "AK", SecretAccessKey: "s"}, nil)
		c := NewCachedAWSCredentials(p)
		c.Now = clock.Now
		for i := 0; i < 3; i++ {
			_, err := c.Retrieve(context.Background())
			require.NoError(t, err)
			clock.Advance(1000 * time.Hour)
		}
		assert.EqualValues(t, 1, p.calls.Load())
	})
}

func TestCachedAWSCredentialsFailures(t *testing.T) {
	clock := &fakeAWSClock{now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	boom := errors.New("metadata service down")

	t.Run("error is returned and not cached", func(t *testing.T) {
		p := &fakeAWSProvider{fn: func(_ context.Context, call int32) (AWSCredentials, error) {
			if call == 1 {
				return AWSCredentials{}, boom
			}
			return AWSCredentials{AccessKeyID: "AK", SecretAccessKey: "s"}, nil
		}}
		c := &CachedAWSCredentials{Provider: p, Now: clock.Now}
		_, err := c.Retrieve(context.Background())
		assert.ErrorIs(t, err, boom)
		got, err := c.Retrieve(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "AK", got.AccessKeyID)
	})

	t.Run("early refresh fails: old credentials still valid are kept", func(t *testing.T) {
		p := &fakeAWSProvider{fn: func(_ context.Context, call int32) (AWSCredentials, error) {
			if call == 1 {
				return AWSCredentials{AccessKeyID: "AK1", SecretAccessKey: "s", Expires: clock.Now().Add(10 * time.Minute)}, nil
			}
			return AWSCredentials{}, boom
		}}
		c := &CachedAWSCredentials{Provider: p, Now: clock.Now}
		_, err := c.Retrieve(context.Background())
		require.NoError(t, err)
		clock.Advance(6 * time.Minute) // inside the window, 4 minutes left
		got, err := c.Retrieve(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "AK1", got.AccessKeyID)
		assert.EqualValues(t, 2, p.calls.Load(), "a refresh was attempted")
		clock.Advance(5 * time.Minute) // now expired
		_, err = c.Retrieve(context.Background())
		assert.ErrorIs(t, err, boom)
	})

	t.Run("no provider", func(t *testing.T) {
		_, err := (&CachedAWSCredentials{}).Retrieve(context.Background())
		assert.ErrorContains(t, err, "no Provider")
		assert.Equal(t, backupcopy.PermissionDenied, backupcopy.KindOf(err))
	})

	t.Run("kinds", func(t *testing.T) {
		c := &CachedAWSCredentials{Provider: fixedAWS(AWSCredentials{}, boom)}
		_, err := c.Retrieve(context.Background())
		assert.ErrorIs(t, err, boom)
		assert.EqualError(t, err, boom.Error())
		assert.Equal(t, backupcopy.PermissionDenied, backupcopy.KindOf(err), "a provider's plain error")
		throttled := &credcache.Error{Kind: backupcopy.Throttled, Err: boom}
		c = &CachedAWSCredentials{Provider: fixedAWS(AWSCredentials{}, throttled)}
		_, err = c.Retrieve(context.Background())
		assert.Equal(t, backupcopy.Throttled, backupcopy.KindOf(err), "a provider's own Kind is kept")
		for _, p := range []AWSCredentialsProvider{StaticAWSCredentials("", "", ""), AWSCredentialsChain{}, EnvAWSCredentials{},
			SharedAWSCredentials{CredentialsFile: "/nonexistent/c", ConfigFile: "/nonexistent/f"}, AWSCredentialsChain{EnvAWSCredentials{}}} {
			isolateAWSEnv(t, "", "")
			_, err := p.Retrieve(context.Background())
			assert.Equal(t, backupcopy.PermissionDenied, backupcopy.KindOf(err), "%v", p)
		}
	})
}

func TestCachedAWSCredentialsSharedRefresh(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 100)
	p := &fakeAWSProvider{fn: func(ctx context.Context, call int32) (AWSCredentials, error) {
		started <- struct{}{}
		<-release
		return AWSCredentials{AccessKeyID: fmt.Sprintf("AK%d", call), SecretAccessKey: "s"}, nil
	}}
	c := NewCachedAWSCredentials(p)
	const n = 50
	var wg sync.WaitGroup
	results := make([]string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			creds, err := c.Retrieve(context.Background())
			if err == nil {
				results[i] = creds.AccessKeyID
			}
		}(i)
	}
	<-started
	time.Sleep(20 * time.Millisecond) // let the others queue behind the refresh
	close(release)
	wg.Wait()
	assert.EqualValues(t, 1, p.calls.Load(), "one refresh for all callers")
	for i, r := range results {
		assert.Equal(t, "AK1", r, "caller %d", i)
	}
}

func TestCachedAWSCredentialsSharedFailure(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	boom := errors.New("refused")
	p := &fakeAWSProvider{fn: func(context.Context, int32) (AWSCredentials, error) {
		started <- struct{}{}
		<-release
		return AWSCredentials{}, boom
	}}
	c := NewCachedAWSCredentials(p)
	errs := make(chan error, 5)
	for i := 0; i < 5; i++ {
		go func() { _, err := c.Retrieve(context.Background()); errs <- err }()
	}
	<-started
	time.Sleep(20 * time.Millisecond)
	close(release)
	for i := 0; i < 5; i++ {
		assert.ErrorIs(t, <-errs, boom)
	}
	assert.EqualValues(t, 1, p.calls.Load(), "the failure is shared, not retried once per caller")
}

func TestCachedAWSCredentialsContexts(t *testing.T) {
	t.Run("first caller cancelled: the shared refresh goes on for the others", func(t *testing.T) {
		firstCtx, cancelFirst := context.WithCancel(context.Background())
		firstIn := make(chan struct{})
		release := make(chan struct{})
		p := &fakeAWSProvider{fn: func(ctx context.Context, call int32) (AWSCredentials, error) {
			close(firstIn)
			select {
			case <-release:
			case <-ctx.Done():
				return AWSCredentials{}, ctx.Err()
			}
			return AWSCredentials{AccessKeyID: fmt.Sprintf("AK%d", call), SecretAccessKey: "s"}, nil
		}}
		c := NewCachedAWSCredentials(p)
		firstErr := make(chan error, 1)
		go func() { _, err := c.Retrieve(firstCtx); firstErr <- err }()
		<-firstIn
		waiter := make(chan AWSCredentials, 1)
		go func() { creds, _ := c.Retrieve(context.Background()); waiter <- creds }()
		cancelFirst()
		err := <-firstErr
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, backupcopy.Canceled, backupcopy.KindOf(err))
		close(release)
		assert.Equal(t, "AK1", (<-waiter).AccessKeyID)
		assert.EqualValues(t, 1, p.calls.Load())
	})
	t.Run("hung provider: context.Background() fails at the bound", func(t *testing.T) {
		stuck := make(chan struct{})
		defer close(stuck)
		p := &fakeAWSProvider{fn: func(ctx context.Context, call int32) (AWSCredentials, error) {
			<-stuck // ignores ctx, as a provider blocked on a dead connection
			return AWSCredentials{}, errors.New("late")
		}}
		c := &CachedAWSCredentials{Provider: p, RefreshTimeout: 50 * time.Millisecond}
		_, err := c.Retrieve(context.Background())
		require.Error(t, err)
		assert.Equal(t, backupcopy.Transient, backupcopy.KindOf(err))
		assert.EqualError(t, err, "auth: AWS credentials: no answer within 50ms: the endpoint is slow, down or unreachable; later calls try again")
		_, err = c.Retrieve(context.Background())
		require.Error(t, err)
		assert.EqualValues(t, 2, p.calls.Load(), "a timed-out refresh is not cached")
	})
	t.Run("waiter cancelled while the refresh runs", func(t *testing.T) {
		release := make(chan struct{})
		leaderIn := make(chan struct{})
		p := &fakeAWSProvider{fn: func(context.Context, int32) (AWSCredentials, error) {
			close(leaderIn)
			<-release
			return AWSCredentials{AccessKeyID: "AK", SecretAccessKey: "s"}, nil
		}}
		c := NewCachedAWSCredentials(p)
		done := make(chan struct{})
		go func() { _, _ = c.Retrieve(context.Background()); close(done) }()
		<-leaderIn
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		_, err := c.Retrieve(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		close(release)
		<-done
	})
}

func TestDefaultAWSCredentials(t *testing.T) {
	t.Run("environment", func(t *testing.T) {
		isolateAWSEnv(t, testCredsFile, testCfgFile)
		t.Setenv("AWS_ACCESS_KEY_ID", "AKENV")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
		got, err := DefaultAWSCredentials().Retrieve(context.Background())
		require.NoError(t, err)
		assert.Equal(t, AWSCredentials{AccessKeyID: "AKENV", SecretAccessKey: "env-secret", Source: "Environment"}, got)
	})
	t.Run("shared files with AWS_PROFILE", func(t *testing.T) {
		isolateAWSEnv(t, testCredsFile, testCfgFile)
		t.Setenv("AWS_PROFILE", "configonly")
		got, err := DefaultAWSCredentials().Retrieve(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "AKIDCONFIGONLY000001", got.AccessKeyID)
	})
	t.Run("nothing", func(t *testing.T) {
		isolateAWSEnv(t, "", "")
		_, err := DefaultAWSCredentials().Retrieve(context.Background())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "AWS_ACCESS_KEY_ID")
		assert.Contains(t, err.Error(), `profile "default" not found`)
	})
	t.Run("description", func(t *testing.T) {
		isolateAWSEnv(t, "", "")
		assert.Equal(t, `CachedAWSCredentials{AWSCredentialsChain[EnvAWSCredentials, SharedAWSCredentials{Profile: "default"}]}`,
			fmt.Sprint(DefaultAWSCredentials()))
	})
}

// TestAWSProvidersRedact prints every provider type with every common verb
// and finds no secret or token.
func TestAWSProvidersRedact(t *testing.T) {
	isolateAWSEnv(t, testCredsFile, testCfgFile)
	static := StaticAWSCredentials("AKIDPRINTED", awsTestSecret, awsTestToken)
	cached := NewCachedAWSCredentials(static)
	_, err := cached.Retrieve(context.Background()) // the cache now holds the secret
	require.NoError(t, err)
	providers := []any{
		static,
		EnvAWSCredentials{},
		&EnvAWSCredentials{},
		SharedAWSCredentials{Profile: "dev"},
		AWSCredentialsChain{static, EnvAWSCredentials{}},
		cached,
		NewCachedAWSCredentials(AWSCredentialsChain{static}),
		NewCachedAWSCredentials(fixedAWS(AWSCredentials{SecretAccessKey: awsTestSecret}, nil)),
		AWSCredentials{AccessKeyID: "AKIDPRINTED", SecretAccessKey: awsTestSecret, SessionToken: awsTestToken},
	}
	for _, p := range providers {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			out := fmt.Sprintf(verb, p)
			assert.NotContains(t, out, awsTestSecret, "%T %s", p, verb)
			assert.NotContains(t, out, awsTestToken, "%T %s", p, verb)
			assert.NotContains(t, out, "wJalr", "%T %s", p, verb)
		}
	}
	assert.Contains(t, fmt.Sprint(static), "AKIDPRINTED")
	assert.Contains(t, fmt.Sprint(cached), "StaticAWSCredentials")
	assert.Equal(t, "EnvAWSCredentials", fmt.Sprintf("%#v", EnvAWSCredentials{}))
}
