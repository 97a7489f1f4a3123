package auth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	testCredsFile = filepath.Join("testdata", "aws", "credentials")
	testCfgFile   = filepath.Join("testdata", "aws", "config")
)

// isolateAWSEnv clears every AWS variable and points the shared files at
// the test's files (empty paths: files that do not exist).
func isolateAWSEnv(t *testing.T, credsFile, cfgFile string) {
	t.Helper()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY",
		"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	if credsFile == "" {
		credsFile = filepath.Join(dir, "no-credentials")
	}
	if cfgFile == "" {
		cfgFile = filepath.Join(dir, "no-config")
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credsFile)
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("HOME", dir)
}

func TestSharedAWSCredentials(t *testing.T) {
	tests := []struct {
		name       string
		profile    string // the Profile field
		envProfile string // AWS_PROFILE
		want       AWSCredentials
	}{
		{name: "default profile", want: AWSCredentials{AccessKeyID: "AKIDDEFAULTEXAMPLE01", SecretAccessKey: "defaultSecretEXAMPLEKEY/0123456789abcdef", Source: "SharedFiles(default)"}},
		{name: "named profile, mixed-case key, tab, comment", profile: "dev", want: AWSCredentials{
			AccessKeyID: "AKIDDEVEXAMPLE000001", SecretAccessKey: "devSecretEXAMPLEKEY+/0123456789abcdefgh",
			SessionToken: "devTokenEXAMPLE//////////wEaCXVzLWVhc3QtMSJH", Source: "SharedFiles(dev)"}},
		{name: "AWS_PROFILE", envProfile: "dev", want: AWSCredentials{
			AccessKeyID: "AKIDDEVEXAMPLE000001", SecretAccessKey: "devSecretEXAMPLEKEY+/0123456789abcdefgh",
			SessionToken: "devTokenEXAMPLE//////////wEaCXVzLWVhc3QtMSJH", Source: "SharedFiles(dev)"}},
		{name: "argument beats AWS_PROFILE", profile: "default", envProfile: "dev", want: AWSCredentials{
			AccessKeyID: "AKIDDEFAULTEXAMPLE01", SecretAccessKey: "defaultSecretEXAMPLEKEY/0123456789abcdef", Source: "SharedFiles(default)"}},
		{name: "credentials file wins, token not mixed in from config", profile: "both", want: AWSCredentials{
			AccessKeyID: "AKIDBOTHFROMCREDS001", SecretAccessKey: "bothCredsSecretEXAMPLEKEY", Source: "SharedFiles(both)"}},
		{name: "config file [profile name] with spaces", profile: "configonly", want: AWSCredentials{
			AccessKeyID: "AKIDCONFIGONLY000001", SecretAccessKey: "configOnlySecretEXAMPLEKEY", Source: "SharedFiles(configonly)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWSEnv(t, testCredsFile, testCfgFile)
			t.Setenv("AWS_PROFILE", tt.envProfile)
			got, err := SharedAWSCredentials{Profile: tt.profile}.Retrieve(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	t.Run("explicit file fields beat the environment", func(t *testing.T) {
		isolateAWSEnv(t, "", "")
		got, err := SharedAWSCredentials{Profile: "configonly", CredentialsFile: testCredsFile, ConfigFile: testCfgFile}.Retrieve(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "AKIDCONFIGONLY000001", got.AccessKeyID)
	})

	t.Run("default locations under the home directory", func(t *testing.T) {
		isolateAWSEnv(t, "", "")
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "")
		t.Setenv("AWS_CONFIG_FILE", "")
		home := t.TempDir()
		t.Setenv("HOME", home)
		t.Setenv("USERPROFILE", home)
		require.NoError(t, os.MkdirAll(filepath.Join(home, ".aws"), 0o700))
		data, err := os.ReadFile(testCfgFile)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(home, ".aws", "config"), data, 0o600))
		got, err := SharedAWSCredentials{Profile: "configonly"}.Retrieve(context.Background())
		require.NoError(t, err)
		assert.Equal(t, "AKIDCONFIGONLY000001", got.AccessKeyID)
		assert.Equal(t, "sa-east-1", AWSRegion("configonly"))
	})

	t.Run("CRLF line ends and a byte-order mark", func(t *testing.T) {
		isolateAWSEnv(t, filepath.Join("testdata", "aws", "credentials-crlf-bom"), "")
		got, err := SharedAWSCredentials{}.Retrieve(context.Background())
		require.NoError(t, err)
		assert.Equal(t, AWSCredentials{AccessKeyID: "AKIDCRLFEXAMPLE00001", SecretAccessKey: "crlfSecretEXAMPLEKEY", Source: "SharedFiles(default)"}, got)
	})
}

func TestSharedAWSCredentialsErrors(t *testing.T) {
	malformed := filepath.Join("testdata", "aws", "config-malformed")
	tests := []struct {
		name, profile, credsFile, cfgFile string
		wantAll                           []string // substrings of the error
		secrets                           []string // must not appear
	}{
		{name: "unknown profile names both files", profile: "nope", credsFile: testCredsFile, cfgFile: testCfgFile,
			wantAll: []string{`profile "nope" not found`, testCredsFile, testCfgFile}},
		{name: "no files at all", profile: "default",
			wantAll: []string{`profile "default" not found`, "no-credentials", "no-config"}},
		{name: "id without secret", profile: "partial", credsFile: testCredsFile, cfgFile: testCfgFile,
			wantAll: []string{`profile "partial"`, testCredsFile, "no aws_secret_access_key"}},
		{name: "secret without id", profile: "secretonly", credsFile: testCredsFile, cfgFile: testCfgFile,
			wantAll: []string{`profile "secretonly"`, testCredsFile, "no aws_access_key_id"}, secrets: []string{"secretOnlySecretEXAMPLEKEY"}},
		{name: "sso profile", profile: "sso", credsFile: testCredsFile, cfgFile: testCfgFile,
			wantAll: []string{`profile "sso"`, testCfgFile, "sso_session", "not supported"}},
		{name: "role profile", profile: "role", credsFile: testCredsFile, cfgFile: testCfgFile,
			wantAll: []string{`profile "role"`, "role_arn", "not supported"}},
		{name: "config section without the profile prefix is not a profile", profile: "notaprofile", credsFile: testCredsFile, cfgFile: testCfgFile,
			wantAll: []string{`profile "notaprofile" not found`}},
		{name: "credentials section with the profile prefix is not a profile", profile: "notinconfig", credsFile: testCredsFile, cfgFile: testCfgFile,
			wantAll: []string{`profile "notinconfig" not found`}},
		{name: "region only", profile: "default", cfgFile: testCfgFile,
			wantAll: []string{`profile "default" in ` + testCfgFile + ` has no aws_access_key_id and aws_secret_access_key`}},
		{name: "malformed file names file and line, not the content", profile: "broken", cfgFile: malformed,
			wantAll: []string{malformed, "line 3", "key = value"}, secrets: []string{"brokenSecretEXAMPLEKEYwithoutEquals"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWSEnv(t, tt.credsFile, tt.cfgFile)
			_, err := SharedAWSCredentials{Profile: tt.profile}.Retrieve(context.Background())
			require.Error(t, err)
			for _, s := range tt.wantAll {
				assert.Contains(t, err.Error(), s)
			}
			for _, s := range append(tt.secrets, "SecretEXAMPLEKEY") {
				assert.NotContains(t, err.Error(), s)
			}
		})
	}

	t.Run("unreadable file", func(t *testing.T) {
		dir := t.TempDir() // a directory cannot be read as a file
		isolateAWSEnv(t, dir, "")
		_, err := SharedAWSCredentials{}.Retrieve(context.Background())
		require.Error(t, err)
		assert.Contains(t, err.Error(), dir)
	})
}

func TestAWSRegion(t *testing.T) {
	tests := []struct {
		name, profile, envProfile, region, defaultRegion, cfgFile, want string
	}{
		{name: "AWS_REGION first", profile: "dev", region: "us-gov-west-1", defaultRegion: "eu-north-1", cfgFile: testCfgFile, want: "us-gov-west-1"},
		{name: "then AWS_DEFAULT_REGION", profile: "dev", defaultRegion: "eu-north-1", cfgFile: testCfgFile, want: "eu-north-1"},
		{name: "then the profile in the config file", profile: "dev", cfgFile: testCfgFile, want: "eu-west-1"},
		{name: "nested block does not leak", profile: "dev", cfgFile: testCfgFile, want: "eu-west-1"},
		{name: "default profile", cfgFile: testCfgFile, want: "us-east-2"},
		{name: "AWS_PROFILE", envProfile: "sso", cfgFile: testCfgFile, want: "us-west-2"},
		{name: "not the credentials file", profile: "dev", want: ""},
		{name: "unknown profile", profile: "nope", cfgFile: testCfgFile, want: ""},
		{name: "malformed config", profile: "broken", cfgFile: filepath.Join("testdata", "aws", "config-malformed"), want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWSEnv(t, testCredsFile, tt.cfgFile)
			t.Setenv("AWS_PROFILE", tt.envProfile)
			t.Setenv("AWS_REGION", tt.region)
			t.Setenv("AWS_DEFAULT_REGION", tt.defaultRegion)
			assert.Equal(t, tt.want, AWSRegion(tt.profile))
		})
	}
}

