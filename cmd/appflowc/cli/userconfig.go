package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/spf13/cobra"
	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/appflowc/appflowc/apply"
	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/diag"
	"github.com/appflowc/appflowc/internal/safetext"
)

// userConfig is ~/.config/appflowc/config.yaml: defaults for the cluster commands.
// Flags given on the command line win over it.
type userConfig struct {
	// Namespace is the namespace of the cluster commands when neither -n nor the
	// kubeconfig context names one (resolveNamespace).
	Namespace string `json:"namespace,omitempty"`
	// Context is the default --context (kubeconfig context).
	Context string `json:"context,omitempty"`
	// Kubeconfig is the default --kubeconfig.
	Kubeconfig string `json:"kubeconfig,omitempty"`
	// Output is the default -o, per command (see outputDefaults).
	Output outputDefaults `json:"output,omitzero"`
	// RequestTimeout is the default --request-timeout of the cluster commands ("1m").
	RequestTimeout string `json:"requestTimeout,omitempty"`
}

// userConfigKeys are the keys of the file, in the order config view shows them.
var userConfigKeys = []string{"namespace", "context", "kubeconfig", "output", "requestTimeout"}

// outputDefaults is the output key: one format for every listing command that takes it
// (output: wide is list's wide and nobody else's, since status has no wide), or a format
// per command (output: {list: wide, status: json}), each checked against the command's
// own -o values when the file is read. A default can therefore never make a command
// fail, as output: table once made status fail.
type outputDefaults struct {
	All        string            // output: FORMAT
	PerCommand map[string]string // output: {COMMAND: FORMAT}
}

func (o outputDefaults) IsZero() bool { return o.All == "" && len(o.PerCommand) == 0 }

func (o outputDefaults) MarshalJSON() ([]byte, error) {
	if len(o.PerCommand) > 0 {
		return json.Marshal(o.PerCommand)
	}
	return json.Marshal(o.All)
}

// For is the default -o of command (its path below appflowc: "list", "templates list")
// among the values it takes, or "" for none.
func (o outputDefaults) For(command string, allowed []string) string {
	if v, ok := o.PerCommand[command]; ok {
		return v
	}
	if o.All != "" && slices.Contains(allFormatCommands, command) && slices.Contains(allowed, o.All) {
		return o.All
	}
	return ""
}

// outputCommands are the commands whose -o the file may set, with the values each
// takes (TestOutputCommandsMatchFlags keeps this in step with the flags).
var outputCommands = map[string][]string{
	"list":           {"table", "wide", "json", "yaml", "name"},
	"status":         {"text", "json", "yaml"},
	"templates list": {"table", "json", "yaml", "name"},
	"templates get":  {"text", "json", "yaml"},
	"vet":            {"text", "json"},
	"graph":          {"text", "mermaid", "dot"},
}

// allFormatCommands take output: FORMAT (one value for all): the commands that show
// cluster objects. vet and graph are set only by name (output: {vet: json}): a
// pre-commit hook's vet must not turn to JSON because someone likes JSON listings.
var allFormatCommands = []string{"list", "status", "templates list", "templates get"}

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

// maxUserConfig bounds the file: a few keys, never megabytes.
const maxUserConfig = 64 << 10

// loadUserConfig reads the file; a missing file is an empty config.
func loadUserConfig(ctx context.Context) (userConfig, string, bool, error) {
	var uc userConfig
	path, err := userConfigPath(ctx)
	if err != nil {
		return uc, "", false, nil
	}
	data, err := readUserConfig(path)
	if errors.Is(err, fs.ErrNotExist) {
		return uc, path, false, nil
	}
	if err != nil {
		return uc, path, false, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxUserConfig {
		return uc, path, true, fmt.Errorf("%s: %d bytes; a user config is at most %d", path, len(data), maxUserConfig)
	}
	uc, err = parseUserConfig(path, data)
	return uc, path, true, err
}

// readUserConfig reads at most maxUserConfig+1 bytes of a regular file (through a
// symlink, as dotfiles managers link it): a FIFO would block every command before it
// starts, /dev/zero would never end.
func readUserConfig(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	}
	return io.ReadAll(io.LimitReader(f, maxUserConfig+1))
}

// userConfigError is what is wrong with the file: positioned diagnostics, one per line.
type userConfigError struct{ diag.List }

