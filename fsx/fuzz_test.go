package fsx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// FuzzDecodeAPIError: any error answer decodes, without panicking, into an
// error that satisfies smithy.APIError, keeps the status and request id, and
// has a non-empty sanitised code (no ':' and no '#'); and the error text
// never carries the signature-mismatch echo (the canonical request or string
// to sign AWS expected, or an x-amz-security-token line), in any letter
// case, nor what followed it.
func FuzzDecodeAPIError(f *testing.F) {
	f.Add(400, "", []byte(`{"__type":"com.amazonaws.simba#BackupNotFound","Message":"x"}`))
	f.Add(400, "ServiceLimitExceeded:http://internal.amazon.com/coral/", []byte(`{"Limit":"TOTAL_IN_PROGRESS_COPY_BACKUPS"}`))
	f.Add(403, "", []byte(`{"code":"InvalidSignatureException","message":"Signature expired"}`))
	f.Add(500, "", []byte(`<html>`))
	f.Add(503, "", []byte(``))
	f.Add(400, "a#b:c#d", []byte(`{"__type":5}`))
	f.Add(403, "InvalidSignatureException", []byte(`{"message":"The request signature we calculated does not match. The Canonical String for this request should have been 'POST\n/\n\nhost:fsx\nx-amz-security-token:IQoJSECRET0123456789\n'"}`))
	f.Add(403, "", []byte(`{"message":"ȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺȺ X-Amz-Security-Token:IQoJSECRET0123456789"}`))
	f.Add(403, "", []byte(strings.Repeat("Ⱥ", 50)+" x-amz-security-token:"))
	f.Fuzz(func(t *testing.T, status int, header string, body []byte) {
		h := http.Header{"X-Amzn-Requestid": {"rid"}}
		if header != "" {
			h.Set("X-Amzn-Errortype", header)
		}
		err := DecodeAPIError(status, h, body)
		ae, ok := err.(smithy.APIError)
		if !ok {
			t.Fatalf("%T is not a smithy.APIError", err)
		}
		if strings.ContainsAny(ae.ErrorCode(), ":#") || ae.ErrorCode() == "" {
			t.Fatalf("unsanitised or empty code %q", ae.ErrorCode())
		}
		low := strings.ToLower(err.Error())
		for _, marker := range []string{"the canonical string for this request", "the string-to-sign should have been", "x-amz-security-token:"} {
			if strings.Contains(low, marker) {
				t.Fatalf("error text keeps %q: %q", marker, err.Error())
			}
		}
		if tok := echoedToken(string(body)); tok != "" && strings.Contains(err.Error(), tok) {
			t.Fatalf("error text keeps the token %q: %q", tok, err.Error())
		}
		d := err.(interface {
			HTTPStatusCode() int
			ServiceRequestID() string
		})
		if d.HTTPStatusCode() != status || d.ServiceRequestID() != "rid" {
			t.Fatalf("status %d id %q", d.HTTPStatusCode(), d.ServiceRequestID())
		}
		_ = err.Error()
		_ = hint(nil2resp(status, h), &ResponseError{StatusCode: status, Err: err}, timeZero)
		if k, ok := err.(backupcopy.Kinded); !ok || k.ErrorKind() == backupcopy.KindUnknown {
			t.Fatalf("%T %v has no kind", err, err)
		}
	})
}

