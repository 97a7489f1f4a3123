package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunFake(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"-fake", "-fake-duration", "600ms"}, &out)
	require.NoError(t, err, out.String())
	s := out.String()
	assert.Contains(t, s, "operation operations/projects/demo-project/instances/demo/clusters/demo-c2/backups/nightly-copy/operations/")
	assert.Contains(t, s, "%", "progress lines")
	assert.Contains(t, s, "100% done")
	assert.Contains(t, s, "backup projects/demo-project/instances/demo/clusters/demo-c2/backups/nightly-copy is READY")
	assert.Contains(t, s, "copied from projects/demo-project/instances/demo/clusters/demo-c1/backups/nightly")
	assert.GreaterOrEqual(t, strings.Count(s, "%"), 2)
}

func TestRunFlagErrors(t *testing.T) {
	var out bytes.Buffer
	assert.ErrorContains(t, run(context.Background(), []string{"-fake", "-resume", "operations/x"}, &out), "real endpoint")
	assert.ErrorContains(t, run(context.Background(), []string{"-fake", "-expire", "1h"}, &out), "ExpireTime")
	assert.ErrorContains(t, run(context.Background(), []string{"-fake", "-backup-id", "bad id"}, &out), "BackupID")
	assert.Error(t, run(context.Background(), []string{"stray"}, &out))
}
