package config

import (
	"net/netip"
	"strings"
	"testing"
)

func TestProxies(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil || c.Proxies.Trusted != nil || c.Proxies.Hops != 1 {
		t.Fatalf("default: %+v %v, want the server's trusted networks and 1 hop", c.Proxies, err)
	}
	c, err = FromEnv(env(map[string]string{"TRUSTED_PROXIES": "10.0.0.0/16, 192.0.2.7,fd00::/8", "TRUSTED_PROXY_HOPS": "2"}))
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("fd00::/8")}
	if err != nil || c.Proxies.Hops != 2 || len(c.Proxies.Trusted) != 3 {
		t.Fatalf("set: %+v %v", c.Proxies, err)
	}
	for i := range want {
		if c.Proxies.Trusted[i] != want[i] {
			t.Fatalf("Trusted = %v, want %v", c.Proxies.Trusted, want)
		}
	}
	c, err = FromEnv(env(map[string]string{"TRUSTED_PROXIES": "none"}))
	if err != nil || c.Proxies.Trusted == nil || len(c.Proxies.Trusted) != 0 {
		t.Fatalf("none: %+v %v, want an empty, non-nil list", c.Proxies, err)
	}
	_, err = FromEnv(env(map[string]string{"TRUSTED_PROXIES": "10.0.0.0/33, alb", "TRUSTED_PROXY_HOPS": "0"}))
	for _, w := range []string{`"10.0.0.0/33" is neither`, `"alb" is neither`, `TRUSTED_PROXY_HOPS="0"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v, want it to mention %s", err, w)
		}
	}
}

func TestSignUpsPerHour(t *testing.T) {
	if c, err := FromEnv(env(nil)); err != nil || c.SignUpsPerHour != 20 {
		t.Fatalf("default %d %v, want 20", c.SignUpsPerHour, err)
	}
	if c, err := FromEnv(env(map[string]string{"SIGN_UPS_PER_HOUR": "500"})); err != nil || c.SignUpsPerHour != 500 {
		t.Fatalf("set: %d %v", c.SignUpsPerHour, err)
	}
	if _, err := FromEnv(env(map[string]string{"SIGN_UPS_PER_HOUR": "0"})); err == nil || !strings.Contains(err.Error(), `SIGN_UPS_PER_HOUR="0"`) {
		t.Fatalf("0 accepted: %v", err)
	}
}

func TestOperatorKeySource(t *testing.T) {
	arn := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:empctl-prod-operator-key-AbCdEf"
	if c, err := FromEnv(env(map[string]string{"OPERATOR_KEY_SECRET_ARN": arn})); err != nil || c.OperatorKey.SecretARN != arn {
		t.Fatalf("%+v %v", c.OperatorKey, err)
	}
	if c, err := FromEnv(env(map[string]string{"OPERATOR_KEY_FILE": "/run/key"})); err != nil || c.OperatorKey.File != "/run/key" {
		t.Fatalf("%+v %v", c.OperatorKey, err)
	}
	if _, err := FromEnv(env(map[string]string{"OPERATOR_KEY_SECRET_ARN": "nope"})); err == nil || !strings.Contains(err.Error(), "OPERATOR_KEY_SECRET_ARN") {
		t.Fatalf("bad ARN: %v", err)
	}
	if _, err := FromEnv(env(map[string]string{"OPERATOR_KEY_SECRET_ARN": arn, "OPERATOR_KEY_FILE": "/run/key"})); err == nil {
		t.Fatal("both accepted")
	}
}
