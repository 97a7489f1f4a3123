// Package auth holds the credentials and request signers that backupcopy's
// clients use, for Google Cloud, AWS and Huawei Cloud.
//
// Every client authenticates each HTTP attempt through an [Authenticator],
// which sees the exact body bytes about to be sent, so a signature always
// covers what goes on the wire and a retry is signed afresh. This package
// holds that interface, the AWS credential providers (static, environment,
// shared files, a chain and a cache) and the Huawei Cloud authenticators
// (AK/SK signing, a fixed IAM token, an IAM token obtained with a password
// and refreshed). The Google authenticators live in
// [github.com/backupcopy/backupcopy/auth/google] and the AWS SigV4 signer in
// [github.com/backupcopy/backupcopy/auth/sigv4].
//
// The clients build their authenticators from their own options (for example
// cbr.WithAKSK), so most programs never touch this package. It is for
// credentials that come from elsewhere, and for signing requests of your own.
// A complete program that signs a request to Huawei Cloud's CBR API with
// AK/SK and reads AWS credentials the way the AWS SDKs do:
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
//		"github.com/backupcopy/backupcopy/auth"
//	)
//
//	func main() {
//		ctx := context.Background()
//
//		// HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_PROJECT_ID.
//		creds, err := auth.HuaweiCredentialsFromEnv()
//		if err != nil {
//			log.Fatal(err) // names the variables that are missing
//		}
//		signer := auth.NewHuaweiSigner(creds)
//		fmt.Println(signer) // the access key and project id, never the secret key
//
//		req, err := http.NewRequestWithContext(ctx, http.MethodGet,
//			"https://cbr.cn-north-4.myhuaweicloud.com/v3/"+creds.ProjectID+"/vaults", nil)
//		if err != nil {
//			log.Fatal(err)
//		}
//		if err := signer.Authenticate(ctx, req, nil); err != nil { // nil: no body
//			log.Fatal(err)
//		}
//		resp, err := http.DefaultClient.Do(req)
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer resp.Body.Close()
//		body, _ := io.ReadAll(resp.Body)
//		fmt.Println(resp.Status, len(body), "bytes")
//
//		// The environment, then ~/.aws/credentials and ~/.aws/config, cached.
//		aws, err := auth.DefaultAWSCredentials().Retrieve(ctx)
//		if err != nil {
//			log.Fatal(err)
//		}
//		fmt.Printf("%v\n", aws) // the access key id and source, secrets [REDACTED]
//	}
//
// # Which authenticator for which cloud
//
//   - Google (bigtable, spanner): [github.com/backupcopy/backupcopy/auth/google]
//     returns Authenticators from an oauth2.TokenSource or from Application
//     Default Credentials; the clients take WithTokenSource.
//   - AWS (fsx): [StaticAWSCredentials], [EnvAWSCredentials],
//     [SharedAWSCredentials], [AWSCredentialsChain], [CachedAWSCredentials]
//     and [DefaultAWSCredentials] provide credentials, and
//     [github.com/backupcopy/backupcopy/auth/sigv4] signs with them.
//   - Huawei Cloud (cbr): [NewHuaweiSigner] signs with AK/SK
//     (SDK-HMAC-SHA256, the headers huaweicloud-sdk-go-v3 signs);
//     [HuaweiToken] sends a fixed IAM token; [NewHuaweiIAMTokenSource]
//     obtains a project-scoped token with a password, caches and refreshes it
//     (an [Invalidator]). [VerifyHuaweiSignature] checks a signature the way
//     the API Gateway does, for fakes.
//
// # Refreshes and errors
//
// The sources that cache a credential ([HuaweiIAMTokenSource],
// [CachedAWSCredentials], and the Google authenticators) share one design:
// concurrent callers share one refresh, which runs on its own context and is
// bounded by [DefaultRefreshTimeout] (30 s), so a hung token endpoint fails
// the calls waiting on it instead of hanging them, even a call made with
// context.Background(); a caller whose context ends stops waiting without
// cancelling the refresh for the others; a failed refresh is not kept (the
// next call tries again); Invalidate drops the credential.
//
// Every error of a credential source or signer says why it happened through
// backupcopy.KindOf: PermissionDenied when credentials are missing or
// refused, Transient when a refresh timed out, could not reach its endpoint
// or got a 5xx answer, Throttled for a 429, InvalidInput for a request that
// cannot be signed; a caller's own ended context stays Canceled.
//
// # Secrets
//
// No credential type prints its secrets: String, GoString and every fmt verb
// show the access key id (and project id) at most, and errors never quote a
// secret or a token.
//
// # Dependencies
//
// This package needs only the standard library (and this module's root
// package and internal endpoint rules; it does not import the call path that
// sits on it). The Google and SigV4 code sits
// in the sub-packages, so that a program using one cloud links no other
// cloud's libraries: cbr links neither x/oauth2 nor smithy-go, bigtable and
// spanner link no smithy-go.
package auth
