package gapi

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy/auth/google"
	"github.com/backupcopy/backupcopy/internal/clientopt"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// authChoice is what the Google clients keep in clientopt.Settings.Auth.
type authChoice struct {
	ts   oauth2.TokenSource
	none bool
}

// TokenSource returns the option behind each Google package's
// WithTokenSource: authenticate with bearer tokens from ts instead of
// Application Default Credentials.
func TokenSource(ts oauth2.TokenSource) clientopt.Option {
	return func(s *clientopt.Settings) { s.Auth = authChoice{ts: ts} }
}

// NoAuthentication returns the option behind each Google package's
// WithoutAuthentication: send requests with no credentials (emulators,
// fakes, tests).
func NoAuthentication() clientopt.Option {
	return func(s *clientopt.Settings) { s.Auth = authChoice{none: true} }
}

// Authenticator returns the authenticator the options in s ask for: the
// token source of TokenSource, none for NoAuthentication, and otherwise
// Application Default Credentials with the cloud-platform scope. service
// prefixes errors.
func Authenticator(ctx context.Context, service string, s *clientopt.Settings) (rest.Authenticator, error) {
	switch a := s.Auth.(type) {
	case authChoice:
		if a.none {
			return nil, nil
		}
		if a.ts == nil {
			return nil, errors.New(service + ": NewClient: WithTokenSource: the token source is nil")
		}
		return google.NewAuthenticator(a.ts), nil
	case nil:
		a2, err := google.DefaultAuthenticator(ctx, google.CloudPlatformScope)
		if err != nil {
			return nil, fmt.Errorf("%s: NewClient: %w (or choose WithTokenSource or WithoutAuthentication)", service, err)
		}
		return a2, nil
	}
	return nil, errors.New(service + ": NewClient: unsupported authentication option")
}
