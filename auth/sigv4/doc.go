// Package sigv4 signs AWS requests with Signature Version 4 and verifies such
// signatures, for fakes that check authentication the way AWS does.
//
// The fsx client signs with it (from fsx.WithCredentials or the default AWS
// credential chain), so most programs never call it. It is for signing
// requests of your own. A complete program that calls FSx DescribeBackups
// (POST / with X-Amz-Target, the awsJson1_1 protocol):
//
//	package main
//
//	import (
//		"bytes"
//		"context"
//		"fmt"
//		"io"
//		"log"
//		"net/http"
//
//		"github.com/backupcopy/backupcopy/auth"
//		"github.com/backupcopy/backupcopy/auth/sigv4"
//	)
//
//	func main() {
//		ctx := context.Background()
//		// The environment, then ~/.aws/credentials and ~/.aws/config, cached.
//		signer := sigv4.New(auth.DefaultAWSCredentials(), "fsx", "us-east-1")
//
//		body := []byte(`{"MaxResults": 10}`)
//		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://fsx.us-east-1.amazonaws.com/", bytes.NewReader(body))
//		if err != nil {
//			log.Fatal(err)
//		}
//		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
//		req.Header.Set("X-Amz-Target", "AWSSimbaAPIService_v20180301.DescribeBackups")
//		if err := signer.Authenticate(ctx, req, body); err != nil { // body: the exact bytes sent
//			log.Fatal(err)
//		}
//		resp, err := http.DefaultClient.Do(req)
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer resp.Body.Close()
//		out, _ := io.ReadAll(resp.Body)
//		fmt.Println(resp.Status, string(out))
//	}
//
// # How it signs
//
// [Signer] is an [auth.Authenticator]. It signs through
// github.com/aws/smithy-go/aws-http-auth and produces, for the same request,
// credentials and time, the Authorization header that aws-sdk-go-v2's v4
// signer produces (a differential test in internal/peertest checks this):
//
//   - it signs host, content-length (when the request has a body) and every
//     other header except Authorization, User-Agent, X-Amzn-Trace-Id, Expect and
//     Transfer-Encoding; X-Amz-Date and, with temporary credentials,
//     X-Amz-Security-Token are set and signed;
//   - the payload hash is the hex SHA-256 of the exact body bytes;
//   - the path is URI-encoded a second time (the rule for every service but S3);
//   - the query is rewritten into its canonical form (parameters sorted by
//     their encoded names, then values, as the SigV4 specification says);
//   - header values are canonicalized in place (outer spaces trimmed, inner
//     runs of spaces made one), so what is sent is what was signed.
//
// [Verify] recomputes a signature from the request alone, with a
// canonicalization written here from the SigV4 specification, independent of
// the signer.
//
// # Dependencies
//
// This package links github.com/aws/smithy-go/aws-http-auth (and nothing of
// aws-sdk-go-v2), but no Google, gRPC, protobuf or Huawei Cloud code.
package sigv4
