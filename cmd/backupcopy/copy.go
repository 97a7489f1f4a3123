package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/backupcopy/backupcopy/planfile"
)

// copyFlag is one request field: its flag name is the plan's field name with
// '-' for '_'.
type copyFlag struct {
	field, usage string
	kind         string // "string", "bool", "strings", "tags"
	required     bool
}

// copyFields are the request fields of each cloud, as flags (the same
// fields as a plan's copies).
var copyFields = map[string][]copyFlag{
	planfile.Bigtable: {
		{field: "source", usage: "source backup, projects/P/instances/I/clusters/C/backups/B", required: true},
		{field: "parent", usage: "destination cluster, projects/P/instances/I/clusters/C", required: true},
		{field: "backup_id", usage: "the new backup's id", required: true},
		{field: "expire_after", usage: "expire this long after the copy starts, a Go duration such as 168h (this or --expire-time is required)"},
		{field: "expire_time", usage: "expire at this RFC 3339 time, such as 2030-01-31T00:00:00Z (instead of --expire-after)"},
	},
	planfile.Spanner: {
		{field: "source", usage: "source backup, projects/P/instances/I/backups/B", required: true},
		{field: "parent", usage: "destination instance, projects/P/instances/I", required: true},
		{field: "backup_id", usage: "the new backup's id", required: true},
		{field: "expire_after", usage: "expire this long after the copy starts, a Go duration such as 168h (this or --expire-time is required)"},
		{field: "expire_time", usage: "expire at this RFC 3339 time, such as 2030-01-31T00:00:00Z (instead of --expire-after)"},
		{field: "encryption_type", usage: "USE_CONFIG_DEFAULT_OR_BACKUP_ENCRYPTION, GOOGLE_DEFAULT_ENCRYPTION or CUSTOMER_MANAGED_ENCRYPTION"},
		{field: "kms_key_name", usage: "Cloud KMS key for CUSTOMER_MANAGED_ENCRYPTION"},
		{field: "kms_key_names", usage: "Cloud KMS keys (repeat) for a multi-region instance", kind: "strings"},
	},
	planfile.CBR: {
		{field: "source", usage: "source backup id (in the --region region)", required: true},
		{field: "destination_project_id", usage: "destination project id", required: true},
		{field: "destination_region", usage: "destination region", required: true},
		{field: "destination_vault_id", usage: "destination replication vault id", required: true},
		{field: "name", usage: "the replica's name"},
		{field: "description", usage: "the replica's description"},
		{field: "enable_acceleration", usage: "use accelerated replication", kind: "bool"},
	},
	planfile.FSx: {
		{field: "source", usage: "source backup id, backup-...", required: true},
		{field: "source_region", usage: "the source backup's region (default: the destination region)"},
		{field: "kms_key_id", usage: "KMS key for the copy"},
		{field: "client_request_token", usage: "idempotency token (default: one per command)"},
		{field: "copy_tags", usage: "copy the source backup's tags", kind: "bool"},
		{field: "tags", usage: "a tag KEY=VALUE for the copy (repeat)", kind: "tags"},
	},
}

func flagName(field string) string { return strings.ReplaceAll(field, "_", "-") }

var fieldRE = regexp.MustCompile(`\b(?:(?:bigtable|spanner|cbr|fsx)\.)?(source|parent|backup_id|expire_after|expire_time|destination_project_id|destination_region|destination_vault_id|source_region)\b`)

// flagWords rewrites a plan error ("bigtable.backup_id is required") into
// flag words ("--backup-id is required").
func flagWords(msg string) string {
	msg = strings.TrimPrefix(msg, "planfile: ")
	msg = strings.TrimPrefix(msg, "copies[0]: ")
	return strings.ReplaceAll(fieldRE.ReplaceAllStringFunc(msg, func(m string) string {
		_, f, ok := strings.Cut(m, ".")
		if !ok {
			f = m
		}
		return "--" + flagName(f)
	}), "--expire-after: ", "--expire-after ")
}

