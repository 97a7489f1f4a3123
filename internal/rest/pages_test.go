package rest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPages(t *testing.T) {
	type page struct {
		items []int
		next  string
		err   error
	}
	boom := errors.New("boom")
	tests := []struct {
		name    string
		pages   map[string]page
		want    []int
		wantErr string
		tokens  []string
	}{
		{"one page", map[string]page{"": {items: []int{1, 2}}}, []int{1, 2}, "", []string{""}},
		{"three pages, one short and one empty", map[string]page{"": {items: []int{1}, next: "a"}, "a": {next: "b"}, "b": {items: []int{2, 3}}},
			[]int{1, 2, 3}, "", []string{"", "a", "b"}},
		{"error on the second page", map[string]page{"": {items: []int{1}, next: "a"}, "a": {err: boom}}, []int{1}, "boom", []string{"", "a"}},
		{"repeated token", map[string]page{"": {items: []int{1}, next: "a"}, "a": {items: []int{2}, next: "a"}},
			[]int{1, 2}, `wrapped: the service repeated page token "a"`, []string{"", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tokens []string
			var got []int
			var gotErr error
			wrap := func(err error) error { return fmt.Errorf("wrapped: %w", err) }
			for v, err := range Pages("ListX", wrap, func(token string) ([]int, string, error) {
				tokens = append(tokens, token)
				p := tt.pages[token]
				return p.items, p.next, p.err
			}) {
				if err != nil {
					gotErr = err
					continue
				}
				got = append(got, v)
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.tokens, tokens)
			if tt.wantErr == "" {
				require.NoError(t, gotErr)
				return
			}
			require.EqualError(t, gotErr, tt.wantErr)
			if tt.wantErr == "boom" {
				assert.ErrorIs(t, gotErr, boom)
			}
		})
	}
}

// Breaking out of the loop stops fetching.
func TestPagesStopEarly(t *testing.T) {
	fetches := 0
	for v, err := range Pages("ListX", nil, func(token string) ([]int, string, error) {
		fetches++
		return []int{1, 2}, token + "x", nil
	}) {
		require.NoError(t, err)
		if v == 2 {
			break
		}
	}
	assert.Equal(t, 1, fetches)
}
