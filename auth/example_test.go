package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/backupcopy/backupcopy/auth"
)

// Credentials can be printed, logged and wrapped in errors without leaking:
// every fmt verb shows the access key id and hides the secret key and the
// session token.
func ExampleStaticAWSCredentials() {
	p := auth.StaticAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token-EXAMPLE")
	fmt.Printf("%v\n", p)

	creds, err := p.Retrieve(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v\n", creds)
	fmt.Printf("%+v\n", creds)
	line := fmt.Sprintf("%v %+v %#v %s %q", p, creds, creds, creds, creds)
	fmt.Println("secret printed:", strings.Contains(line, "wJalrXUtnFEMI") || strings.Contains(line, "session-token-EXAMPLE"))
	fmt.Println("usable:", creds.SecretAccessKey != "")
	// Output:
	// StaticAWSCredentials(AWSCredentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: [REDACTED], SessionToken: [REDACTED], Source: "Static"})
	// AWSCredentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: [REDACTED], SessionToken: [REDACTED], Source: "Static"}
	// AWSCredentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: [REDACTED], SessionToken: [REDACTED], Source: "Static"}
	// secret printed: false
	// usable: true
}

// Sign a request to a Huawei Cloud API with AK/SK (SDK-HMAC-SHA256), and
// check the signature the way the API Gateway does. The signing time is
// fixed here with WithSigningTime so that the output is stable (the
// signature was also computed independently from Huawei's signing guide); a
// client signs with the current time, afresh on every attempt.
func ExampleNewHuaweiSigner() {
	creds := auth.HuaweiCredentials{
		AccessKey: "HWAKEXAMPLE0000000001",
		SecretKey: "hwSecretKeyEXAMPLE0123456789abcdefghijkl",
		ProjectID: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
	}
	signer := auth.NewHuaweiSigner(creds)
	fmt.Println(signer)

	body := []byte(`{"replicate":{"destination_region":"cn-east-3"}}`)
	req, err := http.NewRequest(http.MethodPost,
		"https://cbr.cn-north-4.myhuaweicloud.com/v3/0f1e2d3c4b5a69788796a5b4c3d2e1f0/backups/b1/replicate",
		strings.NewReader(string(body)))
	if err != nil {
		fmt.Println(err)
		return
	}
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	at := time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)
	if err := signer.Authenticate(auth.WithSigningTime(context.Background(), at), req, body); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(auth.HuaweiDateHeader+":", req.Header.Get(auth.HuaweiDateHeader))
	fmt.Println(auth.HuaweiProjectHeader+":", req.Header.Get(auth.HuaweiProjectHeader))
	fmt.Println("Authorization:", req.Header.Get("Authorization"))

	lookup := func(ak string) (string, bool) { return creds.SecretKey, ak == creds.AccessKey }
	fmt.Println("verified:", auth.VerifyHuaweiSignature(req, body, lookup, at.Add(time.Minute), auth.HuaweiMaxClockSkew))
	tampered := []byte(`{"replicate":{"destination_region":"ap-southeast-1"}}`)
	fmt.Println("tampered:", auth.VerifyHuaweiSignature(req, tampered, lookup, at.Add(time.Minute), auth.HuaweiMaxClockSkew) != nil)
	// Output:
	// HuaweiSigner{HuaweiCredentials{AccessKey: "HWAKEXAMPLE0000000001", SecretKey: [REDACTED], SecurityToken: "", ProjectID: "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}, SignHost: false}
	// X-Sdk-Date: 20261103T080000Z
	// X-Project-Id: 0f1e2d3c4b5a69788796a5b4c3d2e1f0
	// Authorization: SDK-HMAC-SHA256 Access=HWAKEXAMPLE0000000001, SignedHeaders=x-project-id;x-sdk-date, Signature=60680966b40a8353c227f3266cabdbaac1f0fd71198a5cf644cc9feaa28cd80a
	// verified: <nil>
	// tampered: true
}
