package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/empctl/empctl/server"
	"github.com/empctl/empctl/server/config"
	"github.com/empctl/empctl/server/dbsecret"
)

// operatorKeyTimeout bounds the read of the operator key's secret at start.
const operatorKeyTimeout = 10 * time.Second

// operatorKey reads the operator key. It never stops the server: without a
// usable key the allowance is off (every request is counted by its client
// address), which the log says, never quoting the key.
func operatorKey(ctx context.Context, k config.OperatorKey, log *slog.Logger) string {
	var key, from string
	var err error
	switch {
	case k.SecretARN != "":
		from = k.SecretARN
		rctx, cancel := context.WithTimeout(ctx, operatorKeyTimeout)
		key, err = dbsecret.Value(rctx, k.SecretARN)
		cancel()
	case k.File != "":
		from = k.File
		var b []byte
		b, err = os.ReadFile(k.File)
		key = strings.TrimSpace(string(b))
	default:
		log.Info("operator allowance off: no OPERATOR_KEY_SECRET_ARN or OPERATOR_KEY_FILE")
		return ""
	}
	if err == nil && len(key) < server.MinOperatorKey {
		err = fmt.Errorf("the key is shorter than %d characters", server.MinOperatorKey)
	}
	if err != nil {
		log.Warn("operator allowance off: the operator key could not be read; gates and verify runs count against their address's limits", "from", from, "err", err)
		return ""
	}
	log.Info("operator allowance on", "from", from)
	return key
}
