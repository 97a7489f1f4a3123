package fsxtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/auth/sigv4"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
)

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

// send makes one raw awsJson1_1 request, signed unless sign is false.
func send(t *testing.T, s *fsxtest.Server, op, contentType, body string, sign bool) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Amz-Target", fsx.TargetPrefix+op)
	if sign {
		signer := sigv4.New(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, ""), "fsx", fsxtest.Region)
		require.NoError(t, signer.Authenticate(context.Background(), req, []byte(body)))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), "%s", b)
	return answer{status: resp.StatusCode, header: resp.Header, body: m}
}

func TestWireShape(t *testing.T) {
	s := fsxtest.NewServer()
	defer s.Close()
	src := s.AddBackup(fsx.Backup{})

	a := send(t, s, "CopyBackup", fsx.ContentType, `{"SourceBackupId":"`+src.BackupID+`"}`, false)
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, "com.amazonaws.simba#MissingAuthenticationTokenException", a.body["__type"])
	assert.True(t, strings.HasPrefix(a.header.Get("X-Amzn-Errortype"), "MissingAuthenticationTokenException:"))
	assert.NotEmpty(t, a.header.Get("X-Amzn-Requestid"))
	assert.Equal(t, fsx.ContentType, a.header.Get("Content-Type"))

	a = send(t, s, "CopyBackup", "application/json", `{"SourceBackupId":"`+src.BackupID+`"}`, true)
	assert.Equal(t, http.StatusBadRequest, a.status)
	a = send(t, s, "CreateFileSystem", fsx.ContentType, `{}`, true)
	assert.Equal(t, "com.amazonaws.simba#UnknownOperationException", a.body["__type"])
	a = send(t, s, "CopyBackup", fsx.ContentType, `{`, true)
	assert.Equal(t, "com.amazonaws.simba#SerializationException", a.body["__type"])
	a = send(t, s, "CopyBackup", fsx.ContentType, `{}`, true)
	assert.Equal(t, "com.amazonaws.simba#BadRequest", a.body["__type"])

	// Without a token every call makes a new copy; with one, a replay
	// returns the same copy.
	a = send(t, s, "CopyBackup", fsx.ContentType, `{"SourceBackupId":"`+src.BackupID+`","ClientRequestToken":"t1"}`, true)
	require.Equal(t, http.StatusOK, a.status, "%v", a.body)
	first := a.body["Backup"].(map[string]any)
	assert.Equal(t, "PENDING", first["Lifecycle"])
	assert.IsType(t, float64(0), first["CreationTime"], "epoch seconds as a JSON number")
	a = send(t, s, "CopyBackup", fsx.ContentType, `{"SourceBackupId":"`+src.BackupID+`","ClientRequestToken":"t1"}`, true)
	assert.Equal(t, first["BackupId"], a.body["Backup"].(map[string]any)["BackupId"])
	a = send(t, s, "CopyBackup", fsx.ContentType, `{"SourceBackupId":"`+src.BackupID+`","ClientRequestToken":"t1","Tags":[{"Key":"k","Value":"v"}]}`, true)
	assert.Equal(t, "com.amazonaws.simba#IncompatibleParameterError", a.body["__type"])
	assert.Equal(t, "ClientRequestToken", a.body["Parameter"])
	assert.Len(t, s.Copies(src.BackupID), 1)
	assert.Equal(t, 7, s.CountRequests("CopyBackup"), "every request is counted, refused ones too")

	a = send(t, s, "DescribeBackups", fsx.ContentType, `{"NextToken":"garbage"}`, true)
	assert.Equal(t, "com.amazonaws.simba#BadRequest", a.body["__type"])
	a = send(t, s, "DescribeBackups", fsx.ContentType, `{"MaxResults":0}`, true)
	assert.Equal(t, "com.amazonaws.simba#BadRequest", a.body["__type"])
}

func TestLifecycleOverDuration(t *testing.T) {
	s := fsxtest.NewServer()
	defer s.Close()
	now := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	s.SetOperationDuration(10 * time.Second)
	src := s.AddBackup(fsx.Backup{})
	a := send(t, s, "CopyBackup", fsx.ContentType, `{"SourceBackupId":"`+src.BackupID+`"}`, true)
	id := a.body["Backup"].(map[string]any)["BackupId"].(string)
	steps := []struct {
		at   time.Duration
		lc   fsx.Lifecycle
		pct  int
		more bool
	}{{0, fsx.LifecyclePending, 0, true}, {5 * time.Second, fsx.LifecycleCopying, 50, true}, {10 * time.Second, fsx.LifecycleAvailable, 100, false}}
	start := now
	for _, st := range steps {
		now = start.Add(st.at)
		b, ok := s.Backup(id)
		require.True(t, ok)
		assert.Equal(t, st.lc, b.Lifecycle, "at %v", st.at)
		assert.Equal(t, st.pct, b.ProgressPercent, "at %v", st.at)
	}
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(s.Backups())
	assert.Contains(t, buf.String(), `"SourceBackupId":"`+src.BackupID+`"`)
}
