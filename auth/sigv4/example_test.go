package sigv4_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/auth/sigv4"
)

// Sign an FSx call with SigV4 and check the signature as AWS would. The
// signing time is fixed with auth.WithSigningTime so that the output is
// stable; a client signs with the current time, afresh on every attempt.
func ExampleSigner_Authenticate() {
	creds := auth.StaticAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "")
	signer := sigv4.New(creds, "fsx", "us-east-1")
	fmt.Println(signer.Service(), signer.Region())

	body := []byte(`{"BackupIds":["backup-0123456789abcdef0"]}`)
	req, err := http.NewRequest(http.MethodPost, "https://fsx.us-east-1.amazonaws.com/", bytes.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSSimbaAPIService_v20180301.DescribeBackups")
	at := time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)
	if err := signer.Authenticate(auth.WithSigningTime(context.Background(), at), req, body); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("X-Amz-Date:", req.Header.Get("X-Amz-Date"))
	a, err := sigv4.ParseAuthorization(req.Header.Get("Authorization"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Scope())
	fmt.Println(a.SignedHeaders)

	fmt.Println("verified:", sigv4.Verify(req, body, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "fsx", at.Add(time.Minute), 0))
	err = sigv4.Verify(req, body, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "fsx", at.Add(time.Hour), 0)
	fmt.Println("an hour later:", err != nil)
	// Output:
	// fsx us-east-1
	// X-Amz-Date: 20261103T080000Z
	// 20261103/us-east-1/fsx/aws4_request
	// [content-length content-type host x-amz-date x-amz-target]
	// verified: <nil>
	// an hour later: true
}
