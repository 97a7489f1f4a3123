package gapi

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy"
)

func TestFleetExpire(t *testing.T) {
	set := time.Date(2026, 12, 9, 0, 0, 0, 0, time.UTC)
	since := time.Date(2026, 12, 2, 10, 0, 0, 123456789, time.FixedZone("x", 3600))
	now := func() time.Time { return since.Add(time.Hour) }
	assert.Equal(t, set, FleetExpire(set, 0, since, now), "a set time stands")
	assert.Equal(t, set, FleetExpire(set, time.Hour, since, now), "a set time stands, whatever ExpireAfter says")
	assert.True(t, FleetExpire(time.Time{}, 0, since, now).IsZero(), "neither: zero, for validation to name")
	got := FleetExpire(time.Time{}, 24*time.Hour, since, now)
	assert.Equal(t, time.Date(2026, 12, 3, 9, 0, 0, 123456000, time.UTC), got, "from since, UTC, to the microsecond")
	assert.Equal(t, time.UTC, got.Location())
	assert.Equal(t, now().Add(24*time.Hour).UTC().Truncate(time.Microsecond), FleetExpire(time.Time{}, 24*time.Hour, time.Time{}, now), "not started: from now")
}

func TestFleetCheck(t *testing.T) {
	assert.NoError(t, FleetCheck("FleetCopy", true, time.Time{}, time.Hour))
	assert.ErrorContains(t, FleetCheck("FleetCopy", false, time.Time{}, 0), "FleetCopy.Client")
	assert.ErrorContains(t, FleetCheck("FleetCreate", true, time.Now(), time.Hour), "FleetCreate.ExpireAfter")
}

func TestTargetFree(t *testing.T) {
	assert.NoError(t, TargetFree("spanner", "b", status.Error(codes.NotFound, "no")))
	err := TargetFree("spanner", "projects/p/instances/i/backups/b", nil)
	assert.Equal(t, backupcopy.Conflict, backupcopy.KindOf(err))
	assert.EqualError(t, err, "spanner: backup projects/p/instances/i/backups/b already exists")
	denied := status.Error(codes.PermissionDenied, "no")
	assert.Same(t, denied, TargetFree("spanner", "b", denied))
}

func TestFleetStart(t *testing.T) {
	exists := status.Error(codes.AlreadyExists, "exists")
	returns := func(name string, err error) func() (string, error) {
		return func() (string, error) { return name, err }
	}
	started, found := returns, returns
	name, err := FleetStart(started("op1", nil), found("", errors.New("not called")))
	require.NoError(t, err)
	assert.Equal(t, "op1", name)
	name, err = FleetStart(started("", exists), found("op0", nil))
	require.NoError(t, err)
	assert.Equal(t, "op0", name, "ALREADY_EXISTS: the earlier attempt's copy")
	_, err = FleetStart(started("", exists), found("", errors.New("not this copy")))
	assert.Same(t, exists, err, "another backup: the start error stands")
	_, err = FleetStart(started("", exists), found("", nil))
	assert.Same(t, exists, err)
	denied := status.Error(codes.PermissionDenied, "no")
	_, err = FleetStart(started("", denied), found("op0", nil))
	assert.Same(t, denied, err, "only ALREADY_EXISTS is looked up")
}

func TestFleetWait(t *testing.T) {
	var asked []string
	wait := func(name string) (string, error) {
		asked = append(asked, name)
		if name == "op" {
			return "", status.Error(codes.NotFound, "operation gone")
		}
		return "backup", nil
	}
	got, err := FleetWait(context.Background(), "op", "backup", wait)
	require.NoError(t, err)
	assert.Equal(t, "backup", got)
	assert.Equal(t, []string{"op", "backup"}, asked, "a forgotten operation: the backup is followed")

	asked = nil
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = FleetWait(ctx, "op", "backup", wait)
	assert.Error(t, err)
	assert.Equal(t, []string{"op"}, asked, "a cancelled wait follows nothing else")
}
