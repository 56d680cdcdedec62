package env

import (
	"context"
	"net/http"
)

// OperatorHeaderName carries the environment's operator key to the API
// (server.OperatorHeader).
const OperatorHeaderName = "X-Empctl-Operator"

// OperatorKeys is an Environment whose API knows an operator key: requests
// carrying it count against the environment's operator allowance instead of
// the limits of the address they come from (server/README.md, "Operator
// allowance"). empctl's rollout gate and verify-zero-downtime send it.
type OperatorKeys interface {
	// OperatorKey reads the key. It is a secret: never print or save it.
	OperatorKey(ctx context.Context) (string, error)
}

// OperatorHeader is the header that carries e's operator key, nil when e
// has none. An error says why the key could not be read; the caller goes on
// without it (the load then counts against its address's limits).
func OperatorHeader(ctx context.Context, e Environment) (http.Header, error) {
	k, ok := e.(OperatorKeys)
	if !ok {
		return nil, nil
	}
	key, err := k.OperatorKey(ctx)
	if err != nil || key == "" {
		return nil, err
	}
	return http.Header{OperatorHeaderName: {key}}, nil
}
