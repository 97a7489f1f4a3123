// Package sigv4 signs AWS requests with Signature Version 4 (through
// github.com/aws/smithy-go/aws-http-auth) and verifies such signatures, for
// fakes that check authentication the way AWS does.
//
// The signer hashes the exact body bytes it is given and signs the same
// header set as aws-sdk-go-v2 (every header but Authorization, User-Agent,
// X-Amzn-Trace-Id, Expect and Transfer-Encoding, plus content-length), so a
// request it signs carries the Authorization header the AWS SDK would compute.
package sigv4

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	awscreds "github.com/aws/smithy-go/aws-http-auth/credentials"
	smithysigv4 "github.com/aws/smithy-go/aws-http-auth/sigv4"
	v4 "github.com/aws/smithy-go/aws-http-auth/v4"

	"github.com/backupcopy/backupcopy/auth"
)

// Signer is an auth.Authenticator that signs with SigV4.
type Signer struct {
	creds   auth.AWSCredentialsProvider
	service string
	region  string
	signer  *smithysigv4.Signer
}

var _ auth.Authenticator = (*Signer)(nil)

// New returns a Signer for service (e.g. "fsx") in region, drawing
// credentials from creds on every request.
func New(creds auth.AWSCredentialsProvider, service, region string) *Signer {
	return &Signer{
		creds: creds, service: service, region: region,
		signer: smithysigv4.New(func(o *v4.SignerOptions) { o.HeaderRules = sdkHeaderRules{} }),
	}
}

// Region returns the signing region.
func (s *Signer) Region() string { return s.region }

// Authenticate signs req, whose body is exactly body, dated auth.SigningTime(ctx).
func (s *Signer) Authenticate(ctx context.Context, req *http.Request, body []byte) error {
	if s.creds == nil {
		return fmt.Errorf("sigv4: no AWS credentials provider")
	}
	c, err := s.creds.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("sigv4: retrieving AWS credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if len(body) > 0 {
		// aws-sdk-go-v2 signs content-length; aws-http-auth signs only headers,
		// so put it there (net/http writes the length from ContentLength).
		req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	} else {
		req.Header.Del("Content-Length")
	}
	req.Header.Del("Authorization")
	err = s.signer.SignRequest(&smithysigv4.SignRequestInput{
		Request:     req,
		PayloadHash: sum[:],
		Credentials: awscreds.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expires: c.Expires},
		Service:     s.service,
		Region:      s.region,
		Time:        auth.SigningTime(ctx).UTC(),
	})
	req.Header.Del("Host") // net/http writes req.Host; keep the header map clean
	if err != nil {
		return fmt.Errorf("sigv4: signing: %w", err)
	}
	return nil
}

// String describes the signer without secrets.
func (s *Signer) String() string {
	return fmt.Sprintf("sigv4.Signer{service: %s, region: %s}", s.service, s.region)
}

// GoString is String, so %#v hides secrets too.
func (s *Signer) GoString() string { return s.String() }

// Format redacts every fmt verb.
func (s *Signer) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// sdkHeaderRules signs what aws-sdk-go-v2's v4 signer signs.
type sdkHeaderRules struct{}

func (sdkHeaderRules) IsSigned(h string) bool {
	switch strings.ToLower(h) {
	case "authorization", "user-agent", "x-amzn-trace-id", "expect", "transfer-encoding":
		return false
	}
	return true
}
