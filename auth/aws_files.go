package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth/internal/credcache"
)

// SharedAWSCredentials reads static credentials for one profile from the AWS
// shared files, at each Retrieve:
//
//   - the credentials file: CredentialsFile, else AWS_SHARED_CREDENTIALS_FILE,
//     else ~/.aws/credentials; a profile is the section [name];
//   - the config file: ConfigFile, else AWS_CONFIG_FILE, else ~/.aws/config; a
//     profile is the section [profile name], and the default profile is
//     [default] (or [profile default]).
//
// The keys are aws_access_key_id, aws_secret_access_key and aws_session_token.
// When both files hold keys for the profile, the credentials file wins: the
// three keys are taken together from one file, never mixed. Profiles that
// obtain credentials in other ways (role_arn, sso_*, credential_process) are
// reported as unsupported.
type SharedAWSCredentials struct {
	// Profile is the profile name; "" means AWS_PROFILE, else "default".
	Profile string
	// CredentialsFile and ConfigFile override the file locations.
	CredentialsFile, ConfigFile string
}

// Retrieve reads the files. Its errors name the files and the profile, never
// a value read from them; their Kind is backupcopy.PermissionDenied.
func (s SharedAWSCredentials) Retrieve(context.Context) (AWSCredentials, error) {
	c, err := s.retrieve()
	if err != nil {
		return AWSCredentials{}, &credcache.Error{Kind: backupcopy.PermissionDenied, Err: err}
	}
	return c, nil
}

func (s SharedAWSCredentials) retrieve() (AWSCredentials, error) {
	profile := awsProfileName(s.Profile)
	credPath, credErr := awsFilePath(s.CredentialsFile, "AWS_SHARED_CREDENTIALS_FILE", "credentials")
	cfgPath, cfgErr := awsFilePath(s.ConfigFile, "AWS_CONFIG_FILE", "config")
	if credErr != nil && cfgErr != nil {
		return AWSCredentials{}, fmt.Errorf("shared AWS files: %w", credErr)
	}

	type source struct {
		path    string
		section map[string]string
	}
	var found []source
	var missing []string
	for _, f := range []struct {
		path     string
		isConfig bool
	}{{credPath, false}, {cfgPath, true}} {
		if f.path == "" {
			continue
		}
		file, err := readAWSINIFile(f.path)
		if errors.Is(err, os.ErrNotExist) {
			missing = append(missing, f.path)
			continue
		}
		if err != nil {
			return AWSCredentials{}, err
		}
		if sec, ok := file.profile(profile, f.isConfig); ok {
			found = append(found, source{f.path, sec})
		} else {
			missing = append(missing, f.path)
		}
	}
	if len(found) == 0 {
		return AWSCredentials{}, fmt.Errorf("profile %q not found (looked in %s)", profile, strings.Join(missing, " and "))
	}
	for _, src := range found {
		id, secret := src.section["aws_access_key_id"], src.section["aws_secret_access_key"]
		switch {
		case id == "" && secret == "":
			continue // maybe the other file has them
		case id == "":
			return AWSCredentials{}, fmt.Errorf("profile %q in %s has aws_secret_access_key but no aws_access_key_id", profile, src.path)
		case secret == "":
			return AWSCredentials{}, fmt.Errorf("profile %q in %s has aws_access_key_id but no aws_secret_access_key", profile, src.path)
		}
		return AWSCredentials{
			AccessKeyID:     id,
			SecretAccessKey: secret,
			SessionToken:    src.section["aws_session_token"],
			Source:          "SharedFiles(" + profile + ")",
		}, nil
	}
	var paths []string
	for _, src := range found {
		paths = append(paths, src.path)
		for _, k := range []string{"role_arn", "sso_session", "sso_start_url", "credential_process", "web_identity_token_file", "credential_source"} {
			if src.section[k] != "" {
				return AWSCredentials{}, fmt.Errorf("profile %q in %s uses %s, which is not supported; set aws_access_key_id and aws_secret_access_key or use environment variables", profile, src.path, k)
			}
		}
	}
	return AWSCredentials{}, fmt.Errorf("profile %q in %s has no aws_access_key_id and aws_secret_access_key", profile, strings.Join(paths, " and "))
}

// String names the provider and profile.
func (s SharedAWSCredentials) String() string {
	out := "SharedAWSCredentials{Profile: " + fmt.Sprintf("%q", awsProfileName(s.Profile))
	if s.CredentialsFile != "" {
		out += fmt.Sprintf(", CredentialsFile: %q", s.CredentialsFile)
	}
	if s.ConfigFile != "" {
		out += fmt.Sprintf(", ConfigFile: %q", s.ConfigFile)
	}
	return out + "}"
}

// GoString is String.
func (s SharedAWSCredentials) GoString() string { return s.String() }

