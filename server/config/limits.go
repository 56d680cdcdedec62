package config

import (
	"fmt"
	"strconv"
)

// signUpsPerHour reads SIGN_UPS_PER_HOUR: how many sign-ups one client
// address may attempt per hour (default 20).
func signUpsPerHour(getenv func(string) string) (int, error) {
	v := orDefault(getenv("SIGN_UPS_PER_HOUR"), "20")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("SIGN_UPS_PER_HOUR=%q: must be a whole number of sign-ups per client address per hour, at least 1", v)
	}
	return n, nil
}
