package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/appflowc/appflowc/apply"
)

// userConfig is ~/.config/appflowc/config.yaml: defaults for the cluster commands.
// Flags given on the command line win over it.
type userConfig struct {
	// Namespace is the default -n of list, status, logs, delete and templates.
	Namespace string `json:"namespace,omitempty"`
	// Context is the default --context (kubeconfig context).
	Context string `json:"context,omitempty"`
	// Kubeconfig is the default --kubeconfig.
	Kubeconfig string `json:"kubeconfig,omitempty"`
	// Output is the default -o of list, status and templates list (table|wide|json|yaml|name).
	Output string `json:"output,omitempty"`
	// RequestTimeout is the default --request-timeout of the cluster commands ("1m").
	RequestTimeout string `json:"requestTimeout,omitempty"`
}

// userConfigPath follows the XDG base directory spec; APPFLOWC_CONFIG overrides it.
func userConfigPath(ctx context.Context) (string, error) {
	if p := getenv(ctx, "APPFLOWC_CONFIG"); p != "" {
		return p, nil
	}
	dir := getenv(ctx, "XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv(ctx, "HOME")
		if home == "" {
			return "", errors.New("$HOME is not defined")
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "appflowc", "config.yaml"), nil
}

// loadUserConfig reads the file; a missing file is an empty config.
func loadUserConfig(ctx context.Context) (userConfig, string, bool, error) {
	var uc userConfig
	path, err := userConfigPath(ctx)
	if err != nil {
		return uc, "", false, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return uc, path, false, nil
	}
	if err != nil {
		return uc, path, false, fmt.Errorf("%s: %w", path, err)
	}
	if err := yaml.UnmarshalStrict(data, &uc); err != nil {
		return uc, path, true, fmt.Errorf("%s: %w (known keys: namespace, context, kubeconfig, output, requestTimeout)", path, err)
	}
	return uc, path, true, nil
}

// formatCommands take the config's output default; other commands' -o means something
// else (render's output directory, vet's text|json).
var formatCommands = map[string]bool{"list": true, "status": true, "templates list": true}

// applyUserConfig sets the flags of cmd that the command line left unset.
func applyUserConfig(cmd *cobra.Command) error {
	uc, path, found, err := loadUserConfig(cmd.Context())
	if err != nil || !found {
		return err
	}
	set := func(name, value string) error {
		f := cmd.Flags().Lookup(name)
		if f == nil || f.Changed || value == "" {
			return nil
		}
		if err := f.Value.Set(value); err != nil {
			return fmt.Errorf("%s: %s: %w", path, name, err)
		}
		return nil
	}
	name := cmd.Name()
	if cmd.HasParent() && cmd.Parent().HasParent() {
		name = cmd.Parent().Name() + " " + name
	}
	if formatCommands[name] {
		if err := set("output", uc.Output); err != nil {
			return withCode(ExitUsage, err)
		}
	}
	for _, kv := range [][2]string{{"context", uc.Context}, {"kubeconfig", uc.Kubeconfig}, {"request-timeout", uc.RequestTimeout}} {
		if err := set(kv[0], kv[1]); err != nil {
			return withCode(ExitUsage, err)
		}
	}
	return nil
}

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "config",
		Example: "  appflowc config view",
		Short:   "Show appflowc's user configuration (~/.config/appflowc/config.yaml)",
	}
	view := &cobra.Command{
		Use:     "view",
		Example: "  appflowc config view\n  APPFLOWC_CONFIG=./team.yaml appflowc config view",
		Short:   "Print the user configuration file's path and its effective values",
		Long: `view prints where appflowc looks for its user configuration
($APPFLOWC_CONFIG, else $XDG_CONFIG_HOME/appflowc/config.yaml, else
~/.config/appflowc/config.yaml) and the defaults it sets. Keys: namespace, context,
kubeconfig, requestTimeout (defaults of the cluster commands' flags) and output (default
-o of list, status and templates list). Flags on the command line always win.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			uc, path, found, err := loadUserConfig(cmd.Context())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			state := "found"
			if !found {
				state = "not found; built-in defaults apply"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "# %s (%s)\n", path, state)
			eff := uc
			if eff.Namespace == "" {
				eff.Namespace = "argo"
			}
			if eff.Output == "" {
				eff.Output = "table"
			}
			if eff.RequestTimeout == "" {
				eff.RequestTimeout = apply.DefaultRequestTimeout.String()
			}
			data, err := yaml.Marshal(eff)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	}
	cmd.AddCommand(view)
	return cmd
}
