package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/spanner"
)

// liveConfig names what -live copies: comma-separated sources per cloud and
// their destination.
type liveConfig struct {
	expireAfter                             time.Duration
	suffix                                  string
	btParent, btSources                     string
	spParent, spSources                     string
	cbrRegion, cbrSources                   string
	cbrDestRegion, cbrDestProject, cbrVault string
	fsxRegion, fsxSourceRegion, fsxSources  string
}

func (l *liveConfig) flags(fs *flag.FlagSet) {
	fs.DurationVar(&l.expireAfter, "expire-after", 7*24*time.Hour, "live: Bigtable and Spanner copies expire this long after they start")
	fs.StringVar(&l.suffix, "backup-suffix", "-copy", "live: a Google copy's backup id is its source's id plus this")
	fs.StringVar(&l.btParent, "bigtable-parent", "", "live: destination cluster, projects/P/instances/I/clusters/C")
	fs.StringVar(&l.btSources, "bigtable-sources", "", "live: source backups (full names), comma-separated")
	fs.StringVar(&l.spParent, "spanner-parent", "", "live: destination instance, projects/P/instances/I")
	fs.StringVar(&l.spSources, "spanner-sources", "", "live: source backups (full names), comma-separated")
	fs.StringVar(&l.cbrRegion, "cbr-region", "", "live: the CBR sources' region (default HUAWEICLOUD_SDK_REGION)")
	fs.StringVar(&l.cbrSources, "cbr-sources", "", "live: source backup ids, comma-separated")
	fs.StringVar(&l.cbrDestRegion, "cbr-dest-region", "", "live: CBR destination region")
	fs.StringVar(&l.cbrDestProject, "cbr-dest-project", "", "live: CBR destination project id")
	fs.StringVar(&l.cbrVault, "cbr-dest-vault", "", "live: CBR destination (replication) vault id")
	fs.StringVar(&l.fsxRegion, "fsx-region", "", "live: FSx destination region")
	fs.StringVar(&l.fsxSourceRegion, "fsx-source-region", "", "live: FSx sources' region (default: the destination)")
	fs.StringVar(&l.fsxSources, "fsx-sources", "", "live: FSx source backup ids, comma-separated")
}

func list(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// livePlan builds the plan and its clients (with each cloud's default
// credentials); closeAll closes the clients.
func livePlan(ctx context.Context, l *liveConfig) (plan fleet.Plan, closeAll func(), err error) {
	plan = fleet.Plan{Name: "fleet-copy-live"}
	var closers []func() error
	closeAll = func() {
		for _, c := range closers {
			c()
		}
	}
	add := func(cloud, source string, a fleet.Adapter) {
		plan.Copies = append(plan.Copies, fleet.Copy{Key: cloud + "-" + path.Base(source), Adapter: a})
	}
	fail := func(err error) (fleet.Plan, func(), error) {
		closeAll()
		return fleet.Plan{}, nil, err
	}
	if srcs := list(l.btSources); len(srcs) > 0 {
		c, err := bigtable.NewClient(ctx)
		if err != nil {
			return fail(err)
		}
		closers = append(closers, c.Close)
		for _, s := range srcs {
			add("bigtable", s, &bigtable.FleetCopy{Client: c, ExpireAfter: l.expireAfter, Request: bigtable.CopyBackupRequest{
				Parent: l.btParent, BackupID: path.Base(s) + l.suffix, SourceBackup: s}})
		}
	}
	if srcs := list(l.spSources); len(srcs) > 0 {
		c, err := spanner.NewClient(ctx)
		if err != nil {
			return fail(err)
		}
		closers = append(closers, c.Close)
		for _, s := range srcs {
			add("spanner", s, &spanner.FleetCopy{Client: c, ExpireAfter: l.expireAfter, Request: spanner.CopyBackupRequest{
				Parent: l.spParent, BackupID: path.Base(s) + l.suffix, SourceBackup: s}})
		}
	}
	if srcs := list(l.cbrSources); len(srcs) > 0 {
		var opts []cbr.Option
		if l.cbrRegion != "" {
			opts = append(opts, cbr.WithRegion(l.cbrRegion))
		}
		c, err := cbr.NewClient(ctx, opts...)
		if err != nil {
			return fail(err)
		}
		closers = append(closers, c.Close)
		for _, s := range srcs {
			add("cbr", s, &cbr.FleetCopy{Client: c, Request: cbr.CopyBackupRequest{
				BackupID: s, DestinationProjectID: l.cbrDestProject, DestinationRegion: l.cbrDestRegion, DestinationVaultID: l.cbrVault}})
		}
	}
	if srcs := list(l.fsxSources); len(srcs) > 0 {
		dst, err := fsx.NewClient(ctx, fsx.WithRegion(l.fsxRegion))
		if err != nil {
			return fail(err)
		}
		closers = append(closers, dst.Close)
		src := dst
		if l.fsxSourceRegion != "" && l.fsxSourceRegion != l.fsxRegion {
			if src, err = fsx.NewClient(ctx, fsx.WithRegion(l.fsxSourceRegion)); err != nil {
				return fail(err)
			}
			closers = append(closers, src.Close)
		}
		for _, s := range srcs {
			add("fsx", s, &fsx.FleetCopy{Client: dst, SourceClient: src, Request: fsx.CopyBackupRequest{
				SourceBackupID: s, SourceRegion: l.fsxSourceRegion, CopyTags: true}})
		}
	}
	if len(plan.Copies) == 0 {
		return fail(errors.New("-live needs sources: -bigtable-sources, -spanner-sources, -cbr-sources or -fsx-sources"))
	}
	return plan, closeAll, nil
}

// hint is printed when a live run stops: rerunning resumes.
func resumeHint(state string) string {
	return fmt.Sprintf("stopped: run the same command again to resume from %s", state)
}
