package gapi

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy/auth/google"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// AuthChoice is what the Google clients' auth options chose: the token
// source of WithTokenSource, no authentication (WithoutAuthentication), or,
// when neither was given, Application Default Credentials.
type AuthChoice struct {
	// Set is true once WithTokenSource or WithoutAuthentication was given.
	Set bool
	// TokenSource is WithTokenSource's source.
	TokenSource oauth2.TokenSource
	// None is true for WithoutAuthentication.
	None bool
}

// Authenticator returns the authenticator that a asks for: the token
// source's bearer tokens, none, or Application Default Credentials with the
// cloud-platform scope. service prefixes errors.
func Authenticator(ctx context.Context, service string, a AuthChoice) (rest.Authenticator, error) {
	switch {
	case a.None:
		return nil, nil
	case a.Set:
		if a.TokenSource == nil {
			return nil, errors.New(service + ": NewClient: WithTokenSource: the token source is nil")
		}
		return google.NewAuthenticator(a.TokenSource), nil
	}
	a2, err := google.DefaultAuthenticator(ctx, google.CloudPlatformScope)
	if err != nil {
		return nil, fmt.Errorf("%s: NewClient: %w (or choose WithTokenSource or WithoutAuthentication)", service, err)
	}
	return a2, nil
}

// Configure completes the call-path configuration of a Google client
// (Bigtable or Spanner): its authenticator (see Authenticator), the error
// decoder and retry hints of Google errors, the request id headers, and the
// clock. Both Google packages build their clients through it, so they read
// errors and request ids the same way.
func Configure(ctx context.Context, service string, cfg *rest.Config, a AuthChoice, clk clock.Clock) error {
	auth, err := Authenticator(ctx, service, a)
	if err != nil {
		return err
	}
	if auth != nil {
		cfg.Auth = auth
	}
	cfg.DecodeAPIError = DecodeAPIError(service)
	cfg.Hint = Hint
	cfg.RequestIDHeaders = []string{"X-Request-Id", "X-Goog-Request-Id"}
	cfg.Clock = clk
	return nil
}
