package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/planfile"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

// faultsPath is the emulator's admin endpoint for faults.
const faultsPath = "/_emulator/faults"

// The emulator's seeded resources.
const (
	emuProject         = "backupcopy-emulator"
	emuBigtableSource  = "projects/" + emuProject + "/instances/prod/clusters/prod-c1"
	emuBigtableTable   = "projects/" + emuProject + "/instances/prod/tables/orders"
	emuSpannerSource   = "projects/" + emuProject + "/instances/prod"
	emuSpannerDatabase = emuSpannerSource + "/databases/orders"
)

var (
	emuBigtableDestinations = []string{"projects/" + emuProject + "/instances/dr/clusters/dr-c1", "projects/" + emuProject + "/instances/prod/clusters/prod-c2"}
	emuSpannerDestinations  = []string{"projects/" + emuProject + "/instances/dr", "projects/" + emuProject + "/instances/dr2"}
	emuCBRRegions           = []string{cbrtest.DestinationRegion, "cn-south-1", "ap-southeast-1"}
)

// emulator is the four fakes behind one handler.
type emulator struct {
	bt  *bigtabletest.Server
	sp  *spannertest.Server
	cb  *cbrtest.Server
	fx  *fsxtest.Server
	log io.Writer // request log (nil: none)
	mu  sync.Mutex
}

// cbrDestination is one CBR copy destination.
type cbrDestination struct {
	ProjectID string `json:"destination_project_id"`
	Region    string `json:"destination_region"`
	VaultID   string `json:"destination_vault_id"`
}

// emulatorInfo is what the emulator prints with -o json.
type emulatorInfo struct {
	Env          map[string]string `json:"env"`
	Sources      map[string]any    `json:"sources"`
	Destinations map[string]any    `json:"destinations"`
}

func newEmulator(d time.Duration) *emulator {
	return &emulator{
		bt: bigtabletest.NewServer(bigtabletest.WithoutListener(), bigtabletest.WithoutAuthentication(), bigtabletest.WithOperationDuration(d)),
		sp: spannertest.NewServer(spannertest.WithoutListener(), spannertest.WithoutAuthentication(), spannertest.WithOperationDuration(d)),
		cb: cbrtest.NewServer(cbrtest.WithoutListener(), cbrtest.WithOperationDuration(d)),
		fx: fsxtest.NewServer(fsxtest.WithoutListener(), fsxtest.WithOperationDuration(d)),
	}
}

// seed makes n ready sources per cloud and the destinations, and returns
// them as the -o json output lists them. The names are the same in every
// run: source-1... on Google, backup-00000000000000001... on FSx, CBR ids
// 00000000-0000-4000-8000-000000000001... (four apart), destination vaults
// 00000001-0000-4000-9000-000000000000... in emuCBRRegions' order.
func (e *emulator) seed(n int) (sources, destinations map[string]any) {
	var btSrc, spSrc, cbSrc, fxSrc []string
	for i := 1; i <= n; i++ {
		btSrc = append(btSrc, e.bt.AddBackup(bigtable.Backup{Name: fmt.Sprintf("%s/backups/source-%d", emuBigtableSource, i), SourceTable: emuBigtableTable, SizeBytes: int64(i) << 30}).Name)
		spSrc = append(spSrc, e.sp.AddBackup(spanner.Backup{Name: fmt.Sprintf("%s/backups/source-%d", emuSpannerSource, i), Database: emuSpannerDatabase, SizeBytes: int64(i) << 30}).Name)
		cbSrc = append(cbSrc, e.cb.AddBackup(cbr.Backup{Name: fmt.Sprintf("source-%d", i)}).ID)
		fxSrc = append(fxSrc, e.fx.AddBackup(fsx.Backup{BackupID: fmt.Sprintf("backup-%017x", i), SizeInBytes: int64(i) << 30}).BackupID)
	}
	e.sp.AddDatabase(emuSpannerDatabase)
	for _, c := range emuBigtableDestinations {
		e.bt.AddCluster(c)
	}
	for _, i := range emuSpannerDestinations {
		e.sp.AddInstance(i)
	}
	var cbDst []cbrDestination
	for i, r := range emuCBRRegions {
		v := e.cb.AddVault(cbrtest.Vault{ID: fmt.Sprintf("%08x-0000-4000-9000-000000000000", i+1), Region: r, ProjectID: cbrtest.ProjectID})
		cbDst = append(cbDst, cbrDestination{ProjectID: cbrtest.ProjectID, Region: r, VaultID: v.ID})
	}
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	sources = map[string]any{planfile.Bigtable: orEmpty(btSrc), planfile.Spanner: orEmpty(spSrc), planfile.CBR: orEmpty(cbSrc), planfile.FSx: orEmpty(fxSrc)}
	destinations = map[string]any{
		planfile.Bigtable: emuBigtableDestinations, planfile.Spanner: emuSpannerDestinations,
		planfile.CBR: cbDst, planfile.FSx: []string{fsxtest.Region},
	}
	return sources, destinations
}

