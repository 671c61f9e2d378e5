// Package submit builds, from a command line's values, the config entry a file would hold
// (appflowc submit app|appset|infra): the entry then takes the path of any config, through
// every check. Errors name the flag; values that come from files are read through the
// caller's ReadFile, on the operator's machine.
package submit

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// ReadFile reads a file a flag names, at most limit bytes (the caller's rules: regular
// files only).
type ReadFile func(name string, limit int64) ([]byte, error)

// Source is the source and sync of submit app and submit appset.
type Source struct {
	RepoURL, Chart, Path, Revision, Sync string
	SelfHeal, Prune, CreateNamespace     bool
}

// App is submit app.
type App struct {
	Source
	Namespace, DestServer, DestName string
	ValuesFiles, Set                []string
}

// AppSet is submit appset.
type AppSet struct {
	Source
	Envs     []string
	EnvsFile string
}

// Infra is submit infra.
type Infra struct {
	Namespace                   string
	Labels, ConfigMaps, Secrets []string
}

// source is the entry's source; only flags given become fields.
func (f Source) source() map[string]any {
	src := map[string]any{"repoURL": f.RepoURL}
	for k, v := range map[string]string{"chart": f.Chart, "path": f.Path, "targetRevision": f.Revision} {
		if v != "" {
			src[k] = v
		}
	}
	return src
}

// syncPolicy is the entry's syncPolicy, or nil for none.
func (f Source) syncPolicy() (map[string]any, error) {
	switch f.Sync {
	case "manual":
		if f.SelfHeal || f.Prune {
			return nil, errors.New("--self-heal and --prune need --sync auto")
		}
		if f.CreateNamespace {
			return map[string]any{"createNamespace": true}, nil
		}
		return nil, nil
	case "auto":
		return map[string]any{"automated": true, "selfHeal": f.SelfHeal, "prune": f.Prune, "createNamespace": f.CreateNamespace}, nil
	default:
		return nil, fmt.Errorf("--sync %q: use auto or manual", f.Sync)
	}
}

// Config builds the config tree a file would hold; only values given become fields.
func (f App) Config(name string) (map[string]any, error) {
	src := f.source()
	helm := map[string]any{}
	if len(f.ValuesFiles) > 0 {
		helm["valueFiles"] = f.ValuesFiles
	}
	if len(f.Set) > 0 {
		params, err := keyValues("--set", f.Set)
		if err != nil {
			return nil, err
		}
		helm["parameters"] = params
	}
	if len(helm) > 0 {
		src["helm"] = helm
	}
	ns := f.Namespace
	if ns == "" {
		ns = name
	}
	dst := map[string]any{"namespace": ns}
	if f.DestServer != "" {
		dst["server"] = f.DestServer
	}
	if f.DestName != "" {
		dst["name"] = f.DestName
	}
	entry := map[string]any{"source": src, "destination": dst}
	sp, err := f.syncPolicy()
	if err != nil {
		return nil, err
	}
	if sp != nil {
		entry["syncPolicy"] = sp
	}
	return map[string]any{"applications": map[string]any{name: entry}}, nil
}

// keyValues reads repeated key=value flags into a map.
func keyValues(flag string, kvs []string) (map[string]any, error) {
	m := map[string]any{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: use key=value", flag, kv)
		}
		m[k] = v
	}
	return m, nil
}

// Config builds the entry; read reads --envs-file.
func (f AppSet) Config(name string, read ReadFile) (map[string]any, error) {
	if len(f.Envs) > 0 && f.EnvsFile != "" {
		return nil, errors.New("--env and --envs-file: use one of them")
	}
	var envs []any
	if f.EnvsFile != "" {
		data, err := read(f.EnvsFile, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("--envs-file: %w", err)
		}
		if err := yaml.Unmarshal(data, &envs); err != nil {
			return nil, fmt.Errorf("--envs-file %s: not a list of environments: %w", f.EnvsFile, err)
		}
	}
	for i, spec := range f.Envs {
		env, err := parseEnv(spec)
		if err != nil {
			return nil, fmt.Errorf("--env #%d %q: %w", i+1, spec, err)
		}
		envs = append(envs, env)
	}
	entry := map[string]any{"source": f.source()}
	if envs != nil {
		entry["environments"] = envs
	}
	sp, err := f.syncPolicy()
	if err != nil {
		return nil, err
	}
	if sp != nil {
		entry["syncPolicy"] = sp
	}
	return map[string]any{"applicationSets": map[string]any{name: entry}}, nil
}

