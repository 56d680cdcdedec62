package config

import (
	"strings"
	"testing"
)

// PUBLIC_DEBUG_INFO is off unless set to true; a typo stops the server
// rather than silently leaving it off (or on).
func TestPublicDebugInfo(t *testing.T) {
	for v, want := range map[string]bool{"": false, "false": false, "true": true, " 1 ": true} {
		if c, err := FromEnv(env(map[string]string{"PUBLIC_DEBUG_INFO": v})); err != nil || c.PublicDebugInfo != want {
			t.Errorf("PUBLIC_DEBUG_INFO=%q: %v, %v; want %v", v, c.PublicDebugInfo, err, want)
		}
	}
	if _, err := FromEnv(env(map[string]string{"PUBLIC_DEBUG_INFO": "yes please"})); err == nil || !strings.Contains(err.Error(), `PUBLIC_DEBUG_INFO="yes please": use true or false`) {
		t.Fatalf("a bad value: %v", err)
	}
}
