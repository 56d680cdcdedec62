// Package config reads empctl.yaml, the project's list of AWS environments, and
// keeps what provisioning produced for each of them under .empctl/<env>/.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/empctl/empctl/pkg/rollout"
)

// FileName is the configuration file at the project root.
const FileName = "empctl.yaml"

// LocalEnv is the environment that runs on this machine; it needs no entry.
const LocalEnv = "local"

// Config is the content of empctl.yaml.
type Config struct {
	Environments map[string]Environment `yaml:"environments"`
	// Image adds to the server's container image.
	Image Image `yaml:"image"`
	// Deploy is how the local environment deploys, and every AWS
	// environment that does not say otherwise.
	Deploy Deploy `yaml:"deploy"`
	// path is where the file was read from, for error messages; empty if absent.
	path string
}

// Deploy says how `empctl deploy backend` rolls out by default.
type Deploy struct {
	// Strategy is rolling (the default), blue-green, canary or linear.
	Strategy string `yaml:"strategy"`
}

func (d Deploy) validate() error {
	if d.Strategy == "" {
		return nil
	}
	if _, err := rollout.ParseStrategy(d.Strategy); err != nil {
		return fmt.Errorf("deploy.strategy: %w", err)
	}
	return nil
}

// Image is what empctl.yaml adds to the server's container image.
type Image struct {
	// Files maps an absolute path in the image to a local file, relative to
	// empctl.yaml's directory (or absolute): files the server reads that the
	// sources do not hold, such as the RDS CA bundle for DB_TLS_CA.
	Files map[string]string `yaml:"files"`
}

// Environment is one AWS environment.
type Environment struct {
	// Name is the key under environments.
	Name    string `yaml:"-"`
	Region  string `yaml:"region"`
	Profile string `yaml:"profile"`
	// Vars are Terraform input variables for terraform/ (see its variables.tf).
	Vars map[string]any `yaml:"vars"`
	// Backend holds -backend-config settings for `terraform init`; with the
	// module's local backend and no settings, state goes to .empctl/<env>/.
	Backend map[string]any `yaml:"backend"`
	// Deploy overrides the file's top-level deploy settings.
	Deploy Deploy `yaml:"deploy"`
}

// IsLocal reports whether this is the local environment.
func (e Environment) IsLocal() bool { return e.Name == LocalEnv }

// Variables empctl sets itself from the environment's fields.
var reservedVars = []string{"environment", "region", "profile"}

// envNameRE is terraform/'s rule for environment: RDS identifiers, ALB,
// target group and ECR repository names refuse a trailing hyphen and "--".
var envNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// Load reads dir/empctl.yaml. A missing file is an empty configuration, in which
// only the local environment exists.
func Load(dir string) (*Config, error) {
	path := filepath.Join(dir, FileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse reads the content of an empctl.yaml; path names it in errors.
func Parse(path string, data []byte) (*Config, error) {
	cfg := &Config{path: path}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := checkKeys(path, &doc, reflect.TypeFor[Config](), ""); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := cfg.Image.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := cfg.Deploy.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for name, env := range cfg.Environments {
		env.Name = name
		if env.Deploy.Strategy == "" {
			env.Deploy = cfg.Deploy
		}
		if err := env.validate(); err != nil {
			return nil, fmt.Errorf("%s: environment %q: %w", path, name, err)
		}
		cfg.Environments[name] = env
	}
	return cfg, nil
}

func (e Environment) validate() error {
	if e.Name == LocalEnv {
		return errors.New(`"local" is built in and runs on this machine; give the AWS environment another name`)
	}
	if len(e.Name) > 15 || !envNameRE.MatchString(e.Name) {
		return errors.New("the name must be 1-15 characters: lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen (it becomes part of AWS resource names)")
	}
	if e.Region == "" {
		return errors.New("region is missing, e.g. region: eu-west-1")
	}
	if err := e.Deploy.validate(); err != nil {
		return err
	}
	for _, v := range reservedVars {
		if _, ok := e.Vars[v]; ok {
			return fmt.Errorf("vars.%s is set by empctl; use the environment's name, region: and profile: instead", v)
		}
	}
	for k, v := range e.Backend {
		switch v.(type) {
		case string, bool, int, float64:
		default:
			return fmt.Errorf("backend.%s must be a string, number or boolean", k)
		}
	}
	return nil
}

func (im Image) validate() error {
	for p, local := range im.Files {
		switch {
		case !strings.HasPrefix(p, "/"):
			return fmt.Errorf("image.files: %q: the path in the image must be absolute, e.g. /etc/empctl/rds-global-bundle.pem", p)
		case path.Clean(p) != p || p == "/":
			return fmt.Errorf("image.files: %q: write it as %s, the path of a file", p, path.Clean(p))
		case local == "":
			return fmt.Errorf("image.files: %q: no local file given; map it to a file relative to %s, e.g. certs/rds-global-bundle.pem", p, FileName)
		}
	}
	return nil
}

// ImageFiles is Image.Files with each local file's path made absolute.
func (c *Config) ImageFiles() map[string]string {
	out := make(map[string]string, len(c.Image.Files))
	for p, local := range c.Image.Files {
		if !filepath.IsAbs(local) {
			local = filepath.Join(filepath.Dir(c.path), local)
		}
		out[p] = local
	}
	return out
}

// Env returns the named environment. "local" always exists.
func (c *Config) Env(name string) (Environment, error) {
	if name == LocalEnv {
		return Environment{Name: LocalEnv, Deploy: c.Deploy}, nil
	}
	if env, ok := c.Environments[name]; ok {
		return env, nil
	}
	where := FileName
	if c.path == "" {
		where += " (there is none yet)"
	}
	known := c.Names()
	hint := "add it under environments: with at least a region"
	if len(known) > 0 {
		hint = fmt.Sprintf("known environments: %s; or %s", strings.Join(known, ", "), hint)
	}
	return Environment{}, fmt.Errorf("environment %q is not defined in %s: %s", name, where, hint)
}

// Names lists the AWS environments, sorted.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Environments))
	for n := range c.Environments {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// TerraformVars are the input variables for terraform/: the environment's vars
// plus the ones empctl derives from its name, region and profile.
func (e Environment) TerraformVars() map[string]any {
	vars := make(map[string]any, len(e.Vars)+3)
	for k, v := range e.Vars {
		vars[k] = v
	}
	vars["environment"] = e.Name
	vars["region"] = e.Region
	if e.Profile != "" {
		vars["profile"] = e.Profile
	}
	return vars
}

// BackendConfig renders Backend as `terraform init -backend-config` values.
func (e Environment) BackendConfig() map[string]string {
	out := make(map[string]string, len(e.Backend))
	for k, v := range e.Backend {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// EnvDir is where empctl keeps an environment's working data: plan file,
// Terraform's data directory, local state and outputs.
func EnvDir(dir, env string) string { return filepath.Join(dir, ".empctl", env) }
