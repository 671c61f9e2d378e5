package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing/fstest"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/frontend"
	"github.com/appflowc/appflowc/internal/plural"
)

// sourceFlags are the source and sync flags shared by `submit app` and `submit appset`.
type sourceFlags struct {
	repoURL, chart, path, revision, sync string
	selfHeal, prune, createNamespace     bool
}

func (f *sourceFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.repoURL, "repo-url", "", "Helm repository or Git URL (required)")
	fl.StringVar(&f.chart, "chart", "", "chart in the Helm repository")
	fl.StringVar(&f.path, "path", "", "directory in the Git repository")
	fl.StringVar(&f.revision, "revision", "", "chart version or Git revision")
	fl.StringVar(&f.sync, "sync", "manual", "sync policy: auto or manual")
	fl.BoolVar(&f.selfHeal, "self-heal", false, "with --sync auto, undo drift in the cluster")
	fl.BoolVar(&f.prune, "prune", false, "with --sync auto, delete what the source no longer has")
	fl.BoolVar(&f.createNamespace, "create-namespace", true, "create the destination namespace if missing")
}

// source is the entry's source; only flags given become fields.
func (f sourceFlags) source() map[string]any {
	src := map[string]any{"repoURL": f.repoURL}
	for k, v := range map[string]string{"chart": f.chart, "path": f.path, "targetRevision": f.revision} {
		if v != "" {
			src[k] = v
		}
	}
	return src
}

// syncPolicy is the entry's syncPolicy, or nil for none.
func (f sourceFlags) syncPolicy() (map[string]any, error) {
	switch f.sync {
	case "manual":
		if f.selfHeal || f.prune {
			return nil, errors.New("--self-heal and --prune need --sync auto")
		}
		if f.createNamespace {
			return map[string]any{"createNamespace": true}, nil
		}
		return nil, nil
	case "auto":
		return map[string]any{"automated": true, "selfHeal": f.selfHeal, "prune": f.prune, "createNamespace": f.createNamespace}, nil
	default:
		return nil, fmt.Errorf("--sync %q: use auto or manual", f.sync)
	}
}

// sourceFlagNames name the shared flags behind config paths, for errors.
var sourceFlagNames = flagNames{
	"source.repoURL": "--repo-url", "source.chart": "--chart", "source.path": "--path", "source.targetRevision": "--revision",
	"syncPolicy": "--sync", "source": "--chart or --path",
}

// appFlags are the flags of `submit app`.
type appFlags struct {
	sourceFlags
	namespace, destServer, destName string
	valuesFiles, set                []string
}

var appFlagNames = sourceFlagNames.with(flagNames{
	"source.helm.valueFiles": "--values-file", "source.helm.parameters": "--set", "destination.namespace": "--namespace",
	"destination.server": "--dest-server", "destination.name": "--dest-name",
})

func newSubmitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "submit",
		Short: "Submit an entry from flags, without writing a config file first",
		Example: `  appflowc submit app web --repo-url https://charts.bitnami.com/bitnami --chart nginx --revision 15.4.2 --namespace web --watch
  appflowc submit appset shop --repo-url https://charts.bitnami.com/bitnami --chart nginx --revision 15.4.2 --env name=dev,namespace=shop-dev --env name=prod,namespace=shop-prod
  appflowc submit infra payments --namespace payments --configmap payments-config=app.properties --secret payments-db=password:DB_PASSWORD`,
	}
	cmd.AddCommand(newSubmitAppCmd(), newSubmitAppSetCmd(), newSubmitInfraCmd())
	return cmd
}

// submitOpts are the flags every submit form has.
type submitOpts struct {
	kf           kubeFlags
	print, watch bool
	timeout      time.Duration
}

func (o *submitOpts) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.print, "print", false, "print the config built from the flags (YAML) instead of applying it")
	cmd.Flags().BoolVarP(&o.watch, "watch", "w", false, "follow the submitted Workflow until it finishes")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 0, "give up after this long (e.g. 30m); 0 waits indefinitely")
	o.kf.register(cmd)
}

// submit sends the entry s built from flags on its way.
func (o *submitOpts) submit(cmd *cobra.Command, s submission) error {
	s.print, s.watch, s.timeout = o.print, o.watch, o.timeout
	return submitEntry(cmd, &o.kf, s)
}

