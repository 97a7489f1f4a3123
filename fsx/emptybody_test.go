package fsx

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// A 200 with an empty body to DescribeBackups is a broken answer: the
// listing ends with an error, never as an empty (or last) page, on the first
// page and on a later one.
func TestEmptyListBodyIsAnError(t *testing.T) {
	for _, tt := range []struct {
		name  string
		pages []string
		want  []string
	}{
		{"first page", []string{``}, nil},
		{"second page", []string{`{"Backups":[{"BackupId":"backup-00000001"}],"NextToken":"t1"}`, ``}, []string{"backup-00000001"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var answers []func(*http.Request) (*http.Response, error)
			for _, p := range tt.pages {
				answers = append(answers, jsonResp(200, p))
			}
			mock, _ := mockWith(t, answers...)
			c := newMockClient(t, mock)
			var got []string
			var lastErr error
			for b, err := range c.DescribeBackups(context.Background(), nil) {
				if err != nil {
					lastErr = err
					continue
				}
				got = append(got, b.BackupID)
			}
			assert.Equal(t, tt.want, got)
			require.ErrorIs(t, lastErr, rest.ErrEmptyBody)
			assert.Contains(t, lastErr.Error(), "DescribeBackups")
		})
	}
}
