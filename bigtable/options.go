package bigtable

import (
	"log/slog"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy/internal/clientopt"
	"github.com/backupcopy/backupcopy/internal/gapi"
)

// DefaultEndpoint is the Bigtable Admin API endpoint.
const DefaultEndpoint = "https://bigtableadmin.googleapis.com"

// Option configures a Client.
type Option func(*clientopt.Settings)

// WithEndpoint sets the endpoint as scheme://host[:port] (the client adds
// /v2/ itself). http:// is accepted for loopback hosts only (fakes, tests);
// any other endpoint must be https://.
func WithEndpoint(url string) Option { return Option(clientopt.Endpoint(url)) }

// WithHTTPClient sets the base HTTP client (transport, proxy, timeouts). The
// client still authenticates every request from its own auth options and
// never follows a redirect to another host.
func WithHTTPClient(c *http.Client) Option { return Option(clientopt.HTTPClient(c)) }

// WithUserAgent appends ua to the User-Agent header.
func WithUserAgent(ua string) Option { return Option(clientopt.UserAgent(ua)) }

// WithLogger logs each attempt at Debug level and each retry at Info level:
// operation, method, path, status, attempt, request id, error kind. No
// credential is logged.
func WithLogger(l *slog.Logger) Option { return Option(clientopt.Logger(l)) }

// WithTokenSource authenticates with OAuth2 bearer tokens from ts instead of
// Application Default Credentials. Tokens are cached until shortly before
// they expire, and dropped when the service answers UNAUTHENTICATED.
func WithTokenSource(ts oauth2.TokenSource) Option { return Option(gapi.TokenSource(ts)) }

// WithoutAuthentication sends requests without credentials (fakes, local
// proxies that add credentials themselves).
func WithoutAuthentication() Option { return Option(gapi.NoAuthentication()) }
