package peertest

// Signing cost on one fixed request, signed again every iteration (each
// signer replaces its own earlier signature headers):
//
//	go test -run '^$' -bench 'Sign' -benchmem -count 6
//
// SigV4 signs an FSx CopyBackup POST; the official paths get the payload
// hash computed inside the loop too, as our signer computes it from the body.
// AK/SK signs a CBR replicate POST.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awscreds "github.com/aws/smithy-go/aws-http-auth/credentials"
	smithysigv4 "github.com/aws/smithy-go/aws-http-auth/sigv4"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer/algorithm"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/auth/sigv4"
)

var (
	benchSignAt     = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	benchSigV4Body  = []byte(`{"ClientRequestToken":"bench-token-0001","SourceBackupId":"backup-0a1b2c3d4e5f6a7b8","SourceRegion":"us-west-2"}`)
	benchAKSKBody   = []byte(`{"replicate":{"destination_project_id":"dest-proj","destination_region":"cn-east-3","destination_vault_id":"3b5816b5-f29c-4172-9d9a-76c719a659ce","name":"bench_copy"}}`)
	benchAKSKPath   = "/v3/0f1e2d3c4b5a69788796a5b4c3d2e1f0/backups/6df2b54c-dd62-4059-a07c-1b8f24f2725d/replicate"
	benchAKSKHost   = "cbr.cn-north-4.myhuaweicloud.com"
	benchAKSKProjID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
)

func benchSigV4Request(b *testing.B) *http.Request {
	req, err := http.NewRequest(http.MethodPost, "https://fsx.us-east-1.amazonaws.com/", bytes.NewReader(benchSigV4Body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSSimbaAPIService_v20180301.CopyBackup")
	return req
}

func BenchmarkSign(b *testing.B) {
	b.Run("sigv4/backupcopy", func(b *testing.B) {
		s := sigv4.New(auth.StaticAWSCredentials(sigv4PeerAKID, sigv4PeerSecret, ""), "fsx", "us-east-1")
		req := benchSigV4Request(b)
		ctx := auth.WithSigningTime(context.Background(), benchSignAt)
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Authenticate(ctx, req, benchSigV4Body); err != nil {
				b.Fatal(err)
			}
		}
		if err := sigv4.Verify(req, benchSigV4Body, sigv4PeerAKID, sigv4PeerSecret, "fsx", benchSignAt, 0); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("sigv4/official", func(b *testing.B) { // aws-sdk-go-v2 aws/signer/v4
		s := awsv4.NewSigner()
		creds := aws.Credentials{AccessKeyID: sigv4PeerAKID, SecretAccessKey: sigv4PeerSecret}
		req := benchSigV4Request(b)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			sum := sha256.Sum256(benchSigV4Body)
			if err := s.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "fsx", "us-east-1", benchSignAt); err != nil {
				b.Fatal(err)
			}
		}
		if err := sigv4.Verify(req, benchSigV4Body, sigv4PeerAKID, sigv4PeerSecret, "fsx", benchSignAt, 0); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("sigv4/aws-http-auth", func(b *testing.B) { // smithy-go aws-http-auth, which ours wraps
		s := smithysigv4.New()
		creds := awscreds.Credentials{AccessKeyID: sigv4PeerAKID, SecretAccessKey: sigv4PeerSecret}
		req := benchSigV4Request(b)
		b.ReportAllocs()
		for b.Loop() {
			sum := sha256.Sum256(benchSigV4Body)
			if err := s.SignRequest(&smithysigv4.SignRequestInput{Request: req, PayloadHash: sum[:], Credentials: creds,
				Service: "fsx", Region: "us-east-1", Time: benchSignAt}); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("aksk/backupcopy", func(b *testing.B) {
		s := auth.NewHuaweiSigner(auth.HuaweiCredentials{AccessKey: hwPeerAK, SecretKey: hwPeerSK, ProjectID: benchAKSKProjID})
		req, err := http.NewRequest(http.MethodPost, "https://"+benchAKSKHost+benchAKSKPath, bytes.NewReader(benchAKSKBody))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		ctx := auth.WithSigningTime(context.Background(), benchSignAt)
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Authenticate(ctx, req, benchAKSKBody); err != nil {
				b.Fatal(err)
			}
		}
		if err := auth.VerifyHuaweiSignature(req, benchAKSKBody, hwPeerLookup, benchSignAt, 0); err != nil {
			b.Fatal(err)
		}
	})
	sdkReq := func() *request.DefaultHttpRequest {
		return request.NewHttpRequestBuilder().WithEndpoint("https://"+benchAKSKHost).WithPath(benchAKSKPath).
			WithMethod(http.MethodPost).WithSigningAlgorithm(algorithm.HmacSHA256).
			AddHeaderParam("Content-Type", "application/json").
			AddHeaderParam("X-Sdk-Date", benchSignAt.Format("20060102T150405Z")).
			WithBody("", string(benchAKSKBody)).Build()
	}
	b.Run("aksk/official-signer", func(b *testing.B) { // the SDK-HMAC-SHA256 signer alone
		req := sdkReq()
		req.AddHeaderParam("X-Project-Id", benchAKSKProjID)
		b.ReportAllocs()
		for b.Loop() {
			h, err := signer.Sign(req, hwPeerAK, hwPeerSK)
			if err != nil || h["Authorization"] == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("aksk/official-credentials", func(b *testing.B) { // what the SDK client runs per request
		creds, err := basic.NewCredentialsBuilder().WithAk(hwPeerAK).WithSk(hwPeerSK).WithProjectId(benchAKSKProjID).SafeBuild()
		if err != nil {
			b.Fatal(err)
		}
		req := sdkReq()
		b.ReportAllocs()
		for b.Loop() {
			signed, err := creds.ProcessAuthRequest(nil, req)
			if err != nil || signed.GetHeaderParams()["Authorization"] == "" {
				b.Fatal(err)
			}
		}
	})
}
