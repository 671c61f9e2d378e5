package cli

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// workflowKinds are the spellings of the Workflow kind kubectl accepts before a slash
// (kubectl get workflow/NAME, workflows/NAME, wf/NAME, and with the API group).
var workflowKinds = []string{"workflow", "workflows", "wf", "workflow.argoproj.io", "workflows.argoproj.io", "wf.argoproj.io"}

// workflowName is the name of the workflow arg names: NAME, or KIND/NAME as `list -o name`
// prints it (workflow/NAME), so that `appflowc status $(appflowc list -o name | head -1)`
// works. Every command that takes a workflow name calls it (status, logs, delete, graph
// --workflow, and the control commands). Another kind (cronworkflow/NAME, pod/NAME) is
// refused by name rather than looked up as a workflow called "pod/NAME".
func workflowName(arg string) (string, error) {
	name := arg
	if kind, rest, ok := strings.Cut(arg, "/"); ok {
		if !isWorkflowKind(kind) {
			return "", fmt.Errorf("%q is not a workflow: give NAME or workflow/NAME (kind %q is not a Workflow)", arg, kind)
		}
		name = rest
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return "", fmt.Errorf("%q is not a workflow name: %s", arg, strings.Join(errs, "; "))
	}
	return name, nil
}

func isWorkflowKind(kind string) bool {
	for _, k := range workflowKinds {
		if strings.EqualFold(kind, k) {
			return true
		}
	}
	return false
}

// workflowNames maps workflowName over args, stopping at the first that is not one.
func workflowNamesOf(args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for _, a := range args {
		n, err := workflowName(a)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// templateName is the name of the WorkflowTemplate arg names: NAME, or KIND/NAME as
// templates list -o name prints it (workflowtemplate/NAME).
func templateName(arg string) (string, error) {
	name := arg
	if kind, rest, ok := strings.Cut(arg, "/"); ok {
		switch strings.ToLower(kind) {
		case "workflowtemplate", "workflowtemplates", "wftmpl", "workflowtemplate.argoproj.io", "workflowtemplates.argoproj.io":
			name = rest
		default:
			return "", fmt.Errorf("%q is not a WorkflowTemplate: give NAME or workflowtemplate/NAME (kind %q is not a WorkflowTemplate)", arg, kind)
		}
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return "", fmt.Errorf("%q is not a WorkflowTemplate name: %s", arg, strings.Join(errs, "; "))
	}
	return name, nil
}
