package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/empctl/empctl/server/commonpw"
	"github.com/empctl/empctl/server/email"
)

const dateLayout = "2006-01-02"

// fieldErrors collects one message per invalid field.
type fieldErrors map[string]string

func (f fieldErrors) add(field, msg string) {
	if _, dup := f[field]; !dup {
		f[field] = msg
	}
}

// maxRawEmailBytes bounds an address before it is normalised: trimming,
// NFKC and lower-casing shrink a character at most fourfold (𝐀, 4 bytes,
// becomes "a"), so a longer one cannot become a valid address of 254 bytes,
// and normalising it (U+FDFA grows to 18 characters) is skipped.
const maxRawEmailBytes = 4 * 254

// normalize is email.Normalize; a variable so tests can see whether it ran.
var normalize = email.Normalize

// normalizeEmail returns addr in its normalised form, recording in f what is
// wrong with it.
func normalizeEmail(f fieldErrors, field, addr string) string {
	if len(addr) > maxRawEmailBytes && len(strings.TrimSpace(addr)) > maxRawEmailBytes {
		f.add(field, "must be at most 254 characters")
		return ""
	}
	addr = normalize(addr)
	if p := email.Problem(addr); p != "" {
		f.add(field, p)
	}
	return addr
}

// maxPasswordBytes is bcrypt's limit: it ignores every byte after the 72nd.
const maxPasswordBytes = 72

// checkPassword follows NIST SP 800-63B: at least 8 characters, any
// characters allowed, but not blank, not a common password and not the email.
func checkPassword(f fieldErrors, field, pw, email string) {
	switch {
	case pw == "":
		f.add(field, "is required")
	case utf8.RuneCountInString(pw) < 8:
		f.add(field, "must be at least 8 characters")
	case len(pw) > maxPasswordBytes:
		// The document's maxLength counts characters: say why a password
		// of 72 or fewer is refused.
		f.add(field, fmt.Sprintf("must be at most %d bytes in UTF-8 (bcrypt's limit); this one is %d bytes in %d characters (accented letters take 2 bytes, most CJK characters 3, emoji 4)", maxPasswordBytes, len(pw), utf8.RuneCountInString(pw)))
	case strings.TrimFunc(pw, unicode.IsSpace) == "":
		f.add(field, "must not be only spaces")
	case commonpw.Contains(pw):
		f.add(field, "is one of the most common passwords; choose a longer or less predictable one")
	case email != "" && (strings.EqualFold(pw, email) || strings.EqualFold(pw, email[:max(0, strings.LastIndex(email, "@"))])):
		f.add(field, "must not be your email address")
	}
}

// checkName returns the trimmed name.
func checkName(f fieldErrors, field, name string) string {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		f.add(field, "is required")
	case utf8.RuneCountInString(name) > 100:
		f.add(field, "must be at most 100 characters")
	case strings.ContainsFunc(name, unicode.IsControl): // C0, DEL and C1 (U+0080-U+009F)
		f.add(field, "must not contain control characters")
	case strings.ContainsFunc(name, func(r rune) bool { return unicode.In(r, unicode.Zl, unicode.Zp) }):
		f.add(field, "must not contain line or paragraph separators")
	case hasStrayFormatChar(name):
		f.add(field, "must not contain invisible, formatting or direction-changing characters")
	case !strings.ContainsFunc(name, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }):
		f.add(field, "must contain a letter or digit")
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
	case age(s, now) < minAge:
		f.add(field, "must be at least "+strconv.Itoa(minAge)+" years ago: empctl is for people aged "+strconv.Itoa(minAge)+" or over")
	}
}

// minAge is the youngest age the service accepts (server/README.md: below
// 13 the law of most countries, COPPA in the US and GDPR article 8 in the
// EU, asks for a parent's verified consent, which the service cannot get).
const minAge = 13

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
