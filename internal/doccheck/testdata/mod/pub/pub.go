// Package pub breaks every rule once, and keeps each once.
package pub

import "example.com/mod/internal/secret"

// Alias is an alias of an internal type.
type Alias = secret.Settings

// Option exposes an internal type.
type Option func(*secret.Settings)

type Bare struct{}

// Shown has one documented field, one bare field, one internal field and
// an unexported field, which go doc does not show.
type Shown struct {
	// Good is documented.
	Good int
	Bad  int
	// Inner is documented but internal.
	Inner  secret.Settings
	hidden secret.Settings
}

// Method is documented and clean.
func (Shown) Method() {}

func (Shown) Bare() {}

// Leak returns an internal type.
func Leak() *secret.Settings { return nil }

// ErrX shows an internal call in go doc.
var ErrX = secret.New()

// Grouped values share the group's doc.
const (
	A = 1
	B = 2
)

var Undocumented = 3

// Iface has an undocumented method.
type Iface interface {
	Documented() // Documented is documented.
	Missing()
}

func (unexported) Method() {}

type unexported struct{}