// env is the variables that point the CLI and the official SDKs at base.
func emulatorEnv(base string) map[string]string {
	return map[string]string{
		planfile.EnvBigtableEndpoint: base,
		planfile.EnvSpannerEndpoint:  base,
		planfile.EnvCBREndpoint:      base,
		planfile.EnvFSxEndpoint:      base,
		"AWS_ENDPOINT_URL_FSX":       base,
		"AWS_ACCESS_KEY_ID":          fsxtest.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":      fsxtest.SecretAccessKey,
		"AWS_REGION":                 fsxtest.Region,
		"HUAWEICLOUD_SDK_AK":         cbrtest.AccessKey,
		"HUAWEICLOUD_SDK_SK":         cbrtest.SecretKey,
		"HUAWEICLOUD_SDK_PROJECT_ID": cbrtest.ProjectID,
		planfile.EnvCBRRegion:        cbrtest.Region,
	}
}

// ServeHTTP routes a request: X-Amz-Target to FSx, /v2/ Bigtable, /v1/
// Spanner, /v3/ CBR, /_emulator/faults the admin endpoint.
func (e *emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var h http.Handler
	switch p := r.URL.Path; {
	case r.Header.Get("X-Amz-Target") != "":
		h = e.fx.Handler()
	case strings.HasPrefix(p, "/v2/"):
		h = e.bt.Handler()
	case strings.HasPrefix(p, "/v1/"):
		h = e.sp.Handler()
	case strings.HasPrefix(p, "/v3/"):
		h = e.cb.Handler()
	case p == faultsPath:
		h = http.HandlerFunc(e.serveFaults)
	default:
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "backupcopy emulator: no API at "+r.URL.Path+" (Bigtable /v2/, Spanner /v1/, CBR /v3/, FSx POST / with X-Amz-Target)", http.StatusNotFound)
		})
	}
	if e.log == nil {
		h.ServeHTTP(w, r)
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	start := time.Now()
	h.ServeHTTP(rec, r)
	what := r.Method + " " + r.URL.Path
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		what += " " + t
	}
	status := strconv.Itoa(rec.status)
	if rec.hijacked {
		status = "dropped"
	} else if rec.status == 0 {
		status = "200"
	}
	e.mu.Lock()
	fmt.Fprintf(e.log, "%s %s -> %s (%s)\n", time.Now().UTC().Format("15:04:05.000"), what, status, time.Since(start).Round(time.Millisecond))
	e.mu.Unlock()
}

// statusRecorder notes the status a handler wrote (and whether it dropped
// the connection), for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijacking not supported")
	}
	s.hijacked = true
	return hj.Hijack()
}

// faultSpec is one fault, as the admin endpoint and --fault take it.
type faultSpec struct {
	Cloud           string `json:"cloud"`
	Operation       string `json:"operation"`
	Kind            string `json:"kind"`
	Times           int    `json:"times"`
	For             string `json:"for"`
	Delay           string `json:"delay"`
	RetryAfter      string `json:"retry_after"`
	AfterProcessing bool   `json:"after_processing"`
}