// clientFlags are the client settings a copy command takes.
type clientFlags struct {
	endpoint, region, projectID string
}

// waitCommand is the command line that follows a copy of cloud made with
// these settings (the operation's name goes last).
func (cf clientFlags) waitCommand(cloud string) string {
	cmd := "backupcopy wait " + cloud
	for _, f := range []struct{ name, value string }{{"--endpoint", cf.endpoint}, {"--region", cf.region}, {"--project-id", cf.projectID}} {
		if f.value != "" {
			cmd += " " + f.name + " " + shellQuote(f.value)
		}
	}
	return cmd
}

func (a *app) copyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "copy {bigtable|spanner|cbr|fsx} [flags]",
		Short: "Start one backup copy and print its operation name (the resume token)",
		Long: `Start one backup copy and print its operation name, the token that
'backupcopy wait CLOUD NAME' resumes, at once. With --wait, follow the copy to its end.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("copy: name the cloud: backupcopy copy {%s} [flags]", strings.Join(planfile.Clouds(), "|"))
			}
			return usagef("copy: unknown cloud %q: use one of %s", args[0], strings.Join(planfile.Clouds(), ", "))
		},
	}
	for _, cloud := range planfile.Clouds() {
		cmd.AddCommand(a.copyCloudCommand(cloud))
	}
	return cmd
}

// copyHelp is each copy command's help: what it calls, where its
// credentials come from, and an example.
var copyHelp = map[string]struct{ long, example string }{
	planfile.Bigtable: {
		long: `Copy a Bigtable backup into another cluster (Bigtable Admin backups:copy).

Credentials: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, or
'gcloud auth application-default login'). A loopback http:// endpoint
(--endpoint or BACKUPCOPY_BIGTABLE_ENDPOINT, such as the emulator's) needs none.`,
		example: `  backupcopy copy bigtable --source projects/p/instances/prod/clusters/prod-c1/backups/nightly \
    --parent projects/p/instances/dr/clusters/dr-c1 --backup-id nightly-dr \
    --expire-after 168h --wait`,
	},
	planfile.Spanner: {
		long: `Copy a Spanner backup into another instance (Database Admin backups:copy).

Credentials: Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, or
'gcloud auth application-default login'). A loopback http:// endpoint
(--endpoint or BACKUPCOPY_SPANNER_ENDPOINT, such as the emulator's) needs none.`,
		example: `  backupcopy copy spanner --source projects/p/instances/prod/backups/nightly \
    --parent projects/p/instances/dr --backup-id nightly-dr --expire-after 168h --wait`,
	},
	planfile.CBR: {
		long: `Replicate a Huawei Cloud CBR backup into a vault of another region.

Credentials: HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (and
HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary keys); the source project from
--project-id or HUAWEICLOUD_SDK_PROJECT_ID, its region from --region or
HUAWEICLOUD_SDK_REGION.`,
		example: `  backupcopy copy cbr --region cn-north-4 --source 6df2b54c-dd62-4059-a07c-1b8f24f2725d \
    --destination-project-id 0b9a... --destination-region cn-east-3 --destination-vault-id 0ca3... --wait`,
	},
	planfile.FSx: {
		long: `Copy an Amazon FSx backup, within a region or from another one (CopyBackup).
The operation name printed is the new backup's id.

Credentials: the AWS chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then
the shared files and AWS_PROFILE); the destination region from --region,
AWS_REGION, AWS_DEFAULT_REGION or the profile.`,
		example: `  backupcopy copy fsx --region eu-west-1 --source backup-0123456789abcdef0 --source-region us-east-1 --wait`,
	},
}