func newSubmitAppCmd() *cobra.Command {
	var f appFlags
	var o submitOpts
	cmd := &cobra.Command{
		Use:   "app NAME --repo-url URL (--chart C | --path P) [flags]",
		Short: "Submit one Argo CD Application from flags",
		Long: `submit app builds the config entry applications.NAME from its flags and takes the
same path as a config file: every check of vet (errors name the flag), render in memory,
pre-flight, apply. --print shows the config it built instead, to save as a file.`,
		Example: `  appflowc submit app web --repo-url https://charts.bitnami.com/bitnami --chart nginx --revision 15.4.2 --namespace web --sync auto --self-heal --watch
  appflowc submit app api --repo-url https://github.com/acme/deploy.git --path charts/api --namespace api --print > api.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := f.config(args[0])
			if err != nil {
				return withCode(ExitUsage, err)
			}
			return o.submit(cmd, submission{what: "submit app", section: "applications", name: args[0], doc: doc, flags: appFlagNames})
		},
	}
	fl := cmd.Flags()
	f.sourceFlags.register(fl)
	fl.StringVar(&f.namespace, "namespace", "", "destination namespace (default: NAME)")
	fl.StringVar(&f.destServer, "dest-server", "", "destination cluster API URL")
	fl.StringVar(&f.destName, "dest-name", "", "destination cluster name in Argo CD")
	fl.StringArrayVar(&f.valuesFiles, "values-file", nil, "Helm values file in the source (repeatable)")
	fl.StringArrayVar(&f.set, "set", nil, "Helm parameter key=value (repeatable)")
	o.register(cmd)
	return cmd
}

// config builds the config tree a file would hold; only flags given become fields.
func (f appFlags) config(name string) (map[string]any, error) {
	src := f.source()
	helm := map[string]any{}
	if len(f.valuesFiles) > 0 {
		helm["valueFiles"] = f.valuesFiles
	}
	if len(f.set) > 0 {
		params, err := keyValues("--set", f.set)
		if err != nil {
			return nil, err
		}
		helm["parameters"] = params
	}
	if len(helm) > 0 {
		src["helm"] = helm
	}
	ns := f.namespace
	if ns == "" {
		ns = name
	}
	dst := map[string]any{"namespace": ns}
	if f.destServer != "" {
		dst["server"] = f.destServer
	}
	if f.destName != "" {
		dst["name"] = f.destName
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

// appSetFlags are the flags of `submit appset`.
type appSetFlags struct {
	sourceFlags
	envs     []string
	envsFile string
}

func newSubmitAppSetCmd() *cobra.Command {
	var f appSetFlags
	var o submitOpts
	cmd := &cobra.Command{
		Use:   "appset NAME --repo-url URL (--chart C | --path P) (--env name=N,namespace=NS[,cluster=C][,values=F]... | --envs-file F.json) [flags]",
		Short: "Submit one Argo CD ApplicationSet over several environments from flags",
		Long: `submit appset builds the config entry applicationSets.NAME from its flags and takes
the same path as a config file (vet's checks with errors naming the flag, render, pre-flight,
apply). Each --env is one environment: name and namespace, optionally cluster (a https://
API URL or an Argo CD cluster name; default the in-cluster server), values (a Helm values
file in the source, repeatable inside one --env) and p.KEY=VALUE Helm parameters. Or
--envs-file: a JSON (or YAML) list of {name, cluster, namespace, valueFiles, parameters},
as environments: in a config file.`,
		Example: `  appflowc submit appset shop --repo-url https://charts.bitnami.com/bitnami --chart nginx --revision 15.4.2 --sync auto \
    --env name=dev,namespace=shop-dev,values=values-dev.yaml --env name=prod,namespace=shop-prod,p.replicaCount=3
  appflowc submit appset shop --repo-url https://charts.bitnami.com/bitnami --chart nginx --revision 15.4.2 --envs-file envs.json --print`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, names, err := f.config(args[0])
			if err != nil {
				return withCode(ExitUsage, err)
			}
			return o.submit(cmd, submission{what: "submit appset", section: "applicationSets", name: args[0], doc: doc, flags: names})
		},
	}
	fl := cmd.Flags()
	f.sourceFlags.register(fl)
	fl.StringArrayVar(&f.envs, "env", nil, "one environment: name=N,namespace=NS[,cluster=C][,values=F][,p.KEY=VALUE] (repeatable)")
	fl.StringVar(&f.envsFile, "envs-file", "", "JSON or YAML file with the list of environments")
	o.register(cmd)
	return cmd
}