// Format prints String for every verb.
func (s SharedAWSCredentials) Format(f fmt.State, verb rune) { formatRedacted(f, verb, s.String()) }

// AWSRegion returns the AWS region to use for profile ("" means AWS_PROFILE,
// else "default"): AWS_REGION, else AWS_DEFAULT_REGION, else the profile's
// region in the config file (AWS_CONFIG_FILE, else ~/.aws/config), else "".
func AWSRegion(profile string) string {
	if r := firstAWSEnv("AWS_REGION", "AWS_DEFAULT_REGION"); r != "" {
		return r
	}
	path, err := awsFilePath("", "AWS_CONFIG_FILE", "config")
	if err != nil {
		return ""
	}
	file, err := readAWSINIFile(path)
	if err != nil {
		return ""
	}
	sec, _ := file.profile(awsProfileName(profile), true)
	return sec["region"]
}

func awsProfileName(p string) string {
	if p != "" {
		return p
	}
	if p = os.Getenv("AWS_PROFILE"); p != "" {
		return p
	}
	return "default"
}

// awsFilePath returns explicit, else $envVar, else ~/.aws/name.
func awsFilePath(explicit, envVar, name string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	if p := os.Getenv(envVar); p != "" {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("%s is not set and the home directory is unknown: %w", envVar, err)
	}
	return filepath.Join(home, ".aws", name), nil
}

// awsINIFile is a parsed AWS shared file: section name -> lower-case key ->
// value.
type awsINIFile map[string]map[string]string

// profile returns the section holding profile: [name] in a credentials file;
// [profile name] in a config file, where the default profile is [default]
// or [profile default] (keys of the former win).
func (f awsINIFile) profile(name string, isConfig bool) (map[string]string, bool) {
	if !isConfig {
		sec, ok := f[name]
		return sec, ok
	}
	if name != "default" {
		sec, ok := f["profile "+name]
		return sec, ok
	}
	a, okA := f["default"]
	b, okB := f["profile default"]
	if !okB {
		return a, okA
	}
	merged := map[string]string{}
	for k, v := range b {
		merged[k] = v
	}
	for k, v := range a {
		merged[k] = v
	}
	return merged, true
}

// readAWSINIFile reads and parses path; its errors name the file.
func readAWSINIFile(path string) (awsINIFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	f, err := parseAWSINI(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// parseAWSINI parses the AWS shared-file dialect of INI:
//
//   - "[name]" starts a section; the name is trimmed and inner runs of
//     whitespace become one space ("[ profile  dev ]" is "profile dev"); a
//     comment may follow the closing bracket;
//   - "key = value" sets a key in the current section; keys are
//     case-insensitive (stored lower case) and the last setting wins; both
//     sides are trimmed, and a " #" or " ;" starts a trailing comment;
//   - lines whose first non-blank character is '#' or ';' are comments, and
//     blank lines are ignored;
//   - an indented line after a key with an empty value belongs to a nested
//     block (as in "s3 =\n  max_concurrent_requests = 10") and is skipped.
//
// Errors give the line number only, never the line, which may hold a secret.
func parseAWSINI(s string) (awsINIFile, error) {
	s = strings.TrimPrefix(s, "\uFEFF")
	out := awsINIFile{}
	var cur map[string]string
	nested := false // inside the indented block of a key with an empty value
	for i, raw := range strings.Split(s, "\n") {
		n := i + 1
		raw = strings.TrimSuffix(raw, "\r")
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		indented := raw[0] == ' ' || raw[0] == '\t'
		if nested && indented {
			continue
		}
		nested = false
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return nil, fmt.Errorf("line %d: section header without ']'", n)
			}
			if rest := strings.TrimSpace(line[end+1:]); rest != "" && rest[0] != '#' && rest[0] != ';' {
				return nil, fmt.Errorf("line %d: unexpected text after section header", n)
			}
			name := strings.Join(strings.Fields(line[1:end]), " ")
			if name == "" {
				return nil, fmt.Errorf("line %d: empty section name", n)
			}
			if out[name] == nil {
				out[name] = map[string]string{}
			}
			cur = out[name]
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: expected \"key = value\"", n)
		}
		if cur == nil {
			return nil, fmt.Errorf("line %d: setting outside any [section]", n)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "" {
			return nil, fmt.Errorf("line %d: empty key", n)
		}
		v = stripAWSINIComment(v)
		if v == "" {
			nested = true
		}
		cur[k] = v
	}
	return out, nil
}

// stripAWSINIComment removes a trailing comment (a '#' or ';' preceded by
// whitespace) and trims the value.
func stripAWSINIComment(v string) string {
	for i := 1; i < len(v); i++ {
		if (v[i] == '#' || v[i] == ';') && (v[i-1] == ' ' || v[i-1] == '\t') {
			v = v[:i]
			break
		}
	}
	return strings.TrimSpace(v)
}
