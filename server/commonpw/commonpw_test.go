package commonpw

import (
	"strings"
	"testing"
)

func TestContains(t *testing.T) {
	for _, pw := range []string{"password", "12345678", "PASSWORD1", "iloveyou", "qwertyuiop"} {
		if !Contains(pw) {
			t.Errorf("%q is not on the list", pw)
		}
	}
	for _, pw := range []string{"correct horse battery", "a new passphrase", ""} {
		if Contains(pw) {
			t.Errorf("%q is on the list", pw)
		}
	}
	if n := len(set()); n < 5000 {
		t.Fatalf("only %d passwords", n)
	}
	for p := range set() {
		if len([]rune(p)) < 8 || p != strings.ToLower(p) {
			t.Fatalf("entry %q: the list holds lower-case passwords of 8 characters or more", p)
		}
	}
}
