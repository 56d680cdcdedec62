// Package initcmd implements `empctl init`: add an AWS environment to
// empctl.yaml, commented, and say what to run next.
package initcmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/empctl/empctl/pkg/awsregion"
	"github.com/empctl/empctl/pkg/cmdutil"
	"github.com/empctl/empctl/pkg/config"
)

// Options are init's inputs.
type Options struct {
	Factory *cmdutil.Factory
	Region  string
	Profile string
}

// Result is what --output json prints.
type Result struct {
	File   string   `json:"file"`
	Env    string   `json:"env"`
	Region string   `json:"region"`
	Next   []string `json:"next"`
}

// NewCmdInit builds the command; runF replaces the run function in tests.
func NewCmdInit(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "init --env NAME --region REGION",
		Short: "Add an AWS environment to empctl.yaml",
		Long: `Init adds the environment --env names to empctl.yaml (creating the file if
there is none), with its region, an optional AWS profile and the Terraform
variables most environments change, commented out at their defaults. The
region is checked against AWS's list; the name must suit AWS resource names.
It changes nothing in AWS: provision does that.`,
		Example: `  empctl init --env staging --region eu-west-1
  empctl init --env prod --region us-east-1 --profile prod-admin
  empctl provision --env staging --dry-run   # next: see what would be created`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Region, "region", "", "the AWS region the environment lives in (required), e.g. eu-west-1")
	cmd.Flags().StringVar(&opts.Profile, "profile", "", "an AWS profile from ~/.aws/config for this environment")
	_ = cmd.RegisterFlagCompletionFunc("region", cobra.FixedCompletions(awsregion.Regions, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Run adds the environment.
func Run(_ context.Context, opts *Options) error {
	f := opts.Factory
	name := f.Global.Env
	if name == config.LocalEnv {
		return cmdutil.FlagErrorf("name the new environment with --env, e.g. empctl init --env staging --region eu-west-1 (\"local\" is built in)")
	}
	if opts.Region == "" {
		return cmdutil.FlagErrorf("--region is required, e.g. --region eu-west-1")
	}
	if err := awsregion.Check(opts.Region); err != nil {
		return cmdutil.FlagErrorf("--region: %v", err)
	}
	path := filepath.Join(f.Global.Dir, config.FileName)
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	data, err := addEnvironment(old, name, opts.Region, opts.Profile)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// The result must be a configuration empctl accepts, name rules included.
	if _, err := config.Parse(path, data); err != nil {
		return cmdutil.FlagErrorf("%v", err)
	}
	if err := writeAtomic(path, data); err != nil {
		return err
	}
	res := Result{File: path, Env: name, Region: opts.Region, Next: []string{
		"empctl provision --env " + name + " --dry-run",
		"empctl provision --env " + name,
		"empctl deploy backend --env " + name,
		"empctl deploy frontend --env " + name,
	}}
	if f.JSON() {
		return f.PrintJSON(res)
	}
	out := f.IOStreams.Out
	fmt.Fprintf(out, "Added environment %s (%s) to %s.\n\nNext:\n", name, opts.Region, path)
	for _, n := range res.Next {
		fmt.Fprintf(out, "  %s\n", n)
	}
	fmt.Fprintf(out, "\n`empctl iam-policy --env %s` prints what a CI role needs for the deploys.\n", name)
	return nil
}

// addEnvironment returns the file with the environment added under
// environments:, keeping what the file had (comments included).
func addEnvironment(old []byte, name, region, profile string) ([]byte, error) {
	block := envBlock(name, region, profile)
	if len(bytes.TrimSpace(old)) == 0 {
		return []byte(fileHeader + block), nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(old, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the file is not a mapping of keys; fix it or move it aside")
	}
	root := doc.Content[0]
	var envs *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "environments" {
			envs = root.Content[i+1]
		}
	}
	var add yaml.Node
	if err := yaml.Unmarshal([]byte("environments:\n"+block), &add); err != nil {
		return nil, err
	}
	newEnvs := add.Content[0].Content[1]
	switch {
	case envs == nil:
		root.Content = append(root.Content, add.Content[0].Content...)
	case envs.Kind == yaml.MappingNode:
		for i := 0; i < len(envs.Content); i += 2 {
			if envs.Content[i].Value == name {
				return nil, fmt.Errorf("environment %q is already defined (line %d); edit it there, or choose another name", name, envs.Content[i].Line)
			}
		}
		envs.Content = append(envs.Content, newEnvs.Content...)
	case envs.Tag == "!!null":
		*envs = *newEnvs
	default:
		return nil, errors.New("environments: is not a mapping of names to environments; fix it first")
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// writeAtomic replaces path with data, so that an interrupted init never
// leaves half a configuration.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".empctl.yaml-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone already once renamed
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
