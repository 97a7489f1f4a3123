package temporal

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// Registry is where Register registers the workflow and the activities: a
// worker.Worker, or the SDK's test environment (testsuite).
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
	RegisterActivityWithOptions(a any, options activity.RegisterOptions)
}

// Register registers RunPlan as WorkflowName and a's activities as
// CheckPlanActivity, StartCopyActivity and AwaitCopyActivity. A worker that
// only runs activities (or only the workflow) may register just those with
// the same names.
func Register(r Registry, a *Activities) {
	r.RegisterWorkflowWithOptions(RunPlan, workflow.RegisterOptions{Name: WorkflowName})
	r.RegisterActivityWithOptions(a.CheckPlan, activity.RegisterOptions{Name: CheckPlanActivity})
	r.RegisterActivityWithOptions(a.StartCopy, activity.RegisterOptions{Name: StartCopyActivity})
	r.RegisterActivityWithOptions(a.AwaitCopy, activity.RegisterOptions{Name: AwaitCopyActivity})
}

// DataConverter returns Temporal's default data converter with its zlib
// codec (converter.NewZlibCodec, used where it makes a payload smaller). A
// plan travels in the workflow's input, and Temporal refuses payloads over
// 2 MB by default: in plain JSON a copy takes about 100 bytes on FSx and 250-290
// on Bigtable, Spanner and CBR, so 10,000 FSx copies fit and 10,000 Google
// copies do not; compressed, they all do. Give it as client.Options.DataConverter
// to every client and worker of the task queue (the Temporal UI then needs a
// codec server to show the payloads).
func DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), converter.NewZlibCodec(converter.ZlibCodecOptions{}))
}
