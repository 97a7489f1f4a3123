package cbr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// GetBackup returns a backup with its replication records
// (GET /v3/{project_id}/backups/{backup_id}). Transient failures and
// throttling are retried.
func (c *Client) GetBackup(ctx context.Context, backupID string) (*Backup, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return c.getBackup(ctx, "GetBackup", c.projectID, backupID)
}

func (c *Client) getBackup(ctx context.Context, op, projectID, backupID string) (*Backup, error) {
	b, _, err := c.getBackupResp(ctx, op, projectID, backupID)
	return b, err
}

// getBackupResp is getBackup that also returns the response (its Date
// header dates the answer by the server's clock).
func (c *Client) getBackupResp(ctx context.Context, op, projectID, backupID string) (*Backup, *rest.Response, error) {
	var out struct {
		Backup *Backup `json:"backup"`
	}
	req := &rest.Request{
		Op:     op,
		Method: http.MethodGet,
		Path:   rest.NewPath("v3").Seg("ProjectID", projectID).Lit("backups").Seg("BackupID", backupID),
		Header: c.header(),
		Mode:   rest.Idempotent,
		Out:    &out,
	}
	resp, err := c.rest.Do(ctx, req)
	if err != nil {
		return nil, resp, err
	}
	if out.Backup == nil || out.Backup.ID == "" {
		return nil, resp, c.rest.Malformed(req, resp, errors.New("the response has no backup"))
	}
	return out.Backup, resp, nil
}

// ListReplicationCapabilities returns, for each region, the regions its
// backups may be replicated to
// (GET /v3/{project_id}/replication-capabilities).
func (c *Client) ListReplicationCapabilities(ctx context.Context) ([]RegionCapability, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	var out struct {
		Regions []RegionCapability `json:"regions"`
	}
	_, err := c.rest.Do(ctx, &rest.Request{
		Op:     "ListReplicationCapabilities",
		Method: http.MethodGet,
		Path:   c.path().Lit("replication-capabilities"),
		Header: c.header(),
		Mode:   rest.Idempotent,
		Out:    &out,
	})
	if err != nil {
		return nil, err
	}
	return out.Regions, nil
}

// DestinationError reports that the source region cannot replicate to a
// region, according to the replication capabilities. It matches
// ErrRegionNotSupported.
type DestinationError struct {
	// SourceRegion is the client's region; DestinationRegion the one asked
	// for.
	SourceRegion, DestinationRegion string
	// Allowed lists the regions the source may replicate to.
	Allowed []string
}

// Error returns "cbr: region SOURCE cannot replicate backups to DEST
// (allowed: ...)".
func (e *DestinationError) Error() string {
	if len(e.Allowed) == 0 {
		return fmt.Sprintf("cbr: region %s cannot replicate backups to any region", e.SourceRegion)
	}
	return fmt.Sprintf("cbr: region %s cannot replicate backups to %s (allowed: %s)",
		e.SourceRegion, e.DestinationRegion, strings.Join(e.Allowed, ", "))
}

// ErrorKind returns InvalidInput.
func (e *DestinationError) ErrorKind() backupcopy.Kind { return backupcopy.InvalidInput }

// Is makes errors.Is(err, ErrRegionNotSupported) true.
func (e *DestinationError) Is(target error) bool { return target == ErrRegionNotSupported }

// CheckReplicationDestination reports whether backups of the client's region
// may be replicated to destinationRegion: nil if so, a *DestinationError if
// the replication capabilities (GET /v3/{project_id}/replication-capabilities)
// do not list it, or the error of that call. It needs WithRegion.
func (c *Client) CheckReplicationDestination(ctx context.Context, destinationRegion string) error {
	if c.region == "" {
		return rest.Prefixed(service, "CheckReplicationDestination",
			rest.Invalid("Region", "is needed to check a replication destination: use WithRegion", ""))
	}
	if err := checkRegion("destinationRegion", destinationRegion, true); err != nil {
		return rest.Prefixed(service, "CheckReplicationDestination", err)
	}
	caps, err := c.ListReplicationCapabilities(ctx)
	if err != nil {
		return err
	}
	de := &DestinationError{SourceRegion: c.region, DestinationRegion: destinationRegion}
	for _, rc := range caps {
		if rc.Name != c.region {
			continue
		}
		if slices.Contains(rc.ReplicationDestinations, destinationRegion) {
			return nil
		}
		de.Allowed = append(de.Allowed, rc.ReplicationDestinations...)
	}
	return de
}