func (a *app) copyCloudCommand(cloud string) *cobra.Command {
	var (
		out    string
		wait   bool
		cf     clientFlags
		str    = map[string]*string{}
		bools  = map[string]*bool{}
		slices = map[string]*[]string{}
	)
	cmd := &cobra.Command{
		Use:   cloud + " [flags]",
		Short: map[string]string{planfile.Bigtable: "Copy a Bigtable backup", planfile.Spanner: "Copy a Spanner backup", planfile.CBR: "Replicate a CBR backup", planfile.FSx: "Copy an FSx backup"}[cloud],
		Long: copyHelp[cloud].long + `

It prints the copy's operation name on stdout at once (the token that
'backupcopy wait ` + cloud + ` NAME' follows, here or elsewhere); with --wait it follows
the copy, with progress on stderr, and prints the result.`,
		Example: copyHelp[cloud].example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			fields := map[string]any{}
			for _, f := range copyFields[cloud] {
				switch f.kind {
				case "bool":
					if *bools[f.field] {
						fields[f.field] = true
					}
				case "strings":
					if v := *slices[f.field]; len(v) > 0 {
						fields[f.field] = v
					}
				case "tags":
					var tags []map[string]string
					for _, kv := range *slices[f.field] {
						k, v, ok := strings.Cut(kv, "=")
						if !ok || k == "" {
							return usagef("--tags %q is not KEY=VALUE", kv)
						}
						tags = append(tags, map[string]string{"key": k, "value": v})
					}
					if tags != nil {
						fields[f.field] = tags
					}
				default:
					if v := *str[f.field]; v != "" {
						fields[f.field] = v
					}
				}
				if f.required && fields[f.field] == nil {
					return usagef("copy %s: --%s is required: %s", cloud, flagName(f.field), f.usage)
				}
			}
			doc, _ := json.Marshal(map[string]any{"copies": []any{map[string]any{cloud: fields}}})
			plan, err := planfile.Parse(doc)
			if err != nil {
				return usagef("copy %s: %s", cloud, flagWords(err.Error()))
			}
			s := planfile.Settings{
				Bigtable: planfile.GoogleSettings{Endpoint: cf.endpoint},
				Spanner:  planfile.GoogleSettings{Endpoint: cf.endpoint},
				CBR:      planfile.CBRSettings{Endpoint: cf.endpoint, Region: cf.region, ProjectID: cf.projectID},
				FSx:      planfile.FSxSettings{Endpoint: cf.endpoint, Region: cf.region},
			}
			return a.runCopy(cmd.Context(), cloud, s, plan.Copies[0], wait, out, cf.waitCommand(cloud))
		},
	}
	fl := cmd.Flags()
	for _, f := range copyFields[cloud] {
		u := f.usage
		if f.required {
			u += " (required)"
		}
		switch f.kind {
		case "bool":
			bools[f.field] = fl.Bool(flagName(f.field), false, u)
		case "strings", "tags":
			slices[f.field] = fl.StringArray(flagName(f.field), nil, u)
		default:
			str[f.field] = fl.String(flagName(f.field), "", u)
		}
	}
	fl.BoolVar(&wait, "wait", false, "follow the copy to its end (progress on stderr)")
	fl.StringVarP(&out, "output", "o", "table", "output format: table or json")
	fl.StringVar(&cf.endpoint, "endpoint", "", "API endpoint, scheme://host[:port] (default: BACKUPCOPY_"+strings.ToUpper(cloud)+"_ENDPOINT, else the service's)")
	switch cloud {
	case planfile.CBR:
		fl.StringVar(&cf.region, "region", "", "the source backup's region (default: HUAWEICLOUD_SDK_REGION)")
		fl.StringVar(&cf.projectID, "project-id", "", "the source project (default: HUAWEICLOUD_SDK_PROJECT_ID)")
	case planfile.FSx:
		fl.StringVar(&cf.region, "region", "", "the destination region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)")
	}
	return cmd
}

func checkOutput(out string) error {
	if out != "table" && out != "json" {
		return usagef("-o %q: use table or json", out)
	}
	return nil
}

