// Package google authenticates requests to Google Cloud APIs with OAuth2
// bearer tokens ("Authorization: Bearer <token>"): from any
// oauth2.TokenSource ([NewAuthenticator]), or from Application Default
// Credentials ([DefaultAuthenticator]: GOOGLE_APPLICATION_CREDENTIALS,
// gcloud's application-default credentials, or the metadata server).
//
// The bigtable and spanner clients use it for their default credentials and
// for WithTokenSource, so most programs never call it. It is for signing
// requests of your own with the same token handling. A complete program that
// lists Bigtable backups with a raw HTTP request (GET
// /v2/{parent=projects/*/instances/*/clusters/*}/backups):
//
//	package main
//
//	import (
//		"context"
//		"fmt"
//		"io"
//		"log"
//		"net/http"
//
//		"github.com/backupcopy/backupcopy/auth/google"
//	)
//
//	func main() {
//		ctx := context.Background()
//		authn, err := google.DefaultAuthenticator(ctx) // the cloud-platform scope
//		if err != nil {
//			log.Fatal(err) // one line: what was tried, what was wrong, what to do
//		}
//		fmt.Println(authn) // never the token
//
//		req, err := http.NewRequestWithContext(ctx, http.MethodGet,
//			"https://bigtableadmin.googleapis.com/v2/projects/my-project/instances/prod/clusters/-/backups", nil)
//		if err != nil {
//			log.Fatal(err)
//		}
//		if err := authn.Authenticate(ctx, req, nil); err != nil {
//			log.Fatal(err)
//		}
//		resp, err := http.DefaultClient.Do(req)
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer resp.Body.Close()
//		body, _ := io.ReadAll(resp.Body)
//		fmt.Println(resp.Status, string(body))
//	}
//
// # Token handling
//
// An authenticator keeps its token until a minute before it expires, lets
// concurrent requests share one fetch (each waiting no longer than its own
// context), fails the requests waiting for a fetch that takes longer than
// auth.DefaultRefreshTimeout (30 s) with a Transient error instead of hanging
// them, does not keep a failure (the next request asks again), and
// implements auth.Invalidator: when a service answers UNAUTHENTICATED, the
// clients' call path drops the token and retries once with a fresh one.
// Errors from the token source keep the token endpoint's status, error code
// and description, but not the response body, and no value of this package
// prints a token. Every error says its backupcopy.Kind: PermissionDenied for
// missing or refused credentials, Transient for a timeout, a network failure
// or a 5xx answer, Throttled for a 429.
//
// # Dependencies
//
// This package links golang.org/x/oauth2 (and its google package, with
// cloud.google.com/go/compute/metadata), but no gRPC, protobuf, AWS or Huawei
// Cloud code.
package google