// config builds the entry, and the flag names its errors are reported under (--env
// or --envs-file for the environments).
func (f appSetFlags) config(name string) (map[string]any, flagNames, error) {
	if len(f.envs) > 0 && f.envsFile != "" {
		return nil, nil, errors.New("--env and --envs-file: use one of them")
	}
	var envs []any
	envFlag := "--env #"
	if f.envsFile != "" {
		envFlag = "--envs-file"
		data, err := readFlagFile(f.envsFile, 1<<20)
		if err != nil {
			return nil, nil, fmt.Errorf("--envs-file: %w", err)
		}
		if err := yaml.Unmarshal(data, &envs); err != nil {
			return nil, nil, fmt.Errorf("--envs-file %s: not a list of environments: %w", f.envsFile, err)
		}
	}
	for i, spec := range f.envs {
		env, err := parseEnv(spec)
		if err != nil {
			return nil, nil, fmt.Errorf("--env #%d %q: %w", i+1, spec, err)
		}
		envs = append(envs, env)
	}
	entry := map[string]any{"source": f.source()}
	if envs != nil {
		entry["environments"] = envs
	}
	sp, err := f.syncPolicy()
	if err != nil {
		return nil, nil, err
	}
	if sp != nil {
		entry["syncPolicy"] = sp
	}
	return map[string]any{"applicationSets": map[string]any{name: entry}}, sourceFlagNames.with(flagNames{"environments": envFlag}), nil
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

// infraFlags are the flags of `submit infra`.
type infraFlags struct {
	namespace                   string
	labels, configMaps, secrets []string
}

var infraFlagNames = flagNames{"namespace": "--namespace", "labels": "--label", "configMaps": "--configmap", "secrets": "--secret"}

func newSubmitInfraCmd() *cobra.Command {
	var f infraFlags
	var o submitOpts
	cmd := &cobra.Command{
		Use:   "infra [NAME] --namespace NS [--label k=v]... [--configmap NAME=FILE]... [--secret NAME=KEY:ENVVAR]... [flags]",
		Short: "Submit the prerequisites of one namespace from flags",
		Long: `submit infra builds the config entry infra.NAME (NAME defaults to the namespace) from
its flags and takes the same path as a config file. --configmap NAME=FILE adds the file's
content to ConfigMap NAME under the file's base name (NAME=KEY=FILE picks the key), as
kubectl create configmap --from-file does. --secret NAME=KEY:ENVVAR declares key KEY of
Secret NAME, read from environment variable ENVVAR at apply time (NAME=KEY:@PATH reads a
file); values never appear in the config, the output or the cluster's Workflow objects.`,
		Example: `  appflowc submit infra payments --namespace payments --label team=payments \
    --configmap payments-config=app.properties --secret payments-db=password:DB_PASSWORD --watch`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := f.namespace
			if len(args) == 1 {
				name = args[0]
			}
			if name == "" {
				return withCode(ExitUsage, errors.New("submit infra: --namespace is required"))
			}
			doc, err := f.config(name)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			names := infraFlagNames
			if len(args) == 0 { // the entry is named after --namespace
				names = names.with(flagNames{"": "--namespace"})
			}
			return o.submit(cmd, submission{what: "submit infra", section: "infra", name: name, doc: doc, flags: names})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.namespace, "namespace", "", "the namespace to provision (required)")
	fl.StringArrayVar(&f.labels, "label", nil, "namespace label key=value (repeatable)")
	fl.StringArrayVar(&f.configMaps, "configmap", nil, "NAME=FILE or NAME=KEY=FILE: a ConfigMap key from a file (repeatable)")
	fl.StringArrayVar(&f.secrets, "secret", nil, "NAME=KEY:ENVVAR or NAME=KEY:@PATH: a Secret key read at apply time (repeatable)")
	o.register(cmd)
	return cmd
}

func (f infraFlags) config(name string) (map[string]any, error) {
	entry := map[string]any{}
	if f.namespace != "" {
		entry["namespace"] = f.namespace
	}
	if len(f.labels) > 0 {
		labels, err := keyValues("--label", f.labels)
		if err != nil {
			return nil, err
		}
		entry["labels"] = labels
	}
	cms := map[string]any{}
	for _, spec := range f.configMaps {
		cm, rest, ok := strings.Cut(spec, "=")
		if !ok || cm == "" || rest == "" {
			return nil, fmt.Errorf("--configmap %q: use NAME=FILE or NAME=KEY=FILE", spec)
		}
		key, file, explicit := strings.Cut(rest, "=")
		if !explicit {
			key, file = filepath.Base(rest), rest
		}
		data, err := readFlagFile(file, 1<<20) // a ConfigMap holds at most 1 MiB
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
	for _, spec := range f.secrets {
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

// submission is one entry built from flags, on its way through the config path.
type submission struct {
	what          string         // the command, for messages
	section, name string         // where the entry sits in the config
	doc           map[string]any // the config tree a file would hold
	flags         flagNames      // the flag behind each config path of the entry
	print, watch  bool
	timeout       time.Duration
}

// submitEntry takes a config built from flags the way apply takes a file: vet's checks
// (errors name the flag), render in memory, then --print or pre-flight and apply.
func submitEntry(cmd *cobra.Command, kf *kubeFlags, s submission) error {
	data, err := yaml.Marshal(s.doc)
	if err != nil {
		return err
	}
	in := config.Input{FS: fstest.MapFS{"flags/submit.yaml": {Data: data}}, Paths: []string{"flags"}}
	res, err := compileConfig(cmd.Context(), cmd, in)
	if err != nil {
		var dl diag.List
		if errors.As(err, &dl) {
			// Two config paths can come from one flag (infra's name and namespace):
			// each message once.
			var lines []string
			seen := map[string]bool{}
			for _, d := range dl {
				line := s.flags.of(d.Path, s.section, s.name) + ": " + d.Msg
				if d.Hint != "" {
					line += " (" + d.Hint + ")"
				}
				if !seen[line] {
					seen[line] = true
					lines = append(lines, line)
				}
			}
			fmt.Fprintln(cmd.ErrOrStderr(), strings.Join(lines, "\n"))
			return withCode(ExitFailed, fmt.Errorf("%s: %s in the flags", s.what, plural.N(len(lines), "error")))
		}
		return withCode(ExitUsage, err)
	}
	if s.print {
		_, err := cmd.OutOrStdout().Write(data)
		return err
	}
	// Secret values are read now, as apply does for a config (fromFile relative to the
	// working directory); they go to the cluster only, never into the printed config.
	secrets, err := apply.Secrets(frontend.SecretDecls(res.Config), secretSource(cmd.Context(), "."))
	if err != nil {
		return withCode(ExitUsage, fmt.Errorf("%s: %w", s.what, err))
	}
	return runApply(cmd, kf, append(secrets, res.Objects...), applyRun{watch: s.watch, showLogs: true, preflight: true, timeout: s.timeout, dir: "."})
}

// flagNames maps a config path inside a submitted entry to the flag that sets it.
type flagNames map[string]string

// with returns f and more in one new map.
func (f flagNames) with(more flagNames) flagNames {
	out := flagNames{}
	for k, v := range f {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// of turns a config path of the submitted entry into the flag that sets it; what
// follows the flag's own path (an element, a key) is kept in brackets. A flag name
// ending in " #" is a repeated flag whose list elements are counted from 1; the key ""
// names the flag the entry's name comes from (default: the NAME argument).
func (f flagNames) of(path, section, name string) string {
	prefix := section + "." + name
	if !strings.HasPrefix(path, prefix) {
		return path
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(path, prefix), ".")
	if rest == "" {
		if f[""] != "" {
			return f[""]
		}
		return "NAME " + name
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		switch {
		case rest == k:
			return f[k]
		case strings.HasPrefix(rest, k+"."), strings.HasPrefix(rest, k+"["):
			sub := strings.TrimPrefix(strings.TrimPrefix(rest, k), ".")
			// A repeated flag's element is named by its place on the command line.
			var i int
			if flag, ok := strings.CutSuffix(f[k], " #"); ok {
				if n, _ := fmt.Sscanf(sub, "[%d]", &i); n == 1 {
					sub = strings.TrimPrefix(sub[strings.IndexByte(sub, ']')+1:], ".")
					if sub == "" {
						return fmt.Sprintf("%s #%d", flag, i+1)
					}
					return fmt.Sprintf("%s #%d (%s)", flag, i+1, sub)
				}
				return flag + " (" + sub + ")"
			}
			return f[k] + " (" + sub + ")"
		}
	}
	return rest
}