// runCopy starts c, prints its name at once, and with wait follows it.
func (a *app) runCopy(ctx context.Context, cloud string, s planfile.Settings, c planfile.Copy, wait bool, out, waitCmd string) error {
	cl, err := a.connect(ctx, cloud, s)
	if err != nil {
		return err
	}
	defer cl.close()
	h, err := cl.start(ctx, c.Resolve(time.Now()))
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return &interruptedError{}
		}
		return cl.callErr(err)
	}
	resume := waitCmd + " " + shellQuote(h.Name())
	if !wait {
		if out == "json" {
			return writeJSON(a.stdout, result{Cloud: cloud, Name: h.Name(), State: "running", Percent: -1})
		}
		fmt.Fprintln(a.stdout, h.Name())
		fmt.Fprintln(a.stderr, "started; follow it with:", resume)
		return nil
	}
	if out == "json" {
		fmt.Fprintln(a.stderr, "started", h.Name())
	} else {
		fmt.Fprintln(a.stdout, h.Name())
	}
	return a.follow(ctx, cl, h, out, resume)
}

// follow waits for h with progress and prints the result.
func (a *app) follow(ctx context.Context, cl *client, h handle, out, resume string) error {
	cloud := cl.cloud
	pr := a.newProgress(ctx)
	t := pr.add(cloud, labelName(cloud, h.Name()))
	r, err := h.wait(ctx, t.update)
	if err != nil && r.State != "running" && !cl.counter.sent() {
		// A bad name: refused before any request.
		t.end("")
		pr.wait()
		return usagef("%s", describeErr(cloud, err))
	}
	t.end(r.State)
	pr.wait()
	if r.State == "running" && err != nil {
		return &interruptedError{resume: resume}
	}
	if out == "json" {
		if werr := writeJSON(a.stdout, r); werr != nil {
			return werr
		}
	} else {
		writeResult(a.stdout, r)
	}
	if err != nil {
		return &exitError{code: exitFailed, msg: describeErr(cloud, err)}
	}
	return nil
}

func (a *app) waitCommand() *cobra.Command {
	var (
		out string
		cf  clientFlags
	)
	cmd := &cobra.Command{
		Use:   "wait CLOUD NAME",
		Short: "Follow a copy started earlier (here or elsewhere) to its end",
		Long: `Follow a copy to its end, by the operation name 'backupcopy copy' printed:
a Google operation name, the CBR token, or the new FSx BackupId.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("wait: give the cloud and the operation name 'backupcopy copy' printed: backupcopy wait {%s} NAME", strings.Join(planfile.Clouds(), "|"))
			}
			return nil
		},
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return planfile.Clouds(), cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(out); err != nil {
				return err
			}
			cloud, name := args[0], args[1]
			if _, ok := copyFields[cloud]; !ok {
				return usagef("wait: unknown cloud %q: use one of %s", cloud, strings.Join(planfile.Clouds(), ", "))
			}
			s := planfile.Settings{
				Bigtable: planfile.GoogleSettings{Endpoint: cf.endpoint},
				Spanner:  planfile.GoogleSettings{Endpoint: cf.endpoint},
				CBR:      planfile.CBRSettings{Endpoint: cf.endpoint, Region: cf.region, ProjectID: cf.projectID},
				FSx:      planfile.FSxSettings{Endpoint: cf.endpoint, Region: cf.region},
			}
			cl, err := a.connect(cmd.Context(), cloud, s)
			if err != nil {
				return err
			}
			defer cl.close()
			return a.follow(cmd.Context(), cl, cl.resume(name), out, cf.waitCommand(cloud)+" "+shellQuote(name))
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "table", "output format: table or json")
	fl.StringVar(&cf.endpoint, "endpoint", "", "API endpoint (default: BACKUPCOPY_<CLOUD>_ENDPOINT, else the service's)")
	fl.StringVar(&cf.region, "region", "", "CBR: the source region; FSx: the copy's region")
	fl.StringVar(&cf.projectID, "project-id", "", "CBR: the source project")
	return cmd
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
