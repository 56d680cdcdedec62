package server

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const dateLayout = "2006-01-02"

// fieldErrors collects one message per invalid field.
type fieldErrors map[string]string

func (f fieldErrors) add(field, msg string) {
	if _, dup := f[field]; !dup {
		f[field] = msg
	}
}

// normalizeEmail trims and lower-cases; emails are unique case-insensitively.
func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func checkEmail(f fieldErrors, field, email string) {
	switch {
	case email == "":
		f.add(field, "is required")
	case len(email) > 254:
		f.add(field, "must be at most 254 characters")
	default:
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email || a.Name != "" || !strings.Contains(email[strings.LastIndex(email, "@"):], ".") {
			f.add(field, "must be a valid email address like name@example.com")
		}
	}
}

// maxPasswordBytes is bcrypt's limit: it ignores every byte after the 72nd.
const maxPasswordBytes = 72

func checkPassword(f fieldErrors, field, pw string) {
	switch {
	case pw == "":
		f.add(field, "is required")
	case len(pw) < 8:
		f.add(field, "must be at least 8 characters")
	case len(pw) > maxPasswordBytes:
		f.add(field, "must be at most 72 bytes")
	}
}

// checkName returns the trimmed name.
func checkName(f fieldErrors, field, name string) string {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		f.add(field, "is required")
	case !utf8.ValidString(name):
		f.add(field, "must be valid UTF-8 text")
	case utf8.RuneCountInString(name) > 100:
		f.add(field, "must be at most 100 characters")
	case strings.ContainsFunc(name, unicode.IsControl): // C0, DEL and C1 (U+0080-U+009F)
		f.add(field, "must not contain control characters")
	}
	return name
}

var minBirthDate = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

func checkBirthDate(f fieldErrors, field, s string, now time.Time) {
	if s == "" {
		f.add(field, "is required")
		return
	}
	d, err := time.Parse(dateLayout, s)
	switch {
	case err != nil:
		f.add(field, "must be a real date written YYYY-MM-DD")
	case d.Before(minBirthDate):
		f.add(field, "must not be before 1900-01-01")
	case d.After(now.UTC()):
		f.add(field, "must not be in the future")
	}
}

// age is the number of whole years from birth (YYYY-MM-DD) to now in UTC;
// someone born on 29 February turns a year older on 1 March in common years.
func age(birth string, now time.Time) int {
	b, err := time.Parse(dateLayout, birth)
	if err != nil {
		return 0
	}
	now = now.UTC()
	years := now.Year() - b.Year()
	if now.Month() < b.Month() || (now.Month() == b.Month() && now.Day() < b.Day()) {
		years--
	}
	return max(years, 0)
}
