// Package secret is internal.
package secret

// Settings is internal.
type Settings struct{ N int }

// New returns an error.
func New() error { return nil }
