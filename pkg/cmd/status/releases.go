package status

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/iostreams"
)

// printReleases lists the backend's recent revisions and the retained
// webapp releases, the live one marked: what a rollback can return to.
func printReleases(w io.Writer, cs *iostreams.ColorScheme, st env.Status) {
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Local().Format(time.DateTime)
	}
	live := func(b bool) string {
		if b {
			return cs.State("live") // the last column: its escape codes cannot misalign another
		}
		return ""
	}
	if len(st.Revisions) > 0 {
		fmt.Fprintln(w, "\nBackend releases (empctl rollback backend --to …)")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  VERSION\tREVISION\tSERVED SINCE\t")
		for _, r := range st.Revisions {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Version, orDash(r.Revision), when(r.Served), live(r.Live))
		}
		_ = tw.Flush()
	}
	if len(st.FrontendReleases) > 0 {
		fmt.Fprintln(w, "\nWebapp releases (empctl rollback frontend --to …)")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  RELEASE\tPUBLISHED\tFILES\t")
		for _, r := range st.FrontendReleases {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\n", r.Release, when(r.Published), r.Files, live(r.Live))
		}
		_ = tw.Flush()
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
