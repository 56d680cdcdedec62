package root

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/cmdutil"
)

// strictArgs makes every unexpected argument, at every level of the tree, a
// usage error (exit 2) that points at --help; a command with subcommands
// answers an unknown one with cobra's "did you mean" suggestions. Without it
// cobra runs a parent's help for `empctl deploy backnd` and exits 0, and
// NoArgs' plain error exits 1.
func strictArgs(c *cobra.Command) {
	for _, sub := range c.Commands() {
		strictArgs(sub)
	}
	check := c.Args
	// No command with subcommands takes arguments of its own here.
	if c.HasSubCommands() {
		check = unknownSubcommand
		c.SuggestionsMinimumDistance = 2
		// cobra checks the arguments of runnable commands only.
		if !c.Runnable() {
			c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
		}
	}
	if check == nil {
		check = cobra.NoArgs
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		err := check(cmd, args)
		var fe *cmdutil.FlagError
		if err == nil || errors.As(err, &fe) {
			return err
		}
		return cmdutil.FlagErrorf("%v\nSee '%s --help'.", err, cmd.CommandPath())
	}
}

func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t") + "\n"
	}
	return cmdutil.FlagErrorf("%s\nRun '%s --help' for the list of commands.", msg, cmd.CommandPath())
}
