package server

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/empctl/empctl/server/store"
)

// SeedUser makes sure a (demo) user with this email exists, creating it with
// the given password if not; an existing user is left untouched. Several
// replicas may call it at once.
func SeedUser(ctx context.Context, st store.Store, addr, password string, now time.Time) (created bool, err error) {
	f := fieldErrors{}
	addr = normalizeEmail(f, "DEMO_EMAIL", addr)
	checkPassword(f, "DEMO_PASSWORD", password, addr)
	if len(f) > 0 {
		var msgs []string
		for k, v := range f {
			msgs = append(msgs, k+" "+v)
		}
		sort.Strings(msgs)
		return false, fmt.Errorf("demo user: %s", strings.Join(msgs, "; "))
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return false, err
	}
	return store.EnsureUser(ctx, st, store.NewUser{Email: addr, PasswordHash: string(hash),
		FirstName: "Demo", LastName: "User", BirthDate: "1990-01-01"}, now)
}
