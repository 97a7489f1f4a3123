package faultsuite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/internal/faultproxy"
	"github.com/backupcopy/backupcopy/lro"
)

func init() { apis = append(apis, fsxAPI) }

func awsJSONHeader(kv ...string) http.Header {
	h := http.Header{"Content-Type": {fsx.ContentType}}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func awsServerError(status int) (string, http.Header) {
	switch status {
	case 500:
		return faultproxy.AWSJSONError("InternalServerError", "We encountered an internal error. Please try again."),
			awsJSONHeader("X-Amzn-Errortype", "InternalServerError:http://internal.amazon.com/coral/com.amazonaws.simba/", "X-Amzn-Requestid", "rid-500")
	case 503:
		return faultproxy.AWSJSONError("ServiceUnavailableException", "Service unavailable"),
			awsJSONHeader("X-Amzn-Errortype", "ServiceUnavailableException:http://internal.amazon.com/coral/com.amazonaws.simba/")
	}
	return fmt.Sprintf("<html><body><h1>%d %s</h1></body></html>", status, http.StatusText(status)), http.Header{"Content-Type": {"text/html"}}
}

func targetIs(op string) matcher {
	return faultproxy.HeaderContains("X-Amz-Target", fsx.TargetPrefix+op)
}

// sessionTokenIs matches requests signed with session token tok.
func sessionTokenIs(tok string) matcher {
	return func(r *http.Request, _ []byte) bool { return r.Header.Get("X-Amz-Security-Token") == tok }
}

// countingAWSCredentials returns the fake's keys with session tokens
// "<prefix>-1", "<prefix>-2", ... valid for an hour.
type countingAWSCredentials struct {
	prefix string
	n      atomic.Int32
}

func (c *countingAWSCredentials) Retrieve(ctx context.Context) (auth.AWSCredentials, error) {
	n := c.n.Add(1)
	return auth.AWSCredentials{AccessKeyID: fsxtest.AccessKeyID, SecretAccessKey: fsxtest.SecretAccessKey,
		SessionToken: fmt.Sprintf("%s-%d", c.prefix, n), Expires: time.Now().Add(time.Hour), Source: "test"}, nil
}

var fsxAPI = &api{
	name: "fsx",
	// poll reads one backup by id; get lists backups.
	match: map[callKind]matcher{
		kindCopy: targetIs("CopyBackup"),
		kindPoll: faultproxy.All(targetIs("DescribeBackups"), faultproxy.BodyContains(`"BackupIds"`)),
		kindGet:  faultproxy.All(targetIs("DescribeBackups"), faultproxy.Not(faultproxy.BodyContains(`"BackupIds"`))),
	},
	serverError: awsServerError,
	throttle: &faultproxy.Fault{Kind: faultproxy.Status, Status: 400,
		Header: awsJSONHeader("X-Amzn-Errortype", "ThrottlingException:http://internal.amazon.com/coral/com.amazonaws.simba/"),
		Body:   faultproxy.AWSJSONError("ThrottlingException", "Rate exceeded")},
	tokenExpired: &faultproxy.Fault{Kind: faultproxy.Status, Status: 400,
		Header: awsJSONHeader("X-Amzn-Errortype", "ExpiredTokenException:http://internal.amazon.com/coral/com.amazonaws.simba/"),
		Body:   faultproxy.AWSJSONError("ExpiredTokenException", "The security token included in the request is expired")},
	skewable: true,
	statusOf: func(err error) int {
		var e *fsx.ResponseError
		if errors.As(err, &e) {
			return e.StatusCode
		}
		return 0
	},
	setup: func(t *testing.T, o setupOptions) *env {
		fake := fsxtest.NewServer()
		t.Cleanup(fake.Close)
		fake.SetOperationDuration(opDuration)
		if o.skew {
			fake.SetClockSkew(20 * time.Minute)
		}
		if o.behind != 0 {
			// within FSx's five-minute signing window
			b := min(o.behind, 4*time.Minute)
			fake.SetClockSkew(-b)
			fake.SetClock(func() time.Time { return time.Now().Add(-b) })
		}
		src := fake.AddBackup(fsx.Backup{})
		creds := &countingAWSCredentials{prefix: "FwoGZXIvYXdzEXAMPLEsession"}
		e := &env{url: fake.URL(), staleToken: sessionTokenIs(creds.prefix + "-1"), refreshes: func() int { return int(creds.n.Load()) }}
		provider := &auth.CachedAWSCredentials{Provider: creds}
		e.newClient = func(ctx context.Context, endpoint string, hc *http.Client, logger *slog.Logger) (client, error) {
			c, err := fsx.NewClient(withFastRetry(ctx), fsx.WithEndpoint(endpoint), fsx.WithHTTPClient(hc), fsx.WithLogger(logger),
				fsx.WithRegion(fsxtest.Region), fsx.WithCredentials(provider))
			if err != nil {
				return nil, err
			}
			return &fsxClient{c: c, src: src.BackupID}, nil
		}
		e.copies = func() int { return len(fake.Copies(src.BackupID)) }
		return e
	},
}

type fsxClient struct {
	c   *fsx.Client
	src string
}

func (c *fsxClient) Copy(ctx context.Context) (operation, error) {
	op, err := c.c.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: c.src})
	if err != nil {
		return nil, err
	}
	return fsxOp{op}, nil
}

func (c *fsxClient) Resume(name string) operation { return fsxOp{c.c.CopyBackupOperation(name)} }

func (c *fsxClient) Get(ctx context.Context, id string) error {
	n := 0
	for b, err := range c.c.DescribeBackups(ctx, &fsx.DescribeBackupsRequest{}) {
		if err != nil {
			return err
		}
		if b.BackupID == id {
			if b.Lifecycle != fsx.LifecycleAvailable {
				return fmt.Errorf("backup %s is %s", id, b.Lifecycle)
			}
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("%s listed %d times", id, n)
	}
	return nil
}

func (c *fsxClient) Close() error { return c.c.Close() }

type fsxOp struct{ op *fsx.CopyBackupOperation }

func (o fsxOp) Name() string { return o.op.Name() }
func (o fsxOp) Wait(ctx context.Context, opts ...lro.WaitOption) (string, error) {
	b, err := o.op.Wait(ctx, opts...)
	if err != nil {
		return "", err
	}
	return b.BackupID, nil
}