// parseFaultFlag reads --fault's form: comma-separated key=value pairs with
// the JSON field names, e.g. cloud=fsx,operation=CopyBackup,kind=throttle,times=3.
func parseFaultFlag(s string) (faultSpec, error) {
	var f faultSpec
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return f, fmt.Errorf("--fault %q: %q is not KEY=VALUE", s, kv)
		}
		switch k {
		case "cloud":
			f.Cloud = v
		case "operation":
			f.Operation = v
		case "kind":
			f.Kind = v
		case "times":
			n, err := strconv.Atoi(v)
			if err != nil {
				return f, fmt.Errorf("--fault %q: times %q is not a number", s, v)
			}
			f.Times = n
		case "for":
			f.For = v
		case "delay":
			f.Delay = v
		case "retry_after":
			f.RetryAfter = v
		case "after_processing":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return f, fmt.Errorf("--fault %q: after_processing %q is not true or false", s, v)
			}
			f.AfterProcessing = b
		default:
			return f, fmt.Errorf("--fault %q: unknown key %q (known: cloud, operation, kind, times, for, delay, retry_after, after_processing)", s, k)
		}
	}
	return f, nil
}

func parseDur(name, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a Go duration (for example 30s)", name, v)
	}
	return d, nil
}

// inject adds f to its cloud's fake; the error names what is wrong.
func (e *emulator) inject(f faultSpec) error {
	forD, err := parseDur("for", f.For)
	if err != nil {
		return err
	}
	delay, err := parseDur("delay", f.Delay)
	if err != nil {
		return err
	}
	retry, err := parseDur("retry_after", f.RetryAfter)
	if err != nil {
		return err
	}
	var ops []string
	var add func() error
	switch f.Cloud {
	case planfile.Bigtable:
		ops = bigtabletest.Operations()
		add = func() error {
			return e.bt.InjectFault(bigtabletest.Fault{Operation: f.Operation, Kind: bigtabletest.FaultKind(f.Kind), Times: f.Times, For: forD, Delay: delay, RetryAfter: retry, AfterProcessing: f.AfterProcessing})
		}
	case planfile.Spanner:
		ops = spannertest.Operations()
		add = func() error {
			return e.sp.InjectFault(spannertest.Fault{Operation: f.Operation, Kind: spannertest.FaultKind(f.Kind), Times: f.Times, For: forD, Delay: delay, RetryAfter: retry, AfterProcessing: f.AfterProcessing})
		}
	case planfile.CBR:
		ops = cbrtest.Operations()
		add = func() error {
			return e.cb.InjectFault(cbrtest.Fault{Operation: f.Operation, Kind: cbrtest.FaultKind(f.Kind), Times: f.Times, For: forD, Delay: delay, RetryAfter: retry, AfterProcessing: f.AfterProcessing})
		}
	case planfile.FSx:
		ops = fsxtest.Operations()
		add = func() error {
			return e.fx.InjectFault(fsxtest.Fault{Operation: f.Operation, Kind: fsxtest.FaultKind(f.Kind), Times: f.Times, For: forD, Delay: delay, RetryAfter: retry, AfterProcessing: f.AfterProcessing})
		}
	default:
		return fmt.Errorf("cloud %q: use one of %s", f.Cloud, strings.Join(planfile.Clouds(), ", "))
	}
	if f.Operation != "" && !slices.Contains(ops, f.Operation) {
		return fmt.Errorf("%s has no operation %q (known: %s)", f.Cloud, f.Operation, strings.Join(ops, ", "))
	}
	return add()
}

// serveFaults is the admin endpoint: POST a faultSpec (JSON) to add a
// fault, DELETE to clear them all.
func (e *emulator) serveFaults(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		var f faultSpec
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			http.Error(w, "backupcopy emulator: the fault is not valid JSON: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := e.inject(f); err != nil {
			http.Error(w, "backupcopy emulator: "+err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		e.bt.ClearFaults()
		e.sp.ClearFaults()
		e.cb.ClearFaults()
		e.fx.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "POST, DELETE")
		http.Error(w, "backupcopy emulator: POST a fault or DELETE them all", http.StatusMethodNotAllowed)
	}
}

