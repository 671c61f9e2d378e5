package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// enumFlag rejects values outside a fixed set while flags are parsed, naming the choices.
type enumFlag struct {
	allowed []string
	value   string
}

func (e *enumFlag) String() string { return e.value }
func (e *enumFlag) Type() string   { return "string" }
func (e *enumFlag) Set(v string) error {
	if !slices.Contains(e.allowed, v) {
		return fmt.Errorf("must be one of: %s", strings.Join(e.allowed, "|"))
	}
	e.value = v
	return nil
}
func (e *enumFlag) help(what string) string {
	return fmt.Sprintf("%s, one of: %s", what, strings.Join(e.allowed, "|"))
}

// ageFlag is a duration as argo's --since and --older take it: Go's (90s, 10m, 3h) or
// a whole number of days (1d, 7d), which Go's parser does not know.
type ageFlag struct{ d time.Duration }

func (a *ageFlag) String() string {
	if a.d == 0 {
		return ""
	}
	return a.d.String()
}
func (a *ageFlag) Type() string { return "duration" }
func (a *ageFlag) Set(v string) error {
	d, err := parseAge(v)
	if err != nil {
		return err
	}
	a.d = d
	return nil
}

// parseAge reads 10m, 3h, 1d or 2d12h; a negative or zero age is refused.
func parseAge(v string) (time.Duration, error) {
	orig := v
	var days time.Duration
	if i := strings.IndexByte(v, 'd'); i > 0 {
		n, err := strconv.ParseUint(v[:i], 10, 16)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q (e.g. 90s, 10m, 3h, 1d)", v)
		}
		days, v = time.Duration(n)*24*time.Hour, v[i+1:]
		if v == "" {
			if days == 0 {
				return 0, fmt.Errorf("invalid duration %q: an age is more than 0", orig)
			}
			return days, nil
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d+days <= 0 {
		return 0, fmt.Errorf("invalid duration %q (e.g. 90s, 10m, 3h, 1d)", v)
	}
	return d + days, nil
}

// dryRunFlag is kubectl's --dry-run: none, server or client. A bare --dry-run means
// server (NoOptDefVal): appflowc's dry runs have always asked the API server, and
// kubectl's own bare --dry-run (client) is deprecated.
type dryRunFlag struct{ value string }

const (
	dryRunNone   = "none"
	dryRunServer = "server"
	dryRunClient = "client"
)

func (d *dryRunFlag) String() string {
	if d.value == "" {
		return dryRunNone
	}
	return d.value
}
func (d *dryRunFlag) Type() string { return "string" }
func (d *dryRunFlag) Set(v string) error {
	switch v {
	case dryRunNone, dryRunServer, dryRunClient:
		d.value = v
		return nil
	case "true": // --dry-run=true, as the old boolean flag took it
		d.value = dryRunServer
		return nil
	case "false":
		d.value = dryRunNone
		return nil
	}
	return fmt.Errorf("must be one of: none|server|client")
}
func (d *dryRunFlag) server() bool { return d.value == dryRunServer }
func (d *dryRunFlag) client() bool { return d.value == dryRunClient }

// addDryRun registers --dry-run on cmd; what says what each mode does there.
func addDryRun(cmd *cobra.Command, d *dryRunFlag, what string) {
	f := cmd.Flags().VarPF(d, "dry-run", "", what+"; one of: none|server|client (bare --dry-run: server)")
	f.NoOptDefVal = dryRunServer
	_ = cmd.RegisterFlagCompletionFunc("dry-run", cobra.FixedCompletions([]string{dryRunNone, dryRunServer, dryRunClient}, cobra.ShellCompDirectiveNoFileComp))
}

// addEnum registers an enumFlag as -o style flag whose values the help lists and shell
// completion offers.
func addEnum(cmd *cobra.Command, e *enumFlag, name, short, what string) {
	cmd.Flags().VarP(e, name, short, e.help(what))
	_ = cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(e.allowed, cobra.ShellCompDirectiveNoFileComp))
}
