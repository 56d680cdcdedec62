package provision

import (
	"context"
	"fmt"

	"github.com/empctl/empctl/pkg/awsenv"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/operatorkey"
)

// seedOperatorKey gives the operator key's secret, which Terraform made
// without a value, a random one the first time (server/README.md,
// "Operator allowance"); afterwards the key is kept. The value is never
// shown.
func seedOperatorKey(ctx context.Context, f *cmdutil.Factory, env config.Environment, secretARN string) error {
	if secretARN == "" {
		return nil
	}
	cfg, err := (&awsenv.Env{Config: env}).AWSConfig(ctx)
	if err != nil {
		return err
	}
	seeded, err := operatorkey.Seed(ctx, cfg, secretARN)
	if err != nil {
		return fmt.Errorf("the infrastructure is applied, but %w; run provision again", err)
	}
	if seeded {
		step(f, "Gave the operator key a random value (server/README.md, \"Operator allowance\"); the servers use it from the next `empctl deploy backend`")
	}
	return nil
}
