// Package version implements `empctl version`.
package version

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/empctl/empctl/pkg/buildinfo"
	"github.com/empctl/empctl/pkg/cmdutil"
)

func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print empctl's version",
		Example: `  empctl version
  empctl version --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info := buildinfo.Get()
			if f.JSON() {
				return f.PrintJSON(info)
			}
			_, err := fmt.Fprintf(f.IOStreams.Out, "empctl %s (commit %s, built %s, %s, %s)\n",
				info.Version, orUnknown(info.Commit), orUnknown(info.BuildTime), info.GoVersion, info.Platform)
			return err
		},
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
