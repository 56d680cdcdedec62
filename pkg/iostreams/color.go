package iostreams

import (
	"os"
	"strings"
)

// ColorScheme colours text for a terminal; with colour off (NO_COLOR set, or
// the stream not a terminal) every method returns its text unchanged.
type ColorScheme struct{ enabled bool }

// ColorScheme is the scheme for Out; ErrColorScheme the one for ErrOut.
func (s *IOStreams) ColorScheme() *ColorScheme {
	return &ColorScheme{enabled: colorAllowed(s.stdoutTTY)}
}
func (s *IOStreams) ErrColorScheme() *ColorScheme {
	return &ColorScheme{enabled: colorAllowed(s.stderrTTY)}
}

// NewColorScheme is a scheme with colour on or off, for renderers' tests.
func NewColorScheme(enabled bool) *ColorScheme { return &ColorScheme{enabled: enabled} }

// colorAllowed follows https://no-color.org: NO_COLOR set and not empty
// turns colour off.
func colorAllowed(tty bool) bool { return tty && os.Getenv("NO_COLOR") == "" }

func (c *ColorScheme) Enabled() bool { return c.enabled }

func (c *ColorScheme) wrap(code, s string) string {
	if !c.enabled || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (c *ColorScheme) Bold(s string) string   { return c.wrap("1", s) }
func (c *ColorScheme) Faint(s string) string  { return c.wrap("2", s) }
func (c *ColorScheme) Red(s string) string    { return c.wrap("31", s) }
func (c *ColorScheme) Green(s string) string  { return c.wrap("32", s) }
func (c *ColorScheme) Yellow(s string) string { return c.wrap("33", s) }
func (c *ColorScheme) Cyan(s string) string   { return c.wrap("36", s) }

// SuccessIcon is a green ✓, FailureIcon a red ✗, WarningIcon a yellow !.
func (c *ColorScheme) SuccessIcon() string { return c.Green("✓") }
func (c *ColorScheme) FailureIcon() string { return c.Red("✗") }
func (c *ColorScheme) WarningIcon() string { return c.Yellow("!") }

// State colours a replica's, task's, rollout's or release tier's state
// word: green when it is well or went out, red when it failed, yellow on the
// way between, cyan when nothing had to change.
func (c *ColorScheme) State(s string) string {
	switch strings.ToLower(s) {
	case "healthy", "running", "serving", "completed", "successful", "primary", "active", "live", "rolled-out", "published", "pass":
		return c.Green(s)
	case "unhealthy", "failed", "killed", "stopped", "circuit-breaker", "rolled-back", "fail", "backend-failed", "frontend-failed":
		return c.Red(s)
	case "initial", "starting", "pending", "draining", "stopping", "unused", "deploying", "in_progress", "provisioning", "deprovisioning", "not-run":
		return c.Yellow(s)
	case "unchanged", "planned", "dry-run":
		return c.Cyan(s)
	}
	return s
}