// parseEnv reads name=dev,namespace=shop-dev,cluster=...,values=f.yaml,p.replicaCount=3.
func parseEnv(spec string) (map[string]any, error) {
	env := map[string]any{}
	params := map[string]any{}
	var values []any
	for _, part := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(part, "=")
		switch {
		case !ok || k == "":
			return nil, fmt.Errorf("%q: use key=value", part)
		case k == "name" || k == "namespace" || k == "cluster":
			if _, dup := env[k]; dup {
				return nil, fmt.Errorf("%s given twice", k)
			}
			env[k] = v
		case k == "values":
			values = append(values, v)
		case strings.HasPrefix(k, "p.") && len(k) > 2:
			params[k[2:]] = v
		default:
			return nil, fmt.Errorf("unknown key %q (use name, namespace, cluster, values or p.PARAMETER)", k)
		}
	}
	if _, ok := env["cluster"]; !ok {
		env["cluster"] = inClusterServer
	}
	if values != nil {
		env["valueFiles"] = values
	}
	if len(params) > 0 {
		env["parameters"] = params
	}
	return env, nil
}

// inClusterServer is the destination of an environment that names no cluster.
const inClusterServer = "https://kubernetes.default.svc"

func (f Infra) Config(name string, read ReadFile) (map[string]any, error) {
	entry := map[string]any{}
	if f.Namespace != "" {
		entry["namespace"] = f.Namespace
	}
	if len(f.Labels) > 0 {
		labels, err := keyValues("--label", f.Labels)
		if err != nil {
			return nil, err
		}
		entry["labels"] = labels
	}
	cms := map[string]any{}
	for _, spec := range f.ConfigMaps {
		cm, rest, ok := strings.Cut(spec, "=")
		if !ok || cm == "" || rest == "" {
			return nil, fmt.Errorf("--configmap %q: use NAME=FILE or NAME=KEY=FILE", spec)
		}
		key, file, explicit := strings.Cut(rest, "=")
		if !explicit {
			key, file = filepath.Base(rest), rest
		}
		data, err := read(file, 1<<20) // a ConfigMap holds at most 1 MiB
		if err != nil {
			return nil, fmt.Errorf("--configmap %s: %w", cm, err)
		}
		m, _ := cms[cm].(map[string]any)
		if m == nil {
			m = map[string]any{}
			cms[cm] = m
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("--configmap %s: key %q given twice", cm, key)
		}
		m[key] = string(data)
	}
	if len(cms) > 0 {
		entry["configMaps"] = cms
	}
	secrets := map[string]any{}
	for _, spec := range f.Secrets {
		sec, rest, ok := strings.Cut(spec, "=")
		key, source, ok2 := strings.Cut(rest, ":")
		if !ok || !ok2 || sec == "" || key == "" || source == "" {
			return nil, fmt.Errorf("--secret %q: use NAME=KEY:ENVVAR or NAME=KEY:@PATH", spec)
		}
		ref := map[string]any{"fromEnv": source}
		if strings.HasPrefix(source, "@") {
			ref = map[string]any{"fromFile": source[1:]}
		}
		s, _ := secrets[sec].(map[string]any)
		if s == nil {
			s = map[string]any{"keys": map[string]any{}}
			secrets[sec] = s
		}
		keys := s["keys"].(map[string]any)
		if _, dup := keys[key]; dup {
			return nil, fmt.Errorf("--secret %s: key %q given twice", sec, key)
		}
		keys[key] = ref
	}
	if len(secrets) > 0 {
		entry["secrets"] = secrets
	}
	return map[string]any{"infra": map[string]any{name: entry}}, nil
}
