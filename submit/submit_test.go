package submit

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestEntries: each form builds the entry a config file would hold (only values given
// become fields), and refuses what no file could say.
func TestEntries(t *testing.T) {
	app, err := App{Source: Source{RepoURL: "https://c.example.com", Chart: "nginx", Revision: "1.0.0", Sync: "auto", SelfHeal: true, CreateNamespace: true},
		Set: []string{"a=1"}}.Config("web")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"applications": map[string]any{"web": map[string]any{
		"source":      map[string]any{"repoURL": "https://c.example.com", "chart": "nginx", "targetRevision": "1.0.0", "helm": map[string]any{"parameters": map[string]any{"a": "1"}}},
		"destination": map[string]any{"namespace": "web"},
		"syncPolicy":  map[string]any{"automated": true, "selfHeal": true, "prune": false, "createNamespace": true},
	}}}
	if !reflect.DeepEqual(app, want) {
		t.Errorf("app:\n%v\nwant\n%v", app, want)
	}
	if _, err := (App{Source: Source{Sync: "manual", Prune: true}}).Config("web"); err == nil || !strings.Contains(err.Error(), "--sync auto") {
		t.Errorf("--prune without --sync auto: %v", err)
	}
	read := func(name string, limit int64) ([]byte, error) {
		if name == "envs.yaml" {
			return []byte("- {name: dev, cluster: dev, namespace: shop-dev}\n"), nil
		}
		return nil, errors.New("no such file")
	}
	set, err := AppSet{Source: Source{RepoURL: "https://c.example.com", Sync: "manual"}, Envs: []string{"name=prod,namespace=shop,p.replicas=3"}}.Config("shop", read)
	if err != nil {
		t.Fatal(err)
	}
	env := set["applicationSets"].(map[string]any)["shop"].(map[string]any)["environments"].([]any)[0]
	if !reflect.DeepEqual(env, map[string]any{"name": "prod", "namespace": "shop", "cluster": "https://kubernetes.default.svc", "parameters": map[string]any{"replicas": "3"}}) {
		t.Errorf("env: %v", env)
	}
	if _, err := (AppSet{Envs: []string{"name=a"}, EnvsFile: "envs.yaml"}).Config("shop", read); err == nil {
		t.Error("--env and --envs-file together were taken")
	}
	infra, err := Infra{Namespace: "pay", Secrets: []string{"db=pw:DB_PW", "db=cert:@tls/cert.pem"}}.Config("pay", read)
	if err != nil {
		t.Fatal(err)
	}
	keys := infra["infra"].(map[string]any)["pay"].(map[string]any)["secrets"].(map[string]any)["db"].(map[string]any)["keys"]
	if !reflect.DeepEqual(keys, map[string]any{"pw": map[string]any{"fromEnv": "DB_PW"}, "cert": map[string]any{"fromFile": "tls/cert.pem"}}) {
		t.Errorf("secret keys: %v", keys)
	}
	if _, err := (Infra{Namespace: "pay", ConfigMaps: []string{"cfg=missing.txt"}}).Config("pay", read); err == nil || !strings.Contains(err.Error(), "--configmap cfg") {
		t.Errorf("unreadable --configmap file: %v", err)
	}
}
