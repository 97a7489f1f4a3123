package rest

import (
	"fmt"
	"iter"
)

// MaxPages bounds how many pages Pages follows before it gives up.
const MaxPages = 100000

// Pages returns the items of every page of a paged list call, fetching each
// page only when the loop reaches it. fetch is given the previous page's
// next-page token ("" for the first page) and returns the page's items and
// its next-page token.
//
// A page with no items is an answer such as "{}"; a 2xx answer with an
// empty body never reaches fetch as one: the call path reports it as a
// *MalformedResponseError wrapping ErrEmptyBody, which ends the sequence as
// below.
//
// The sequence ends after a page with an empty token; at the first error
// from fetch, which is yielded as is with a zero item; when the service
// returns a token it returned before (it would loop forever); or after
// MaxPages pages. The last two end with wrap of what went wrong, which the
// service turns into its error for a malformed answer to op (nil: a
// *MalformedResponseError).
func Pages[T any](op string, wrap func(error) error, fetch func(token string) ([]T, string, error)) iter.Seq2[T, error] {
	if wrap == nil {
		wrap = func(err error) error { return &MalformedResponseError{Op: op, Err: err} }
	}
	return func(yield func(T, error) bool) {
		var zero T
		seen := map[string]bool{}
		token := ""
		for page := 0; ; page++ {
			if page == MaxPages {
				yield(zero, wrap(fmt.Errorf("stopped after %d pages", MaxPages)))
				return
			}
			items, next, err := fetch(token)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			if seen[next] {
				yield(zero, wrap(fmt.Errorf("the service repeated page token %q", next)))
				return
			}
			seen[next] = true
			token = next
		}
	}
}
