package peertest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	fsxsdk "github.com/aws/aws-sdk-go-v2/service/fsx"
	fsxtypes "github.com/aws/aws-sdk-go-v2/service/fsx/types"
	"github.com/aws/smithy-go"
	cbrmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cbr/v1/model"
	bigtableadmin "google.golang.org/api/bigtableadmin/v2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	spannerv1 "google.golang.org/api/spanner/v1"
)

// emulatorProcess is a running `backupcopy emulator -o json` process, built
// from this checkout, and what it printed.
type emulatorProcess struct {
	Env          map[string]string `json:"env"`
	Sources      map[string][]any  `json:"sources"`
	Destinations map[string][]any  `json:"destinations"`
}

func (e *emulatorProcess) source(cloud string) string { return e.Sources[cloud][0].(string) }

// startEmulatorProcess builds cmd/backupcopy (in the root module) and starts
// its emulator; the process is stopped with SIGTERM at the end of the test.
func startEmulatorProcess(t *testing.T) *emulatorProcess {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "backupcopy")
	if out, err := exec.Command("go", "build", "-C", root, "-o", bin, "./cmd/backupcopy").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "emulator", "-o", "json", "--sources", "2", "--duration", "300ms")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("emulator: %v", err)
		}
	})
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	var e emulatorProcess
	if err := json.Unmarshal(line, &e); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	return &e
}

// The official SDKs, configured only from what the emulator printed, copy
// on the emulator process: aws-sdk-go-v2 FSx CopyBackup and
// DescribeBackups, google.golang.org/api's Bigtable and Spanner clients
// (no token, as with Google's emulators), and huaweicloud-sdk-go-v3's CBR
// client.
func TestOfficialSDKsAgainstEmulatorProcess(t *testing.T) {
	e := startEmulatorProcess(t)
	ctx := context.Background()
	expire := time.Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339Nano)

	t.Run("fsx", func(t *testing.T) {
		sdk := fsxsdk.New(fsxsdk.Options{
			Region:       e.Env["AWS_REGION"],
			BaseEndpoint: aws.String(e.Env["AWS_ENDPOINT_URL_FSX"]),
			Credentials:  credentials.NewStaticCredentialsProvider(e.Env["AWS_ACCESS_KEY_ID"], e.Env["AWS_SECRET_ACCESS_KEY"], ""),
		})
		out, err := sdk.CopyBackup(ctx, &fsxsdk.CopyBackupInput{SourceBackupId: aws.String(e.source("fsx")), ClientRequestToken: aws.String("peer-1")})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(out.Backup.BackupId)
		waitFor(t, func() bool {
			d, err := sdk.DescribeBackups(ctx, &fsxsdk.DescribeBackupsInput{BackupIds: []string{id}})
			if err != nil {
				t.Fatal(err)
			}
			return d.Backups[0].Lifecycle == fsxtypes.BackupLifecycleAvailable
		})
		_, err = sdk.CopyBackup(ctx, &fsxsdk.CopyBackupInput{SourceBackupId: aws.String("backup-0000000000000000f")})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "BackupNotFound" {
			t.Fatalf("want BackupNotFound, got %v", err)
		}
	})

	t.Run("bigtable", func(t *testing.T) {
		svc, err := bigtableadmin.NewService(ctx, option.WithEndpoint(e.Env["BACKUPCOPY_BIGTABLE_ENDPOINT"]+"/"), option.WithoutAuthentication())
		if err != nil {
			t.Fatal(err)
		}
		parent := e.Destinations["bigtable"][0].(string)
		op, err := svc.Projects.Instances.Clusters.Backups.Copy(parent, &bigtableadmin.CopyBackupRequest{
			BackupId: "peer-copy", SourceBackup: e.source("bigtable"), ExpireTime: expire}).Do()
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool {
			o, err := svc.Operations.Get(op.Name).Do()
			if err != nil {
				t.Fatal(err)
			}
			if o.Error != nil {
				t.Fatalf("copy failed: %+v", o.Error)
			}
			return o.Done
		})
		b, err := svc.Projects.Instances.Clusters.Backups.Get(parent + "/backups/peer-copy").Do()
		if err != nil || b.State != "READY" || b.SourceBackup != e.source("bigtable") {
			t.Fatalf("%+v %v", b, err)
		}
	})

	t.Run("spanner", func(t *testing.T) {
		svc, err := spannerv1.NewService(ctx, option.WithEndpoint(e.Env["BACKUPCOPY_SPANNER_ENDPOINT"]+"/"), option.WithoutAuthentication())
		if err != nil {
			t.Fatal(err)
		}
		parent := e.Destinations["spanner"][0].(string)
		op, err := svc.Projects.Instances.Backups.Copy(parent, &spannerv1.CopyBackupRequest{
			BackupId: "peer-copy", SourceBackup: e.source("spanner"), ExpireTime: expire}).Do()
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool {
			o, err := svc.Projects.Instances.Backups.Operations.Get(op.Name).Do()
			if err != nil {
				t.Fatal(err)
			}
			return o.Done
		})
		// The emulator keeps the service's rules: the id is taken now.
		_, err = svc.Projects.Instances.Backups.Copy(parent, &spannerv1.CopyBackupRequest{
			BackupId: "peer-copy", SourceBackup: e.source("spanner"), ExpireTime: expire}).Do()
		var gerr *googleapi.Error
		if !errors.As(err, &gerr) || gerr.Code != 409 {
			t.Fatalf("want 409, got %v", err)
		}
	})

	t.Run("cbr", func(t *testing.T) {
		sdk := cbrSDKClient(t, e.Env["BACKUPCOPY_CBR_ENDPOINT"], e.Env["HUAWEICLOUD_SDK_AK"], e.Env["HUAWEICLOUD_SDK_SK"], e.Env["HUAWEICLOUD_SDK_PROJECT_ID"])
		d := e.Destinations["cbr"][0].(map[string]any)
		resp, err := sdk.CopyBackup(&cbrmodel.CopyBackupRequest{BackupId: e.source("cbr"), Body: &cbrmodel.BackupReplicateReq{
			Replicate: &cbrmodel.BackupReplicateReqBody{
				DestinationProjectId: d["destination_project_id"].(string),
				DestinationRegion:    d["destination_region"].(string),
				DestinationVaultId:   d["destination_vault_id"].(string),
			}}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Replication == nil || *resp.Replication.BackupId != e.source("cbr") || *resp.Replication.ReplicationRecordId == "" {
			t.Fatalf("replication %+v", resp.Replication)
		}
	})
}

// waitFor polls done until it holds (the emulator's copies take 300 ms).
func waitFor(t *testing.T, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatal("not done in 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
