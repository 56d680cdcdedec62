package iostreams

import "testing"

func TestColorOnlyOnATerminalWithoutNoColor(t *testing.T) {
	ios, _, _, _ := Test()
	if cs := ios.ColorScheme(); cs.Enabled() || cs.SuccessIcon() != "✓" || cs.State("healthy") != "healthy" {
		t.Fatalf("colour on without a terminal: %q %q", cs.SuccessIcon(), cs.State("healthy"))
	}
	ios.SetTTY(false, true)
	t.Setenv("NO_COLOR", "")
	if cs := ios.ColorScheme(); !cs.Enabled() || cs.State("healthy") != "\x1b[32mhealthy\x1b[0m" || cs.FailureIcon() != "\x1b[31m✗\x1b[0m" {
		t.Fatalf("no colour on a terminal: %q %q", cs.State("healthy"), cs.FailureIcon())
	}
	if ios.ErrColorScheme().Enabled() {
		t.Fatal("colour on stderr, which is not a terminal")
	}
	t.Setenv("NO_COLOR", "1")
	if cs := ios.ColorScheme(); cs.Enabled() || cs.State("unhealthy") != "unhealthy" {
		t.Fatalf("colour with NO_COLOR=1: %q", cs.State("unhealthy"))
	}
}

func TestTerminalSizeFallsBackTo80x24(t *testing.T) {
	ios, _, _, _ := Test()
	if w, h := ios.TerminalSize(); w != 80 || h != 24 {
		t.Fatalf("size of a buffer: %dx%d, want 80x24", w, h)
	}
	ios.SetTerminalSize(120, 40)
	if w, h := ios.TerminalSize(); w != 120 || h != 40 {
		t.Fatalf("size set by a test: %dx%d", w, h)
	}
}
