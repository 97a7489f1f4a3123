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
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"create", []string{"-fake", "-fake-duration", "600ms"}, []string{"backing up", "progress:", "progress: 100% done", "is READY"}},
		{"copy", []string{"-fake", "-fake-duration", "600ms", "-source", "projects/demo-project/instances/demo/backups/seed", "-parent", "projects/demo-project/instances/dr"},
			[]string{"copying", " -copy)", "progress: 100% done", "copied from projects/demo-project/instances/demo/backups/seed"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), tt.args, &out))
			for _, w := range tt.want {
				assert.Contains(t, out.String(), w)
			}
			assert.GreaterOrEqual(t, strings.Count(out.String(), "progress:"), 2, out.String())
		})
	}
}

func TestRunErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-fake", "-resume", "projects/p/instances/i/backups/b/operations/o"},
		{"-copy"},
		{"-fake", "-backup-id", "Bad_ID"},
		{"-fake", "-expire", "1h"},
		{"extra"},
	} {
		var out bytes.Buffer
		assert.Error(t, run(context.Background(), args, &out), "%q", args)
	}
}