func TestParseAWSINI(t *testing.T) {
	tests := []struct {
		name, in string
		want     awsINIFile
		wantErr  string
	}{
		{name: "empty", in: "", want: awsINIFile{}},
		{name: "comments and blanks", in: "# c\n; c\n\n   # indented\n[a]\n# in section\nk=v\n", want: awsINIFile{"a": {"k": "v"}}},
		{name: "case-insensitive keys, last wins", in: "[a]\nKey = 1\nKEY = 2\n", want: awsINIFile{"a": {"key": "2"}}},
		{name: "section names are case-sensitive", in: "[A]\nk=1\n[a]\nk=2\n", want: awsINIFile{"A": {"k": "1"}, "a": {"k": "2"}}},
		{name: "repeated section merges", in: "[a]\nx=1\n[b]\ny=2\n[a]\nz=3\n", want: awsINIFile{"a": {"x": "1", "z": "3"}, "b": {"y": "2"}}},
		{name: "whitespace", in: "  [  profile   p  ]  \n\t k \t=\t v w \t\n", want: awsINIFile{"profile p": {"k": "v w"}}},
		{name: "value keeps '=', '#' and ';' without space", in: "[a]\nk = a=b#c;d\n", want: awsINIFile{"a": {"k": "a=b#c;d"}}},
		{name: "trailing comments", in: "[a] ; c\nk = v # c\nj = w\t;c\n", want: awsINIFile{"a": {"k": "v", "j": "w"}}},
		{name: "empty value", in: "[a]\nk =\nj = 1\n", want: awsINIFile{"a": {"k": "", "j": "1"}}},
		{name: "nested block skipped", in: "[a]\ns3 =\n  region = x\n  k = y\nregion = r\n", want: awsINIFile{"a": {"s3": "", "region": "r"}}},
		{name: "indented key after a valued key", in: "[a]\nk = 1\n  j = 2\n", want: awsINIFile{"a": {"k": "1", "j": "2"}}},
		{name: "CRLF and BOM", in: "\uFEFF[a]\r\nk = v\r\n", want: awsINIFile{"a": {"k": "v"}}},
		{name: "key outside a section", in: "k = v\n[a]\n", wantErr: "line 1: setting outside any [section]"},
		{name: "unterminated header", in: "[a]\nk=v\n[b\n", wantErr: "line 3: section header without ']'"},
		{name: "text after header", in: "[a] x\n", wantErr: "line 1: unexpected text"},
		{name: "empty section name", in: "[ ]\n", wantErr: "line 1: empty section name"},
		{name: "no equals", in: "[a]\nsecretvalue\n", wantErr: "line 2: expected"},
		{name: "empty key", in: "[a]\n = v\n", wantErr: "line 2: empty key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAWSINI(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "secretvalue")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestConfigDefaultProfileSections(t *testing.T) {
	f, err := parseAWSINI("[profile default]\nregion = a\nk = 1\n[default]\nregion = b\n")
	require.NoError(t, err)
	sec, ok := f.profile("default", true)
	require.True(t, ok)
	assert.Equal(t, map[string]string{"region": "b", "k": "1"}, sec)
	sec, ok = f.profile("default", false)
	assert.True(t, ok)
	assert.Equal(t, map[string]string{"region": "b"}, sec)
	_, ok = f.profile("x", true)
	assert.False(t, ok)
}

func TestSharedAWSCredentialsString(t *testing.T) {
	isolateAWSEnv(t, testCredsFile, testCfgFile)
	t.Setenv("AWS_PROFILE", "dev")
	s := SharedAWSCredentials{ConfigFile: "/etc/aws/config"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.Equal(t, `SharedAWSCredentials{Profile: "dev", ConfigFile: "/etc/aws/config"}`, fmt.Sprintf(verb, s), verb)
	}
	assert.True(t, strings.HasPrefix(fmt.Sprintf("%q", s), `"SharedAWSCredentials{`))
}
