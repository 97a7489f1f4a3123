package bigtable

import (
	"context"
	"strings"
	"time"

	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// Poll schedule of the operation handles (lro.WithPollInterval overrides it
// per Wait): the first poll 1 s after the call (at once for a resumed
// handle), then doubling with jitter up to one poll a minute, which suits
// copies that take minutes to hours.
const (
	DefaultPollInitial = time.Second
	DefaultPollMax     = time.Minute
)

// The two kinds of operation, for the shared Google operation code.
var (
	copyKind = gapi.OperationKind[Backup, CopyBackupMetadata, wireCopyMetadata]{
		Service: service, Op: "CopyBackup", MetadataType: copyMetadataTypeURL, ResultType: backupType,
		FromWire: (*wireCopyMetadata).fromWire, Percent: copyPercent,
	}
	createKind = gapi.OperationKind[Backup, CreateBackupMetadata, wireCreateMetadata]{
		Service: service, Op: "CreateBackup", MetadataType: createMetadataTypeURL, ResultType: backupType,
		FromWire: (*wireCreateMetadata).fromWire, Percent: createPercent,
	}
)

func (c *Client) cancel(ctx context.Context, name string) error {
	if backupNameOK(name) {
		return rest.Invalid("name", "Cancel needs an operation name (operations/...); this handle follows a backup", name)
	}
	if err := checkOperationName(name); err != nil {
		return err
	}
	return gapi.CancelOperation(ctx, c.rest, operationPath(name).Verb("cancel"))
}

// poller polls an operation (GET /v2/{name=operations/**}), or follows a
// backup when name is a backup's.
func poller[M any, W gapi.AnyMessage](c *Client, k gapi.OperationKind[Backup, M, W]) lro.PollFunc[Backup, M] {
	return func(ctx context.Context, name string) (lro.State[Backup, M], error) {
		if backupNameOK(name) {
			b, err := c.getBackup(ctx, name)
			if err != nil {
				return lro.State[Backup, M]{}, err
			}
			return backupState[M](b), nil
		}
		if err := checkOperationName(name); err != nil {
			return lro.State[Backup, M]{}, err
		}
		return k.Poll(ctx, c.polls, name)
	}
}

// newPolls returns the client's shared polls: the running operations of an
// instance are listed with
// GET /v2/{name=operations/projects/*/instances/*}/operations, one
// operation is read with GET /v2/{name=operations/**}.
func newPolls(rc *rest.Client, clk clock.Clock) *gapi.OperationPolls {
	return gapi.NewOperationPolls(gapi.PollsConfig{
		Client: rc,
		Clock:  clk,
		Parent: func(name string) string { // operations/projects/p/instances/i/...
			return gapi.NamePrefix(name, "operations", "projects", "", "instances", "")
		},
		List: func(parent string) rest.Path {
			parts := strings.Split(parent, "/")
			return rest.NewPath("v2", "operations", "projects").Seg("project", parts[2]).Lit("instances").Seg("instance", parts[4]).Lit("operations")
		},
		ListOp: "ListOperations",
		Get:    operationPath,
	})
}

// operationPath returns /v2/{name} for a name checked by checkOperationName.
func operationPath(name string) rest.Path {
	return rest.NewPath("v2").Lit(strings.Split(name, "/")...)
}

// backupState is the state of a handle that follows a backup.
func backupState[M any](b *Backup) lro.State[Backup, M] {
	if b.State == BackupReady {
		return lro.State[Backup, M]{Done: true, Result: b, Percent: 100}
	}
	return lro.State[Backup, M]{Percent: -1}
}

// recovery describes the replay of a create or copy of backup name for
// gapi's Recover: the operations are listed in the backup's instance
// (GET /v2/{name=operations/projects/*/instances/*}/operations).
func recovery[M any](c *Client, name string, matches func(*Backup) bool, metadataMatches func(*M) bool) gapi.Recovery[Backup, M] {
	parts := strings.Split(name, "/") // projects/p/instances/i/clusters/c/backups/b
	return gapi.Recovery[Backup, M]{
		Backup:          name,
		List:            rest.NewPath("v2", "operations", "projects").Seg("project", parts[1]).Lit("instances").Seg("instance", parts[3]).Lit("operations"),
		ListOp:          "ListOperations",
		Get:             func(ctx context.Context) (*Backup, error) { return c.getBackup(ctx, name) },
		Ready:           func(b *Backup) bool { return b.State == BackupReady },
		Matches:         matches,
		MetadataMatches: metadataMatches,
	}
}
