package config

import (
	"fmt"
	"strconv"
	"strings"
)

// publicDebugInfo reads PUBLIC_DEBUG_INFO: whether /api/version and the
// X-App-Instance header name the build time, Go version, instance and zone.
// Off by default, since they help an attacker aim at one task.
func publicDebugInfo(getenv func(string) string) (bool, error) {
	v := strings.TrimSpace(getenv("PUBLIC_DEBUG_INFO"))
	if v == "" {
		return false, nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("PUBLIC_DEBUG_INFO=%q: use true or false", v)
	}
	return on, nil
}
