package manifest

// The long and the short way of ToMap, for TestWorkflowMapIsToMap.
var (
	ToMapJSON   = toMapJSON
	WorkflowMap = workflowMap
)
