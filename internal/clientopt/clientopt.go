// Package clientopt holds the client options every service package offers, so
// that each package's With... functions are one-line adapters and the rules
// (endpoint, HTTP client, user agent, logging, retry policy) live in one place.
package clientopt

import (
	"log/slog"
	"net/http"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// Settings collects the options of any client. Fields a package does not use
// stay zero.
type Settings struct {
	Endpoint   string
	HTTPClient *http.Client
	UserAgent  string
	Logger     *slog.Logger
	Policy     rest.Policy
	// Region and ProjectID (fsx, cbr).
	Region    string
	ProjectID string
	// Cloud-specific credentials are kept by the package as opaque values.
	Auth any
	// Extra holds package-specific settings, keyed by the package.
	Extra map[string]any
}

// Option changes Settings. Each package's Option type wraps one.
type Option func(*Settings)

// Apply runs opts over a fresh Settings.
func Apply[O ~func(*Settings)](opts []O) *Settings {
	s := &Settings{Extra: map[string]any{}}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	return s
}

// Endpoint sets the endpoint.
func Endpoint(url string) Option { return func(s *Settings) { s.Endpoint = url } }

// HTTPClient sets the base HTTP client.
func HTTPClient(c *http.Client) Option { return func(s *Settings) { s.HTTPClient = c } }

// UserAgent sets the User-Agent suffix.
func UserAgent(ua string) Option { return func(s *Settings) { s.UserAgent = ua } }

// Logger sets the per-attempt logger.
func Logger(l *slog.Logger) Option { return func(s *Settings) { s.Logger = l } }

// RetryPolicy sets the retry bounds.
func RetryPolicy(p rest.Policy) Option { return func(s *Settings) { s.Policy = p } }

// Region sets the region.
func Region(r string) Option { return func(s *Settings) { s.Region = r } }

// ProjectID sets the project id.
func ProjectID(p string) Option { return func(s *Settings) { s.ProjectID = p } }

// RESTConfig returns the call-path configuration common to every client:
// endpoint (the option's, else defaultEndpoint), HTTP client, user agent,
// logger and retry policy. The package adds Auth and its error hooks.
func (s *Settings) RESTConfig(service, defaultEndpoint string) (rest.Config, error) {
	raw := s.Endpoint
	if raw == "" {
		raw = defaultEndpoint
	}
	u, err := rest.ParseEndpoint(raw)
	if err != nil {
		return rest.Config{}, rest.Prefixed(service, "NewClient", err)
	}
	if s.UserAgent != "" {
		if err := rest.CheckHeaderValue("UserAgent", s.UserAgent); err != nil {
			return rest.Config{}, rest.Prefixed(service, "NewClient", err)
		}
	}
	return rest.Config{
		Endpoint:   u,
		HTTPClient: s.HTTPClient,
		UserAgent:  s.UserAgent,
		Service:    service,
		Logger:     s.Logger,
		Policy:     s.Policy,
	}, nil
}
