package cli

import (
	"errors"
	"fmt"
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
	"github.com/appflowc/appflowc/submit"
)

// registerSource binds the source and sync flags shared by `submit app` and `submit appset`.
func registerSource(fl *pflag.FlagSet, f *submit.Source) {
	fl.StringVar(&f.RepoURL, "repo-url", "", "Helm repository or Git URL (required)")
	fl.StringVar(&f.Chart, "chart", "", "chart in the Helm repository")
	fl.StringVar(&f.Path, "path", "", "directory in the Git repository")
	fl.StringVar(&f.Revision, "revision", "", "chart version or Git revision")
	fl.StringVar(&f.Sync, "sync", "manual", "sync policy: auto or manual")
	fl.BoolVar(&f.SelfHeal, "self-heal", false, "with --sync auto, undo drift in the cluster")
	fl.BoolVar(&f.Prune, "prune", false, "with --sync auto, delete what the source no longer has")
	fl.BoolVar(&f.CreateNamespace, "create-namespace", true, "create the destination namespace if missing")
}

// sourceFlagNames name the shared flags behind config paths, for errors.
var sourceFlagNames = flagNames{
	"source.repoURL": "--repo-url", "source.chart": "--chart", "source.path": "--path", "source.targetRevision": "--revision",
	"syncPolicy": "--sync", "source": "--chart or --path",
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
	var f submit.App
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
			doc, err := f.Config(args[0])
			if err != nil {
				return withCode(ExitUsage, err)
			}
			return o.submit(cmd, submission{what: "submit app", section: "applications", name: args[0], doc: doc, flags: appFlagNames})
		},
	}
	fl := cmd.Flags()
	registerSource(fl, &f.Source)
	fl.StringVar(&f.Namespace, "namespace", "", "destination namespace (default: NAME)")
	fl.StringVar(&f.DestServer, "dest-server", "", "destination cluster API URL")
	fl.StringVar(&f.DestName, "dest-name", "", "destination cluster name in Argo CD")
	fl.StringArrayVar(&f.ValuesFiles, "values-file", nil, "Helm values file in the source (repeatable)")
	fl.StringArrayVar(&f.Set, "set", nil, "Helm parameter key=value (repeatable)")
	o.register(cmd)
	return cmd
}

func newSubmitAppSetCmd() *cobra.Command {
	var f submit.AppSet
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
			doc, err := f.Config(args[0], readFlagFile)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			envFlag := "--env #"
			if f.EnvsFile != "" {
				envFlag = "--envs-file"
			}
			names := sourceFlagNames.with(flagNames{"environments": envFlag})
			return o.submit(cmd, submission{what: "submit appset", section: "applicationSets", name: args[0], doc: doc, flags: names})
		},
	}
	fl := cmd.Flags()
	registerSource(fl, &f.Source)
	fl.StringArrayVar(&f.Envs, "env", nil, "one environment: name=N,namespace=NS[,cluster=C][,values=F][,p.KEY=VALUE] (repeatable)")
	fl.StringVar(&f.EnvsFile, "envs-file", "", "JSON or YAML file with the list of environments")
	o.register(cmd)
	return cmd
}

var infraFlagNames = flagNames{"namespace": "--namespace", "labels": "--label", "configMaps": "--configmap", "secrets": "--secret"}

func newSubmitInfraCmd() *cobra.Command {
	var f submit.Infra
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
			name := f.Namespace
			if len(args) == 1 {
				name = args[0]
			}
			if name == "" {
				return withCode(ExitUsage, errors.New("submit infra: --namespace is required"))
			}
			doc, err := f.Config(name, readFlagFile)
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
	fl.StringVar(&f.Namespace, "namespace", "", "the namespace to provision (required)")
	fl.StringArrayVar(&f.Labels, "label", nil, "namespace label key=value (repeatable)")
	fl.StringArrayVar(&f.ConfigMaps, "configmap", nil, "NAME=FILE or NAME=KEY=FILE: a ConfigMap key from a file (repeatable)")
	fl.StringArrayVar(&f.Secrets, "secret", nil, "NAME=KEY:ENVVAR or NAME=KEY:@PATH: a Secret key read at apply time (repeatable)")
	o.register(cmd)
	return cmd
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
