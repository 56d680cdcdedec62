package stack

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// OperatorKeyFile, under the state directory, holds the local environment's
// operator key: the replicas read it (OPERATOR_KEY_FILE) and empctl's gate
// and verify send it, so that their sign-ups and sign-ins count against the
// operator allowance instead of this machine's address, the only client of
// the local stack (server/README.md, "Operator allowance").
const OperatorKeyFile = "operator-key"

// operatorKeyBytes is the key's randomness (hex-encoded in the file).
const operatorKeyBytes = 32

// EnsureOperatorKey keeps the key in stateDir, or makes one (mode 0600), and
// returns the file's path. A key already there is kept: the replicas
// running may know it.
func EnsureOperatorKey(stateDir string) (string, error) {
	path := filepath.Join(stateDir, OperatorKeyFile)
	if _, err := ReadOperatorKey(stateDir); err == nil {
		return path, os.Chmod(path, 0o600)
	}
	b := make([]byte, operatorKeyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating the operator key: %w", err)
	}
	tmp, err := os.CreateTemp(stateDir, OperatorKeyFile+".*") // mode 0600
	if err != nil {
		return "", fmt.Errorf("writing the operator key: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // fails harmlessly once renamed
	_, err = tmp.WriteString(hex.EncodeToString(b) + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return "", fmt.Errorf("writing the operator key %s: %w", path, err)
	}
	return path, nil
}

// ReadOperatorKey reads the key EnsureOperatorKey made.
func ReadOperatorKey(stateDir string) (string, error) {
	path := filepath.Join(stateDir, OperatorKeyFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("no operator key at %s: `empctl up` makes it", path)
		}
		return "", fmt.Errorf("reading the operator key: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if len(key) != 2*operatorKeyBytes {
		return "", fmt.Errorf("the operator key %s is damaged: delete it and run `empctl up` again", path)
	}
	return key, nil
}
