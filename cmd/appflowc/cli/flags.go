package cli

import (
	"fmt"
	"slices"
	"strings"
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
