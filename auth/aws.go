package auth

import (
	"context"
	"fmt"
	"time"
)

// AWSCredentials is one set of AWS credentials. Its String, GoString and Format
// methods never print SecretAccessKey or SessionToken.
type AWSCredentials struct {
	// AccessKeyID is the access key id (AKIA... or, temporary, ASIA...).
	AccessKeyID string
	// SecretAccessKey signs requests; it is never printed.
	SecretAccessKey string
	// SessionToken goes with temporary credentials; it is never printed.
	SessionToken string
	// Expires is when the credentials stop working; zero means they do not expire.
	Expires time.Time
	// Source names the provider that produced them, e.g. "Environment".
	Source string
}

// Expired reports whether the credentials expire at or before t.
func (c AWSCredentials) Expired(t time.Time) bool {
	return !c.Expires.IsZero() && !t.Before(c.Expires)
}

// String returns the access key id and source, never a secret.
func (c AWSCredentials) String() string {
	s := fmt.Sprintf("AWSCredentials{AccessKeyID: %q, SecretAccessKey: %s", c.AccessKeyID, redacted)
	if c.SessionToken != "" {
		s += ", SessionToken: " + redacted
	}
	if c.Source != "" {
		s += fmt.Sprintf(", Source: %q", c.Source)
	}
	return s + "}"
}

// GoString is String, so %#v hides secrets too.
func (c AWSCredentials) GoString() string { return c.String() }

// Format implements fmt.Formatter so every verb (%v, %+v, %#v, %s, %q) is redacted.
func (c AWSCredentials) Format(f fmt.State, verb rune) { fmt.Fprint(f, c.String()) }

// AWSCredentialsProvider returns AWS credentials. Implementations are safe for
// concurrent use.
type AWSCredentialsProvider interface {
	// Retrieve returns the current credentials.
	Retrieve(ctx context.Context) (AWSCredentials, error)
}
