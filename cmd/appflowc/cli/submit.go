package cli

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing/fstest"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/render"
)

// appFlags are the flags of `submit app`, and the config path each one sets.
type appFlags struct {
	repoURL, chart, path, revision, namespace, destServer, destName, sync string
	valuesFiles, set                                                      []string
	selfHeal, prune, createNamespace                                      bool
}

// flagOf names the flag behind a config path of `submit app`, for errors.
var flagOf = map[string]string{
	"source.repoURL": "--repo-url", "source.chart": "--chart", "source.path": "--path", "source.targetRevision": "--revision",
	"source.helm.valueFiles": "--values-file", "source.helm.parameters": "--set", "destination.namespace": "--namespace",
	"destination.server": "--dest-server", "destination.name": "--dest-name", "syncPolicy": "--sync", "source": "--chart or --path",
}

func newSubmitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "submit",
		Short:   "Submit an entry from flags, without writing a config file first",
		Example: "  appflowc submit app web --repo-url https://charts.bitnami.com/bitnami --chart nginx --revision 15.4.2 --namespace web --watch",
	}
	cmd.AddCommand(newSubmitAppCmd())
	return cmd
}

func newSubmitAppCmd() *cobra.Command {
	var f appFlags
	var kf kubeFlags
	var print, watch bool
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
			data, err := yaml.Marshal(doc)
			if err != nil {
				return err
			}
			in := config.Input{FS: fstest.MapFS{"flags/submit.yaml": {Data: data}}, Paths: []string{"flags"}}
			res, err := render.Render(cmd.Context(), in, render.DefaultOptions())
			if err != nil {
				var dl diag.List
				if errors.As(err, &dl) {
					for _, d := range dl {
						fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s", flagFor(d.Path, args[0]), d.Msg)
						if d.Hint != "" {
							fmt.Fprintf(cmd.ErrOrStderr(), " (%s)", d.Hint)
						}
						fmt.Fprintln(cmd.ErrOrStderr())
					}
					return withCode(ExitUsage, fmt.Errorf("submit app: %s in the flags", plural(len(dl), "error")))
				}
				return withCode(ExitUsage, err)
			}
			if print {
				_, err := cmd.OutOrStdout().Write(data)
				return err
			}
			return runApply(cmd, &kf, res.Objects, applyRun{watch: watch, showLogs: true, preflight: true, dir: "."})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.repoURL, "repo-url", "", "Helm repository or Git URL (required)")
	fl.StringVar(&f.chart, "chart", "", "chart in the Helm repository")
	fl.StringVar(&f.path, "path", "", "directory in the Git repository")
	fl.StringVar(&f.revision, "revision", "", "chart version or Git revision")
	fl.StringVar(&f.namespace, "namespace", "", "destination namespace (default: NAME)")
	fl.StringVar(&f.destServer, "dest-server", "", "destination cluster API URL")
	fl.StringVar(&f.destName, "dest-name", "", "destination cluster name in Argo CD")
	fl.StringArrayVar(&f.valuesFiles, "values-file", nil, "Helm values file in the source (repeatable)")
	fl.StringArrayVar(&f.set, "set", nil, "Helm parameter key=value (repeatable)")
	fl.StringVar(&f.sync, "sync", "manual", "sync policy: auto or manual")
	fl.BoolVar(&f.selfHeal, "self-heal", false, "with --sync auto, undo drift in the cluster")
	fl.BoolVar(&f.prune, "prune", false, "with --sync auto, delete what the source no longer has")
	fl.BoolVar(&f.createNamespace, "create-namespace", true, "create the destination namespace if missing")
	fl.BoolVar(&print, "print", false, "print the config built from the flags (YAML) instead of applying it")
	fl.BoolVar(&watch, "watch", false, "follow the submitted Workflow until it finishes")
	kf.register(cmd)
	return cmd
}

// config builds the config tree a file would hold; only flags given become fields.
func (f appFlags) config(name string) (map[string]any, error) {
	src := map[string]any{"repoURL": f.repoURL}
	for k, v := range map[string]string{"chart": f.chart, "path": f.path, "targetRevision": f.revision} {
		if v != "" {
			src[k] = v
		}
	}
	helm := map[string]any{}
	if len(f.valuesFiles) > 0 {
		helm["valueFiles"] = f.valuesFiles
	}
	if len(f.set) > 0 {
		params := map[string]any{}
		for _, kv := range f.set {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("--set %q: use key=value", kv)
			}
			params[k] = v
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
	switch f.sync {
	case "manual":
		if f.selfHeal || f.prune {
			return nil, errors.New("--self-heal and --prune need --sync auto")
		}
		if f.createNamespace {
			entry["syncPolicy"] = map[string]any{"createNamespace": true}
		}
	case "auto":
		entry["syncPolicy"] = map[string]any{"automated": true, "selfHeal": f.selfHeal, "prune": f.prune, "createNamespace": f.createNamespace}
	default:
		return nil, fmt.Errorf("--sync %q: use auto or manual", f.sync)
	}
	return map[string]any{"applications": map[string]any{name: entry}}, nil
}

// flagFor turns a config path of the submitted entry into the flag that sets it.
func flagFor(path, name string) string {
	rest := strings.TrimPrefix(path, "applications."+name)
	rest = strings.TrimPrefix(rest, ".")
	if rest == "" {
		return "NAME " + name
	}
	keys := make([]string, 0, len(flagOf))
	for k := range flagOf {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		if rest == k || strings.HasPrefix(rest, k+".") {
			return flagOf[k]
		}
	}
	return rest
}
