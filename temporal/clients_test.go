package temporal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/planfile"
	"github.com/backupcopy/backupcopy/temporal"
)

// The example worker's clients, built from the environment as the CLI's
// (BACKUPCOPY_<CLOUD>_ENDPOINT, the AWS and Huawei Cloud variables; a
// loopback http:// Google endpoint needs no credentials), make a plan on
// the four clouds.
func TestClientsFromEnvironment(t *testing.T) {
	f := startFakes(t, 20*time.Millisecond)
	f.bigtable.SetAuthRequired(false)
	f.spanner.SetAuthRequired(false)
	for k, v := range map[string]string{
		planfile.EnvBigtableEndpoint:  f.bigtable.URL(),
		planfile.EnvSpannerEndpoint:   f.spanner.URL(),
		planfile.EnvCBREndpoint:       f.cbr.URL(),
		planfile.EnvFSxEndpoint:       f.fsx.URL(),
		planfile.EnvCBRRegion:         cbrtest.Region,
		"HUAWEICLOUD_SDK_AK":          cbrtest.AccessKey,
		"HUAWEICLOUD_SDK_SK":          cbrtest.SecretKey,
		"HUAWEICLOUD_SDK_PROJECT_ID":  cbrtest.ProjectID,
		"AWS_ACCESS_KEY_ID":           fsxtest.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       fsxtest.SecretAccessKey,
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  fsxtest.Region,
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             t.TempDir() + "/none",
		"AWS_SHARED_CREDENTIALS_FILE": t.TempDir() + "/none",
	} {
		t.Setenv(k, v)
	}
	clients, err := planfile.Settings{}.Clients(context.Background(), planfile.ClientOptions{})
	t.Cleanup(func() { clients.Close() })
	if err != nil {
		t.Fatalf("missing clients: %v", err)
	}
	plan := f.seed(counts{bigtable: 1, spannerCopy: 1, cbr: 1, fsx: 1})
	res, _, _ := run(t, &temporal.Activities{Clients: clients}, plan, nil)
	checkDone(t, res, len(plan.Copies))
	exactlyOnce(t, f, plan)
}

// A worker without a cloud's client fails that cloud's copies with an
// error naming the client, before anything starts.
func TestMissingClient(t *testing.T) {
	f := startFakes(t, 20*time.Millisecond)
	plan := f.seed(counts{fsx: 1})
	a := f.activities()
	a.Clients.FSx = nil
	env := newEnv(t, a)
	env.ExecuteWorkflow(temporal.WorkflowName, plan)
	err := env.GetWorkflowError()
	if err == nil || !strings.Contains(err.Error(), "no fsx client") {
		t.Fatalf("workflow error %v, want one naming the missing fsx client", err)
	}
	if n := f.fsx.CountRequests(""); n != 0 {
		t.Errorf("the fake saw %d requests, want none", n)
	}
}
