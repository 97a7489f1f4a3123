package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// StaticAWSCredentials returns a provider of fixed credentials. sessionToken
// may be empty.
func StaticAWSCredentials(accessKeyID, secretAccessKey, sessionToken string) AWSCredentialsProvider {
	return staticAWS{AWSCredentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey, SessionToken: sessionToken, Source: "Static"}}
}

type staticAWS struct{ c AWSCredentials }

func (s staticAWS) Retrieve(context.Context) (AWSCredentials, error) {
	if s.c.AccessKeyID == "" || s.c.SecretAccessKey == "" {
		return AWSCredentials{}, errors.New("auth: static AWS credentials need both an access key id and a secret access key")
	}
	return s.c, nil
}

func (s staticAWS) String() string             { return "StaticAWSCredentials(" + s.c.String() + ")" }
func (s staticAWS) GoString() string           { return s.String() }
func (s staticAWS) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// EnvAWSCredentials reads AWS_ACCESS_KEY_ID (or AWS_ACCESS_KEY),
// AWS_SECRET_ACCESS_KEY (or AWS_SECRET_KEY) and AWS_SESSION_TOKEN at each
// Retrieve.
type EnvAWSCredentials struct{}

// Retrieve reads the environment.
func (EnvAWSCredentials) Retrieve(context.Context) (AWSCredentials, error) {
	id := firstEnv("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")
	secret := firstEnv("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	switch {
	case id == "" && secret == "":
		return AWSCredentials{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
	case id == "":
		return AWSCredentials{}, errors.New("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
	case secret == "":
		return AWSCredentials{}, errors.New("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
	}
	return AWSCredentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN"), Source: "Environment"}, nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// SharedAWSCredentials reads a profile from the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials, sections [name])
// and the config file (AWS_CONFIG_FILE, default ~/.aws/config, sections
// [profile name] and [default]). The credentials file wins for a key both
// define. Profile "" means AWS_PROFILE, else "default".
type SharedAWSCredentials struct {
	Profile string
}

// Retrieve reads the files.
func (s SharedAWSCredentials) Retrieve(context.Context) (AWSCredentials, error) {
	profile := resolveProfile(s.Profile)
	vals, files, err := loadProfile(profile)
	if err != nil {
		return AWSCredentials{}, err
	}
	id, secret := vals["aws_access_key_id"], vals["aws_secret_access_key"]
	if id == "" || secret == "" {
		return AWSCredentials{}, fmt.Errorf("profile %q in %s has no aws_access_key_id and aws_secret_access_key", profile, strings.Join(files, " and "))
	}
	return AWSCredentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: vals["aws_session_token"], Source: "SharedFiles(" + profile + ")"}, nil
}

// AWSRegion returns the region for profile ("" = AWS_PROFILE or "default"):
// AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region setting in
// the config file, else "".
func AWSRegion(profile string) string {
	if r := firstEnv("AWS_REGION", "AWS_DEFAULT_REGION"); r != "" {
		return r
	}
	vals, _, err := loadProfile(resolveProfile(profile))
	if err != nil {
		return ""
	}
	return vals["region"]
}

func resolveProfile(p string) string {
	if p != "" {
		return p
	}
	if p = os.Getenv("AWS_PROFILE"); p != "" {
		return p
	}
	return "default"
}

// loadProfile merges the profile's keys from the config file then the
// credentials file. It fails when neither file has the profile.
func loadProfile(profile string) (map[string]string, []string, error) {
	credFile := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	cfgFile := os.Getenv("AWS_CONFIG_FILE")
	if credFile == "" || cfgFile == "" {
		home, err := os.UserHomeDir()
		if err == nil {
			if credFile == "" {
				credFile = home + "/.aws/credentials"
			}
			if cfgFile == "" {
				cfgFile = home + "/.aws/config"
			}
		}
	}
	merged := map[string]string{}
	found := false
	var read []string
	for _, f := range []struct {
		path     string
		isConfig bool
	}{{cfgFile, true}, {credFile, false}} {
		if f.path == "" {
			continue
		}
		data, err := os.ReadFile(f.path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", f.path, err)
		}
		read = append(read, f.path)
		sections, err := parseINI(string(data))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f.path, err)
		}
		name := profile
		if f.isConfig && profile != "default" {
			name = "profile " + profile
		}
		if sec, ok := sections[name]; ok {
			found = true
			for k, v := range sec {
				merged[k] = v
			}
		}
	}
	if len(read) == 0 {
		return nil, nil, fmt.Errorf("no shared AWS files (looked for %s and %s)", credFile, cfgFile)
	}
	if !found {
		return nil, read, fmt.Errorf("profile %q not found in %s", profile, strings.Join(read, " or "))
	}
	return merged, read, nil
}

// parseINI reads the AWS shared-file format: [section] lines, key = value
// lines, comments starting with # or ; and blank lines. Section names are
// trimmed; keys are lower-cased.
func parseINI(s string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	var cur map[string]string
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return nil, fmt.Errorf("line %d: section header without ']'", i+1)
			}
			name := strings.Join(strings.Fields(line[1:end]), " ")
			if out[name] == nil {
				out[name] = map[string]string{}
			}
			cur = out[name]
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: expected key = value", i+1)
		}
		if cur == nil {
			return nil, fmt.Errorf("line %d: key outside any [section]", i+1)
		}
		// an inline comment needs whitespace before it
		if j := strings.Index(v, " #"); j >= 0 {
			v = v[:j]
		}
		if j := strings.Index(v, " ;"); j >= 0 {
			v = v[:j]
		}
		cur[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return out, nil
}