// FuzzBackupJSON: any JSON that decodes into a Backup encodes back into
// JSON that decodes into the same Backup.
func FuzzBackupJSON(f *testing.F) {
	f.Add([]byte(`{"BackupId":"backup-0123456789abcdef0","Lifecycle":"COPYING","ProgressPercent":40,"CreationTime":1764600000.123}`))
	f.Add([]byte(`{"CreationTime":1.7e9,"Tags":[{"Key":"a","Value":"b"}],"FileSystem":{"FileSystemId":"fs-1"}}`))
	f.Add([]byte(`{"CreationTime":-0.5,"FailureDetails":{"Message":"m"},"SizeInBytes":9223372036854775807}`))
	f.Add([]byte(`{"CreationTime":"2020-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"CreationTime":1764600000.123456789}`))
	f.Add([]byte(`{"Tags":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Backup
		if err := json.Unmarshal(data, &b); err != nil {
			return
		}
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal %+v: %v", b, err)
		}
		var again Backup
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		if !again.CreationTime.Equal(b.CreationTime) {
			t.Fatalf("time %v != %v (%s)", again.CreationTime, b.CreationTime, out)
		}
		again.CreationTime = b.CreationTime
		if !reflect.DeepEqual(normalize(b), normalize(again)) {
			t.Fatalf("round trip:\n%+v\n%+v\n%s", b, again, out)
		}
	})
}

// echoedToken returns what follows the first x-amz-security-token: in s
// (any ASCII letter case; up to a space, quote, backslash or control
// character), if it is at least 8 bytes long and does not occur before the
// marker: the value the error text must not show.
func echoedToken(s string) string {
	const marker = "x-amz-security-token:"
	for i := 0; i+len(marker) <= len(s); i++ {
		if !strings.EqualFold(s[i:i+len(marker)], marker) {
			continue
		}
		rest := s[i+len(marker):]
		end := strings.IndexFunc(rest, func(r rune) bool { return r <= ' ' || r == '"' || r == '\\' || r == 0x7f })
		if end < 0 {
			end = len(rest)
		}
		if tok := rest[:end]; len(tok) >= 8 && !strings.Contains(s[:i], tok) {
			return tok
		}
		return ""
	}
	return ""
}

// normalize treats an empty nested FileSystem/Volume like an absent one and
// drops nil-vs-empty tag differences.
func normalize(b Backup) Backup {
	if len(b.Tags) == 0 {
		b.Tags = nil
	}
	return b
}

var timeZero = time.Time{}

func nil2resp(status int, h http.Header) *rest.Response {
	return &rest.Response{StatusCode: status, Header: h}
}

// pagesTransport answers the DescribeBackups call for each new NextToken
// with the next fuzzed page body (the last one again once they run out), and
// a retry (same NextToken) with the same body. It records the tokens in the
// order first seen.
type pagesTransport struct {
	pages  [][]byte
	page   map[string]int
	tokens []string
}

func (pt *pagesTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var in struct{ NextToken string }
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		_ = json.Unmarshal(b, &in)
	}
	i, ok := pt.page[in.NextToken]
	if !ok {
		i = len(pt.tokens)
		pt.page[in.NextToken] = i
		pt.tokens = append(pt.tokens, in.NextToken)
	}
	body := pt.pages[min(i, len(pt.pages)-1)]
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {ContentType}, "X-Amzn-Requestid": {"rid"}},
		Body: io.NopCloser(bytes.NewReader(body)), Request: r, ContentLength: int64(len(body))}, nil
}

// FuzzDescribeBackupsPages: whatever pages DescribeBackups is answered with
// (up to three fuzzed bodies, the last repeated), the listing never panics
// and ends: it yields the backups of each page in order, then stops at the
// first page without a NextToken (an empty body counts as an empty page: the
// shared call path reads an empty 2xx body as "no content"), at the first
// page that does not decode (after its retries: one error, nothing after
// it), or with an error at a NextToken seen before. Each request after the
// first carries the previous page's NextToken.
func FuzzDescribeBackupsPages(f *testing.F) {
	f.Add([]byte(`{"Backups":[{"BackupId":"backup-0123456789abcdef0","Lifecycle":"AVAILABLE","CreationTime":1.7e9}],"NextToken":"t1"}`), []byte(`{"Backups":[],"NextToken":"t2"}`), []byte(`{"Backups":[{"BackupId":"backup-0000000000000000a"}]}`))
	f.Add([]byte(`{"NextToken":"a"}`), []byte(`{"NextToken":"b"}`), []byte(`{"NextToken":"a"}`))
	f.Add([]byte(`{"Backups":null}`), []byte(``), []byte(``))
	f.Add([]byte(`{"Backups":[{"CreationTime":"x"}],"NextToken":"t"}`), []byte(`not json`), []byte(`{}`))
	f.Add([]byte(`{"Backups":[{},{}],"NextToken":7}`), []byte(`{}`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, p1, p2, p3 []byte) {
		pt := &pagesTransport{pages: [][]byte{p1, p2, p3}, page: map[string]int{}}
		c, err := NewClient(context.Background(), WithEndpoint("http://127.0.0.1:9"), WithRegion("us-east-1"),
			WithCredentials(auth.StaticAWSCredentials("AKID", "SECRET", "")), WithHTTPClient(&http.Client{Transport: pt}), WithClock(clock.NewFake(time.Now())))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// What a correct listing yields, page by page.
		var want []string
		wantErr := false
		seen := map[string]bool{}
		for i := 0; ; i++ {
			var page describeBackupsPage
			if body := pt.pages[min(i, 2)]; len(bytes.TrimSpace(body)) == 0 {
				// An empty 2xx body is a broken answer, not an empty page.
				wantErr = true
				break
			} else if err := json.Unmarshal(body, &page); err != nil {
				wantErr = true
				break
			}
			for _, b := range page.Backups {
				want = append(want, b.BackupID)
			}
			if page.NextToken == "" {
				break
			}
			if seen[page.NextToken] {
				wantErr = true
				break
			}
			seen[page.NextToken] = true
		}
		var got []string
		gotErr := false
		for b, err := range c.DescribeBackups(context.Background(), nil) {
			if gotErr {
				t.Fatal("yielded after an error")
			}
			if err != nil {
				if b != nil || err.Error() == "" {
					t.Fatalf("error %v with backup %v", err, b)
				}
				gotErr = true
				continue
			}
			got = append(got, b.BackupID)
		}
		if gotErr != wantErr || !slices.Equal(got, want) {
			t.Fatalf("listing yielded %q (error %v), want %q (error %v)", got, gotErr, want, wantErr)
		}
		for i := 1; i < len(pt.tokens); i++ {
			var prev describeBackupsPage
			_ = json.Unmarshal(pt.pages[min(i-1, 2)], &prev)
			if pt.tokens[i] != prev.NextToken {
				t.Fatalf("request %d carried NextToken %q, want %q", i, pt.tokens[i], prev.NextToken)
			}
		}
	})
}

// FuzzValidateRequests: CopyBackupRequest and DescribeBackupsRequest
// validation never panics and refuses only with a *backupcopy.ValidationError naming
// a field; an accepted request's wire body is valid JSON that decodes back
// to the same values (SetEscapeHTML(false) included).
func FuzzValidateRequests(f *testing.F) {
	f.Add("backup-0123456789abcdef0", "us-west-2", "arn:aws:kms:us-east-1:1:key/k", "tok_1.x-[]", "Name", "v: a/b=c+d@e", 3)
	f.Add("backup-0123", "US-WEST-2", "a\nb", "é", "", "", 0)
	f.Add("backup-0123456789ABCDEF0", "", "", "", "k<", ">", -1)
	f.Add("backup-01234567", "us-east-1", "\xff", strings.Repeat("t", 64), strings.Repeat("k", 129), "", 51)
	f.Fuzz(func(t *testing.T, id, region, kms, token, key, value string, n int) {
		var tags []Tag
		if key != "" || value != "" {
			for i := 0; i < min(max(n, 1), 60); i++ {
				tags = append(tags, Tag{Key: key, Value: value})
			}
		}
		r := &CopyBackupRequest{SourceBackupID: id, SourceRegion: region, KMSKeyID: kms, ClientRequestToken: token, Tags: tags}
		if err := r.validate(); err != nil {
			checkValidationError(t, err)
		} else {
			raw := encodeJSON(copyBackupBody{SourceBackupID: id, SourceRegion: region, KMSKeyID: kms, ClientRequestToken: token, Tags: tags})
			var back copyBackupBody
			if err := json.Unmarshal(raw, &back); err != nil || back.SourceBackupID != id || back.SourceRegion != region ||
				back.KMSKeyID != kms || back.ClientRequestToken != token || !slices.Equal(back.Tags, tags) {
				t.Fatalf("body %s decodes to %+v (%v)", raw, back, err)
			}
		}
		d := &DescribeBackupsRequest{BackupIDs: []string{id}, MaxResults: n, Filters: []Filter{{Name: FilterName(key), Values: []string{value}}}}
		if err := d.validate(); err != nil {
			checkValidationError(t, err)
			return
		}
		if checkBackupID("x", id) != nil || n < 0 || key == "" {
			t.Fatalf("accepted %+v", d)
		}
	})
}

func checkValidationError(t *testing.T, err error) {
	t.Helper()
	var ve *backupcopy.ValidationError
	if !errors.As(err, &ve) || ve.Field == "" {
		t.Fatalf("refused with %T %v", err, err)
	}
}
