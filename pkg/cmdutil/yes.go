package cmdutil

import "github.com/spf13/cobra"

// YesFlag registers --yes, the one flag every command that asks for
// confirmation takes to skip the question (scripts, CI), and keeps the
// command's older spellings working as hidden aliases.
func YesFlag(cmd *cobra.Command, p *bool, usage string, aliases ...string) {
	cmd.Flags().BoolVar(p, "yes", false, usage)
	for _, a := range aliases {
		cmd.Flags().BoolVar(p, a, false, usage)
		_ = cmd.Flags().MarkHidden(a)
	}
}
