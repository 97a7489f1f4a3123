package faultsuite

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

// classCase is one error answer of a fake and what every client must say of
// it: its Kind, hence its Class, and the CallError details.
type classCase struct {
	name string
	call func(ctx context.Context) error
	kind backupcopy.Kind
	// status is the answer's HTTP status (0: no answer, e.g. bad input).
	status int
	// requestID: the fake sends a request id with the answer.
	requestID bool
}

// TestErrorClassesFromFakes: the fakes' own error answers (the service's
// documented errors, in its wire shape) read the same way on all four
// clouds: ClassOf and KindOf decide, and every call error carries a
// *backupcopy.CallError with the operation, HTTP status, request id, the
// attempt count and whether the request reached the service.
func TestErrorClassesFromFakes(t *testing.T) {
	ctx := context.Background()
	tok := bigtable.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ya29.test"}))

	bt := bigtabletest.NewServer()
	t.Cleanup(bt.Close)
	bt.AddBackup(bigtable.Backup{Name: btSrc, SourceTable: btTable, SizeBytes: 1 << 30})
	bt.AddCluster(btDstCl)
	btc, err := bigtable.NewClient(ctx, bigtable.WithEndpoint(bt.URL()), tok)
	if err != nil {
		t.Fatal(err)
	}
	btCopy := func(id string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := btc.CopyBackup(ctx, &bigtable.CopyBackupRequest{Parent: btDstCl, BackupID: id, SourceBackup: btSrc,
				ExpireTime: time.Now().Add(72 * time.Hour)})
			return err
		}
	}
	if err := btCopy("taken")(ctx); err != nil {
		t.Fatal(err)
	}

	sp := spannertest.NewServer(spannertest.WithOperationDuration(opDuration))
	t.Cleanup(sp.Close)
	sp.AddDatabase(spInst + "/databases/orders")
	sp.AddBackup(spanner.Backup{Name: spSrc, Database: spInst + "/databases/orders", SizeBytes: 1 << 30})
	sp.AddInstance(spDstInst)
	spc, err := spanner.NewClient(withFastRetry(ctx), spanner.WithEndpoint(sp.URL()),
		spanner.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ya29.test"})))
	if err != nil {
		t.Fatal(err)
	}
	spAnon, err := spanner.NewClient(ctx, spanner.WithEndpoint(sp.URL()), spanner.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	spCopy := func(ctx context.Context) error {
		_, err := spc.CopyBackup(ctx, &spanner.CopyBackupRequest{Parent: spDstInst, BackupID: "c1", SourceBackup: spSrc,
			ExpireTime: time.Now().Add(72 * time.Hour)})
		return err
	}

	cb := cbrtest.NewServer()
	t.Cleanup(cb.Close)
	v := cb.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion, ProtectType: cbrtest.ProtectReplication})
	src := cb.AddBackup(cbr.Backup{Name: "db-nightly"})
	cbc, err := cbr.NewClient(ctx, cbr.WithEndpoint(cb.URL()), cbr.WithRegion(cbrtest.Region), cbr.WithProjectID(cbrtest.ProjectID),
		cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey))
	if err != nil {
		t.Fatal(err)
	}
	cbrCopy := func(ctx context.Context) error {
		_, err := cbc.CopyBackup(ctx, &cbr.CopyBackupRequest{BackupID: src.ID, DestinationProjectID: "dest-proj",
			DestinationRegion: cbrtest.DestinationRegion, DestinationVaultID: v.ID})
		return err
	}
	if err := cbrCopy(ctx); err != nil {
		t.Fatal(err)
	}

	fx := fsxtest.NewServer()
	t.Cleanup(fx.Close)
	fsrc := fx.AddBackup(fsx.Backup{})
	fxc, err := fsx.NewClient(ctx, fsx.WithEndpoint(fx.URL()), fsx.WithRegion(fsxtest.Region),
		fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")))
	if err != nil {
		t.Fatal(err)
	}
	fxCopy := func(id string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := fxc.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: id})
			return err
		}
	}

	cases := map[string][]classCase{
		"bigtable": {
			{name: "unknown backup", call: func(ctx context.Context) error {
				_, err := btc.GetBackup(ctx, btDstCl+"/backups/nope")
				return err
			}, kind: backupcopy.NotFound, status: 404, requestID: true},
			{name: "id taken", call: btCopy("taken"), kind: backupcopy.Conflict, status: 409, requestID: true},
			{name: "bad id", call: btCopy("-bad"), kind: backupcopy.InvalidInput},
		},
		"spanner": {
			{name: "unknown backup", call: func(ctx context.Context) error {
				_, err := spc.GetBackup(ctx, spDstInst+"/backups/nope")
				return err
			}, kind: backupcopy.NotFound, status: 404},
			{name: "quota", call: func(ctx context.Context) error {
				sp.InjectFault(spannertest.Fault{Operation: "CopyBackup", Kind: spannertest.Throttle, Times: fastRetry.MaxAttempts})
				return spCopy(ctx)
			}, kind: backupcopy.Throttled, status: 429},
			{name: "no credentials", call: func(ctx context.Context) error {
				_, err := spAnon.GetBackup(ctx, spSrc)
				return err
			}, kind: backupcopy.PermissionDenied, status: 401},
		},
		"cbr": {
			{name: "unknown backup", call: func(ctx context.Context) error {
				_, err := cbc.GetBackup(ctx, "00000000-0000-4000-8000-0000000000ff")
				return err
			}, kind: backupcopy.NotFound, status: 404, requestID: true},
			{name: "already replicated", call: cbrCopy, kind: backupcopy.Conflict, status: 400, requestID: true},
		},
		"fsx": {
			{name: "unknown source", call: fxCopy("backup-0123456789abcdef0"), kind: backupcopy.NotFound, status: 400, requestID: true},
			{name: "five copies in progress", call: func(ctx context.Context) error {
				fx.SetMaxInProgressCopies(0)
				return fxCopy(fsrc.BackupID)(ctx)
			}, kind: backupcopy.AtLimit, status: 400, requestID: true},
		},
	}
	for _, cloud := range []string{"bigtable", "spanner", "cbr", "fsx"} {
		for _, c := range cases[cloud] {
			t.Run(cloud+"/"+c.name, func(t *testing.T) {
				err := c.call(ctx)
				if err == nil {
					t.Fatal("no error")
				}
				if got := backupcopy.KindOf(err); got != c.kind {
					t.Fatalf("KindOf = %v, want %v: %v", got, c.kind, err)
				}
				if got := backupcopy.ClassOf(err); got != c.kind.Class() {
					t.Fatalf("ClassOf = %v, want %v", got, c.kind.Class())
				}
				if c.status == 0 {
					var ve *backupcopy.ValidationError
					if !errors.As(err, &ve) {
						t.Fatalf("%T is not a *backupcopy.ValidationError: %v", err, err)
					}
					return
				}
				var ce *backupcopy.CallError
				if !errors.As(err, &ce) {
					t.Fatalf("%T has no *backupcopy.CallError: %v", err, err)
				}
				if ce.Service != cloud || ce.Operation == "" || ce.HTTPStatus != c.status || ce.Sent != backupcopy.SentYes || ce.Attempts < 1 {
					t.Fatalf("CallError %+v", *ce)
				}
				if c.requestID && ce.RequestID == "" {
					t.Fatalf("no request id in %+v", *ce)
				}
			})
		}
	}
}
