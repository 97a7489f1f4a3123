package spanner

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// Poll schedule of the operation handles (lro.WithPollInterval overrides it
// per Wait): the first poll 1 s after the call (at once for a resumed
// handle), then doubling with jitter up to one poll a minute, which suits
// backups and copies that take minutes to hours.
const (
	DefaultPollInitial = time.Second
	DefaultPollMax     = time.Minute
)

func (c *Client) cancel(ctx context.Context, name string) error {
	if rest.CheckName("name", name, backupPattern) == nil {
		return rest.Invalid("name", "Cancel needs an operation name ("+operationPattern+"); this handle watches a backup", name)
	}
	return gapi.CancelOperation(ctx, c.rest, rest.NewPath("v1").Name("name", name, operationPattern).Verb("cancel"))
}

// The two kinds of operation, for the shared Google operation code.
var (
	createKind = gapi.OperationKind[Backup, CreateBackupMetadata, wireMetadata]{
		Service: service, Op: "CreateBackup", MetadataType: CreateBackupMetadataTypeURL, ResultType: backupType,
		FromWire: (*wireMetadata).createFromWire,
		Percent:  func(m *CreateBackupMetadata) int { return m.Progress.Percent },
	}
	copyKind = gapi.OperationKind[Backup, CopyBackupMetadata, wireMetadata]{
		Service: service, Op: "CopyBackup", MetadataType: CopyBackupMetadataTypeURL, ResultType: backupType,
		FromWire: (*wireMetadata).copyFromWire,
		Percent:  func(m *CopyBackupMetadata) int { return m.Progress.Percent },
		// The Backup resource does not name its source: take it from the
		// operation's metadata.
		Finish: func(b *Backup, m *CopyBackupMetadata) {
			if b.SourceBackup == "" {
				b.SourceBackup = m.SourceBackup
			}
		},
	}
)

func backupProgress(b *Backup) OperationProgress {
	p := OperationProgress{StartTime: b.CreateTime}
	if b.State == BackupReady {
		p.Percent = 100
	}
	return p
}

// backupState is the state of a handle that watches a backup by its name.
func backupState[M any](b *Backup, meta func(*Backup) *M) lro.State[Backup, M] {
	st := lro.State[Backup, M]{Metadata: meta(b), Percent: -1}
	if b.State == BackupReady {
		st.Done, st.Result, st.Percent = true, b, 100
	}
	return st
}

func pollWith[M any](ctx context.Context, c *Client, k gapi.OperationKind[Backup, M, wireMetadata], name string, meta func(*Backup) *M) (lro.State[Backup, M], error) {
	if rest.CheckName("name", name, backupPattern) == nil {
		b, err := c.getBackup(ctx, name)
		if err != nil {
			return lro.State[Backup, M]{}, err
		}
		return backupState(b, meta), nil
	}
	if err := checkOperationName("name", name); err != nil {
		return lro.State[Backup, M]{}, err
	}
	return k.Poll(ctx, c.polls, name)
}

// newPolls returns the client's shared polls: the running operations of an
// instance are listed with
// GET /v1/{parent=projects/*/instances/*}/backupOperations, one operation is
// read with GET /v1/{name=projects/*/instances/*/backups/*/operations/*}.
func newPolls(rc *rest.Client, clk clock.Clock) *gapi.OperationPolls {
	return gapi.NewOperationPolls(gapi.PollsConfig{
		Client: rc,
		Clock:  clk,
		Parent: func(name string) string { // projects/p/instances/i/backups/b/operations/o
			parent := gapi.NamePrefix(name, "", "", "", "")
			if parent == "" || !strings.Contains(name[len(parent)+1:], "/operations/") {
				return "" // a backup's name: its handle reads the backup
			}
			return parent
		},
		List: func(parent string) rest.Path {
			return rest.NewPath("v1").Name("parent", parent, instancePattern).Lit("backupOperations")
		},
		ListOp: "ListBackupOperations",
		Get:    func(name string) rest.Path { return rest.NewPath("v1").Name("name", name, operationPattern) },
	})
}

// recovery describes the replay of a create or copy for gapi's Recover:
// the operations are listed in the instance
// (GET /v1/{parent=projects/*/instances/*}/backupOperations).
func recovery[M any](c *Client, parent, name string, expire time.Time, matches func(*Backup) bool, metadataMatches func(*M) bool) gapi.Recovery[Backup, M] {
	expire = expire.Truncate(time.Microsecond) // what the service keeps
	return gapi.Recovery[Backup, M]{
		Backup: name,
		List:   rest.NewPath("v1").Name("parent", parent, instancePattern).Lit("backupOperations"),
		ListOp: "ListBackupOperations",
		Get:    func(ctx context.Context) (*Backup, error) { return c.getBackup(ctx, name) },
		Ready:  func(b *Backup) bool { return b.State == BackupReady },
		Matches: func(b *Backup) bool {
			return b.ExpireTime.Equal(expire) && matches(b)
		},
		MetadataMatches: metadataMatches,
	}
}

// replayConflict reports whether err is what a replay of a create or copy
// that had in fact succeeded gets: the backup exists, or (for a create) the
// database already has a backup being created.
func replayConflict(err error) bool {
	switch gapi.Code(err) {
	case codes.AlreadyExists, codes.FailedPrecondition:
		return true
	}
	return false
}