// AWSCredentialsChain tries providers in order and returns the first
// credentials found.
type AWSCredentialsChain []AWSCredentialsProvider

// Retrieve returns the first provider's credentials that succeeds, or an
// error listing why each failed.
func (c AWSCredentialsChain) Retrieve(ctx context.Context) (AWSCredentials, error) {
	var errs []string
	for _, p := range c {
		creds, err := p.Retrieve(ctx)
		if err == nil {
			return creds, nil
		}
		if ctx.Err() != nil {
			return AWSCredentials{}, ctx.Err()
		}
		errs = append(errs, fmt.Sprintf("%s: %v", providerName(p), err))
	}
	return AWSCredentials{}, fmt.Errorf("no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials): %s", strings.Join(errs, "; "))
}

func providerName(p AWSCredentialsProvider) string {
	switch p.(type) {
	case EnvAWSCredentials, *EnvAWSCredentials:
		return "environment"
	case SharedAWSCredentials, *SharedAWSCredentials:
		return "shared files"
	case staticAWS:
		return "static"
	}
	return fmt.Sprintf("%T", p)
}

// CachedAWSCredentials wraps a provider and reuses its credentials until
// ExpiryWindow before they expire. Concurrent callers share one refresh.
type CachedAWSCredentials struct {
	Provider AWSCredentialsProvider
	// ExpiryWindow is how early expiring credentials are refreshed (default 5m).
	ExpiryWindow time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu    sync.Mutex
	creds *AWSCredentials
	wait  chan struct{} // closed when an in-flight refresh ends
}

// Retrieve returns cached credentials or refreshes them.
func (c *CachedAWSCredentials) Retrieve(ctx context.Context) (AWSCredentials, error) {
	for {
		c.mu.Lock()
		if c.creds != nil && !c.creds.Expired(c.now().Add(c.window())) {
			creds := *c.creds
			c.mu.Unlock()
			return creds, nil
		}
		if c.wait != nil {
			w := c.wait
			c.mu.Unlock()
			select {
			case <-w:
				continue
			case <-ctx.Done():
				return AWSCredentials{}, ctx.Err()
			}
		}
		w := make(chan struct{})
		c.wait = w
		c.mu.Unlock()

		creds, err := c.Provider.Retrieve(ctx)
		c.mu.Lock()
		if err == nil {
			c.creds = &creds
		}
		c.wait = nil
		close(w)
		c.mu.Unlock()
		return creds, err
	}
}

// Invalidate drops the cached credentials.
func (c *CachedAWSCredentials) Invalidate() {
	c.mu.Lock()
	c.creds = nil
	c.mu.Unlock()
}

func (c *CachedAWSCredentials) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *CachedAWSCredentials) window() time.Duration {
	if c.ExpiryWindow > 0 {
		return c.ExpiryWindow
	}
	return 5 * time.Minute
}

// String describes the cache without secrets.
func (c *CachedAWSCredentials) String() string {
	return fmt.Sprintf("CachedAWSCredentials{Provider: %v}", c.Provider)
}

// GoString is String.
func (c *CachedAWSCredentials) GoString() string { return c.String() }

// Format redacts every fmt verb.
func (c *CachedAWSCredentials) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// DefaultAWSCredentials returns the default chain, cached: the environment,
// then the shared credentials and config files (profile AWS_PROFILE or
// "default").
func DefaultAWSCredentials() AWSCredentialsProvider {
	return &CachedAWSCredentials{Provider: AWSCredentialsChain{EnvAWSCredentials{}, SharedAWSCredentials{}}}
}