func (e userConfigError) Lines() []string { return strings.Split(e.Error(), "\n") }

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseUserConfig reads the file as a config is read: every problem at once, each at its
// file:line:col, an unknown key with the nearest known one.
func parseUserConfig(path string, data []byte) (userConfig, error) {
	var uc userConfig
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		d := diag.Diagnostic{Pos: diag.Pos{File: path}, Msg: err.Error()}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			d.Pos.Line, _ = strconv.Atoi(m[1])
			d.Msg = m[2]
		}
		return uc, userConfigError{diag.List{d}}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 { // an empty file
		return uc, nil
	}
	pos := func(n *yaml.Node) diag.Pos { return diag.Pos{File: path, Line: n.Line, Col: n.Column} }
	var errs diag.List
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		errs.Add(pos(root), "", "the user config is a map of keys", "known keys: "+strings.Join(userConfigKeys, ", "))
		return uc, userConfigError{errs}
	}
	str := func(key string, v *yaml.Node) (string, bool) {
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || v.Tag == "!!map" || v.Tag == "!!seq" {
			errs.Add(pos(v), key, "expected a string", "")
			return "", false
		}
		if strings.IndexFunc(v.Value, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) }) >= 0 {
			errs.Add(pos(v), key, fmt.Sprintf("%s holds a control character", safetext.Field(v.Value, 64)), "write the value without escapes")
			return "", false
		}
		return v.Value, true
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			errs.Add(pos(k), k.Value, "key given twice", "")
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "namespace":
			if s, ok := str(k.Value, v); ok {
				if bad := validation.IsDNS1123Label(s); len(bad) > 0 {
					errs.Add(pos(v), k.Value, fmt.Sprintf("%q is not a namespace name", s), strings.Join(bad, "; "))
				}
				uc.Namespace = s
			}
		case "context":
			uc.Context, _ = str(k.Value, v)
		case "kubeconfig":
			uc.Kubeconfig, _ = str(k.Value, v)
		case "requestTimeout":
			if s, ok := str(k.Value, v); ok {
				if d, err := time.ParseDuration(s); err != nil || d < 0 {
					errs.Add(pos(v), k.Value, fmt.Sprintf("invalid duration %q", s), "e.g. 30s, 1m; 0 for no limit")
				}
				uc.RequestTimeout = s
			}
		case "output":
			uc.Output = parseOutput(v, pos, &errs)
		default:
			hint := "known keys: " + strings.Join(userConfigKeys, ", ")
			if sug := config.Suggest(k.Value, userConfigKeys); sug != "" {
				hint = fmt.Sprintf("did you mean %q? %s", sug, hint)
			}
			errs.Add(pos(k), k.Value, "unknown key", hint)
		}
	}
	if len(errs) > 0 {
		return uc, userConfigError{errs}
	}
	return uc, nil
}

// parseOutput reads output: FORMAT or output: {COMMAND: FORMAT}, each format checked
// against what the command(s) take.
func parseOutput(v *yaml.Node, pos func(*yaml.Node) diag.Pos, errs *diag.List) outputDefaults {
	var o outputDefaults
	switch v.Kind {
	case yaml.ScalarNode:
		for _, c := range allFormatCommands {
			if slices.Contains(outputCommands[c], v.Value) {
				o.All = v.Value
				return o
			}
		}
		errs.Add(pos(v), "output", fmt.Sprintf("no command takes -o %q", v.Value), "list: "+strings.Join(outputCommands["list"], "|")+
			"; status and templates get: "+strings.Join(outputCommands["status"], "|")+"; or one per command: output: {list: wide, status: json}")
	case yaml.MappingNode:
		o.PerCommand = map[string]string{}
		names := slices.Sorted(maps.Keys(outputCommands))
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, f := v.Content[i], v.Content[i+1]
			if _, twice := o.PerCommand[k.Value]; twice {
				errs.Add(pos(k), "output."+k.Value, "key given twice", "")
				continue
			}
			allowed, ok := outputCommands[k.Value]
			if !ok {
				hint := "commands with -o: " + strings.Join(names, ", ")
				if sug := config.Suggest(k.Value, names); sug != "" {
					hint = fmt.Sprintf("did you mean %q? %s", sug, hint)
				}
				errs.Add(pos(k), "output."+k.Value, "not a command with an output format", hint)
				continue
			}
			if f.Kind != yaml.ScalarNode || !slices.Contains(allowed, f.Value) {
				errs.Add(pos(f), "output."+k.Value, fmt.Sprintf("%s takes -o %s", k.Value, strings.Join(allowed, "|")), "")
				continue
			}
			o.PerCommand[k.Value] = f.Value
		}
	default:
		errs.Add(pos(v), "output", "expected a format (output: wide) or a format per command (output: {list: wide, status: json})", "")
	}
	return o
}

// commandPath is a command's path below appflowc ("list", "templates list").
func commandPath(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// applyUserConfig sets the flags of cmd that the command line left unset. The namespace
// is not a flag default: resolveNamespace puts the kubeconfig context's first.
func applyUserConfig(cmd *cobra.Command) error {
	uc, path, found, err := loadUserConfig(cmd.Context())
	if err != nil {
		return withCode(ExitUsage, err)
	}
	if !found {
		return nil
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
	if f := cmd.Flags().Lookup("output"); f != nil {
		if e, ok := f.Value.(*enumFlag); ok {
			if err := set("output", uc.Output.For(commandPath(cmd), e.allowed)); err != nil {
				return withCode(ExitUsage, err)
			}
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
kubeconfig, requestTimeout (defaults of the cluster commands' flags) and output: one
format (output: wide) used by each of list, status, templates list and templates get
that takes it, or a format per command (output: {list: wide, status: json, vet: json}).
The namespace comes after -n and the kubeconfig context's namespace. Flags on the command
line always win. The file is checked as a config is: each problem at file:line:col.`,
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
			// The namespace below is the file's (or argo): -n and the kubeconfig context's
			// namespace come first, and view does not read the kubeconfig to say which wins.
			fmt.Fprintln(cmd.OutOrStdout(), "# namespace: used when neither -n nor the kubeconfig context names one")
			eff := uc
			if eff.Namespace == "" {
				eff.Namespace = "argo"
			}
			if eff.Output.IsZero() {
				eff.Output.All = "table"
			}
			if eff.RequestTimeout == "" {
				eff.RequestTimeout = apply.DefaultRequestTimeout.String()
			}
			data, err := sigsyaml.Marshal(eff)
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
