package gapi

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/internal/rest"
)

// This file is what the Google packages' fleet adapters (bigtable.FleetCopy,
// spanner.FleetCopy, spanner.FleetCreate) share: a backup id names the copy,
// so a copy is found again by the new backup's name.

// FleetCheck is the adapters' own part of Validate: a client is required,
// and ExpireAfter goes only with a zero Request.ExpireTime. adapter names
// the type ("FleetCopy").
func FleetCheck(adapter string, hasClient bool, expire time.Time, after time.Duration) error {
	if !hasClient {
		return rest.Invalid(adapter+".Client", "is required", "")
	}
	if !expire.IsZero() && after != 0 {
		return rest.Invalid(adapter+".ExpireAfter", "must be zero when Request.ExpireTime is set", after.String())
	}
	return nil
}

// FleetExpire returns expire, or, when it is zero and after is positive,
// the time after past since (now() when since is zero: not started yet), in
// UTC to the microsecond: the same on every attempt and after a resume.
func FleetExpire(expire time.Time, after time.Duration, since time.Time, now func() time.Time) time.Time {
	if !expire.IsZero() || after <= 0 {
		return expire
	}
	if since.IsZero() {
		since = now()
	}
	return since.Add(after).UTC().Truncate(time.Microsecond)
}

// TimeKey is t as a fleet digest part ("" when zero).
func TimeKey(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// TargetFree says what getErr, the error of reading the new backup called
// name, means before a copy: nil if there is no such backup (NOT_FOUND), a
// backupcopy.Conflict *fleet.KindError if there is one, else getErr.
func TargetFree(service, name string, getErr error) error {
	switch {
	case getErr == nil:
		return fleet.Errorf(backupcopy.Conflict, "%s: backup %s already exists", service, name)
	case Code(getErr) == codes.NotFound:
		return nil
	}
	return getErr
}

// FleetStart starts the copy with start and returns its operation's name.
// An ALREADY_EXISTS answer is checked with find: the copy an earlier
// attempt made is followed; otherwise start's error stands.
func FleetStart(start, find func() (string, error)) (string, error) {
	name, err := start()
	if err == nil {
		return name, nil
	}
	if Code(err) == codes.AlreadyExists {
		if found, ferr := find(); ferr == nil && found != "" {
			return found, nil
		}
	}
	return "", err
}

// FleetWait follows the operation called name with wait, which returns the
// new backup's name. If the operation is no longer known (NOT_FOUND: the
// service forgets finished operations after a while, and a run may resume
// late), it follows target, the backup itself, instead.
func FleetWait(ctx context.Context, name, target string, wait func(name string) (string, error)) (string, error) {
	b, err := wait(name)
	if err != nil && name != target && Code(err) == codes.NotFound && ctx.Err() == nil {
		b, err = wait(target)
	}
	if err != nil {
		return "", err
	}
	return b, nil
}
