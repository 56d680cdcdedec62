package initcmd

import (
	"fmt"
	"strings"
)

// envBlock is one environment's entry in empctl.yaml, indented to sit under
// environments:, with the variables most environments change commented out
// at their defaults (terraform/variables.tf has every one; a test checks that
// each named here exists there).
func envBlock(name, region, profile string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  # %s: AWS resources are named empctl-%s-…; `empctl provision --env %s` creates them.\n", name, name, name)
	fmt.Fprintf(&b, "  %s:\n", name)
	fmt.Fprintf(&b, "    region: %s\n", region)
	if profile != "" {
		fmt.Fprintf(&b, "    profile: %s # from ~/.aws/config\n", profile)
	} else {
		b.WriteString("    # profile: my-profile # a profile from ~/.aws/config; without it, the SDK's default chain\n")
	}
	b.WriteString(commonVars)
	return b.String()
}

// commonVars are the Terraform variables a new environment most often sets.
const commonVars = `    # Terraform variables for terraform/ (terraform/variables.tf has all of them):
    # vars:
    #   desired_count: 3            # API tasks, spread over the zones
    #   az_count: 3                 # availability zones (2-6)
    #   nat_gateway_mode: single    # "per_az" survives a zone outage (one NAT gateway per zone)
    #   db_instance_class: db.t4g.micro
    #   db_multi_az: false          # a standby database in another zone
    #   cloudfront_aliases: []      # your domain names, with certificate_arn
    #   certificate_arn: ""         # an ACM certificate covering cloudfront_aliases
`

// fileHeader starts a new empctl.yaml.
const fileHeader = `# empctl.yaml: the project's AWS environments. The "local" environment is built
# in (empctl up) and needs no entry. Every command takes --env <name>.
environments:
`
