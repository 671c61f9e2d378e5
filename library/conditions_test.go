package library

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
)

// TestResourceConditionsParseLikeArgosExecutor parses every successCondition and
// failureCondition, after substitution, with labels.Parse, as Argo's executor does
// (workflow/executor/resource.go): a condition it cannot parse fails the step at run
// time, and Argo's offline validation does not check them.
func TestResourceConditionsParseLikeArgosExecutor(t *testing.T) {
	wts, err := Templates(testSettings(), nil)
	if err != nil {
		t.Fatal(err)
	}
	params := appParams(map[string]string{"secret": `{"name":"db","keys":["password","tls.crt"]}`, "configmap": `{"name":"c","data":{}}`,
		"appset_name": "shop", "application": "shop-dev", "environments": "[]", "generator_type": "list", "git_generator": "{}",
		"preserve_resources": "true", "default_server": "https://kubernetes.default.svc", "namespace_labels": "{}", "configmaps": "[]", "secrets": "[]", "custom_scripts": "[]"})
	for _, wt := range wts {
		for i := range wt.Spec.Templates {
			tmpl := &wt.Spec.Templates[i]
			if tmpl.Resource == nil {
				continue
			}
			sub := substitute(t, tmpl, params)
			for _, cond := range []string{sub.Resource.SuccessCondition, sub.Resource.FailureCondition} {
				if cond == "" || strings.Contains(cond, "{{") {
					continue
				}
				if _, err := labels.Parse(cond); err != nil {
					t.Errorf("%s/%s: condition %q: %v", wt.Name, tmpl.Name, cond, err)
				}
			}
		}
	}
}
