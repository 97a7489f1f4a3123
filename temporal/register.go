package temporal

import (
	"go.temporal.io/sdk/activity"
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
