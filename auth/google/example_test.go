package google_test

import (
	"context"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/auth/google"
)

// Authenticate a request with a token from any oauth2.TokenSource. The
// authenticator prints without its token, and can be told to drop it.
func ExampleNewAuthenticator() {
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ya29.EXAMPLE-token"})
	authn := google.NewAuthenticator(ts)
	fmt.Println(authn)

	req, err := http.NewRequest(http.MethodGet, "https://bigtableadmin.googleapis.com/v2/projects/p/instances/i/clusters/-/backups", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := authn.Authenticate(context.Background(), req, nil); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req.Header.Get("Authorization"))

	_, canDrop := authn.(auth.Invalidator)
	fmt.Println("invalidator:", canDrop)
	// Output:
	// google.Authenticator{TokenSource, token: [REDACTED]}
	// Bearer ya29.EXAMPLE-token
	// invalidator: true
}
