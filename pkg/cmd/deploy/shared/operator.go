package shared

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/empctl/empctl/pkg/env"
)

// OperatorHeader is the header with e's operator key for the gate's and
// verify's load, or nil, after a warning on errOut, when the key cannot be
// read: the load then counts against this machine's address's limits. The
// warning names the cause, never the key.
func OperatorHeader(ctx context.Context, e env.Environment, errOut io.Writer) http.Header {
	h, err := env.OperatorHeader(ctx, e)
	if err != nil {
		fmt.Fprintf(errOut, "Warning: no operator key for %s (%v): the test load's sign-ups and sign-ins count against this machine's address's limits (20 sign-ups an hour by default)\n", e.Name(), err)
	}
	return h
}
