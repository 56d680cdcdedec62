// Package demo keeps the demo user `empctl up` creates so that the webapp
// can be tried at once.
package demo

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// User is the account `empctl up` creates so the webapp can be tried at once.
type User struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

const demoFile = "demo-user.json"

// LoadOrCreate returns the demo user stored under stateDir, creating
// one with a random password the first time. The file is readable by its
// owner only, and .empctl/ is ignored by git.
func LoadOrCreate(stateDir string) (User, error) {
	path := filepath.Join(stateDir, demoFile)
	var u User
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &u); err != nil || u.Email == "" || u.Password == "" {
			return u, fmt.Errorf("%s is damaged: delete it and `empctl up` makes a new demo user", path)
		}
		return u, nil
	case !errors.Is(err, fs.ErrNotExist):
		return u, err
	}
	raw := make([]byte, 18)
	if _, err := rand.Read(raw); err != nil {
		return u, err
	}
	u = User{Email: "demo@example.com", Password: base64.RawURLEncoding.EncodeToString(raw)}
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return u, err
	}
	b, _ = json.MarshalIndent(u, "", "  ")
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return u, err
	}
	return u, nil
}
