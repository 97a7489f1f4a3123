package cbr

import (
	"context"
	"errors"
	"testing"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// A 200 with an empty body is a broken answer to the calls that read a
// list: the replication capabilities, and the backup whose replication
// records a resumed copy and the lost-response check read.
func TestEmptyListBodyIsAnError(t *testing.T) {
	s := newStub(t)
	s.on("GET", "/v3/"+testProject+"/replication-capabilities", jsonAnswer(200, ``))
	s.on("GET", "/v3/"+testProject+"/backups/b1", jsonAnswer(200, ``))
	c, _ := newTestClient(t, s.srv.URL)
	caps, err := c.ListReplicationCapabilities(context.Background())
	if !errors.Is(err, rest.ErrEmptyBody) || caps != nil {
		t.Fatalf("ListReplicationCapabilities = %v, %v; want the empty-body error", caps, err)
	}
	b, err := c.GetBackup(context.Background(), "b1")
	if !errors.Is(err, rest.ErrEmptyBody) || b != nil {
		t.Fatalf("GetBackup = %v, %v; want the empty-body error", b, err)
	}
}