func (a *app) emulatorCommand() *cobra.Command {
	var (
		listen   string
		sources  int
		duration time.Duration
		out      string
		verbose  bool
		faults   []string
	)
	cmd := &cobra.Command{
		Use: "emulator [--listen HOST:PORT] [--sources N] [--duration D] [-o env|json] [-v] [--fault F]",
		// Use lists the flags already: no "[flags]" after it.
		DisableFlagsInUseLine: true,
		Short:                 "Serve a local emulator of the four backup APIs on one loopback address",
		Long: `Serve the Bigtable, Spanner, CBR and FSx backup APIs from one process on one loopback
address (Bigtable /v2/, Spanner /v1/, CBR /v3/, FSx by X-Amz-Target), with N ready source
backups per cloud and destinations to copy into, until SIGINT or SIGTERM.

Before serving it prints the variables that point this tool and the official SDKs at it
(-o env: 'export NAME=VALUE' lines, for eval), or one JSON object with the variables,
sources and destinations (-o json). Google endpoints need no token; FSx checks SigV4 with
the printed AWS keys, CBR the printed AK/SK. The services' rules hold (a destination must
exist, at most 5 FSx copies in progress, one CBR replication per region, ...).

Faults on demand, to test retry code: --fault cloud=fsx,operation=CopyBackup,kind=throttle,times=3
(kinds: throttle, server-error, lose-response, slow with delay=D; times=N or for=D;
retry_after=D; after_processing=true), or POST the same fields as JSON to
http://ADDRESS` + faultsPath + ` (DELETE clears them all).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out != "env" && out != "json" {
				return usagef("emulator: -o %q: use env or json", out)
			}
			if sources < 0 || sources > 1000 {
				return usagef("emulator: --sources %d: use 0 to 1000", sources)
			}
			if duration < 0 {
				return usagef("emulator: --duration %s: use 0 or more", duration)
			}
			host, _, err := net.SplitHostPort(listen)
			if err != nil {
				return usagef("emulator: --listen %q is not HOST:PORT (for example 127.0.0.1:8080)", listen)
			}
			if !rest.IsLoopback(host) {
				return usagef("emulator: --listen %q: the emulator serves loopback addresses only (127.0.0.1, ::1, localhost)", listen)
			}
			e := newEmulator(duration)
			for _, fs := range faults {
				f, err := parseFaultFlag(fs)
				if err == nil {
					err = e.inject(f)
				}
				if err != nil {
					return usagef("emulator: %s", err)
				}
			}
			if verbose {
				e.log = a.stderr
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return usagef("emulator: cannot listen on %s: %s", listen, err)
			}
			base := "http://" + ln.Addr().String()
			src, dst := e.seed(sources)
			env := emulatorEnv(base)
			if out == "json" {
				if err := writeJSON(a.stdout, emulatorInfo{Env: env, Sources: src, Destinations: dst}); err != nil {
					ln.Close()
					return err
				}
			} else {
				names := make([]string, 0, len(env))
				for k := range env {
					names = append(names, k)
				}
				sort.Strings(names)
				for _, k := range names {
					fmt.Fprintf(a.stdout, "export %s=%s\n", k, shellQuote(env[k]))
				}
			}
			if f, ok := a.stdout.(interface{ Sync() error }); ok {
				f.Sync()
			}
			fmt.Fprintf(a.stderr, "backupcopy emulator: serving on %s (Ctrl-C stops it)\n", base)
			srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return err
			case <-cmd.Context().Done():
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(ctx)
			fmt.Fprintln(a.stderr, "backupcopy emulator: stopped")
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&listen, "listen", "127.0.0.1:0", "loopback HOST:PORT to serve on (port 0: a free port)")
	fl.IntVar(&sources, "sources", 3, "ready source backups to seed per cloud")
	fl.DurationVar(&duration, "duration", 2*time.Second, "how long each copy takes")
	fl.StringVarP(&out, "output", "o", "env", "what to print before serving: env (export lines) or json")
	fl.BoolVarP(&verbose, "verbose", "v", false, "log every request on stderr")
	fl.StringArrayVar(&faults, "fault", nil, "inject a fault: cloud=C,operation=OP,kind=K[,times=N|,for=D][,delay=D][,retry_after=D][,after_processing=true] (repeat)")
	return cmd
}
