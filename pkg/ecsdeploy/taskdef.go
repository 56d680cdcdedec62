package ecsdeploy

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// VersionLabel is the Docker label that carries the human version of the image
// a revision pins by digest; Rollback also uses it to find revisions that
// empctl registered.
const VersionLabel = "org.opencontainers.image.version"

// registerInput is the RegisterTaskDefinition request that recreates td: every
// field the request shares with the task definition is copied, so fields that
// later SDK versions add are kept too, and the read-only ones (ARN, revision,
// status, registeredAt, requiresAttributes, compatibilities...) are dropped
// because the request has no such field. The slices and maps a rollout edits
// are copied, so td is never changed.
func registerInput(td *types.TaskDefinition, tags []types.Tag) *ecs.RegisterTaskDefinitionInput {
	in := &ecs.RegisterTaskDefinitionInput{}
	src, dst := reflect.ValueOf(td).Elem(), reflect.ValueOf(in).Elem()
	for i := range dst.NumField() {
		f := dst.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		if sf := src.FieldByName(f.Name); sf.IsValid() && sf.Type() == f.Type {
			dst.Field(i).Set(sf)
		}
	}
	in.ContainerDefinitions = slices.Clone(td.ContainerDefinitions)
	// Every tag but ServedTag: the new revision has not served yet.
	for _, t := range tags {
		if aws.ToString(t.Key) != ServedTag {
			in.Tags = append(in.Tags, t)
		}
	}
	return in
}

// setImage points container at image (repo@sha256:…) and labels it with the
// human version.
func setImage(in *ecs.RegisterTaskDefinitionInput, container, image, version string) error {
	names := make([]string, 0, len(in.ContainerDefinitions))
	for i := range in.ContainerDefinitions {
		cd := &in.ContainerDefinitions[i]
		names = append(names, aws.ToString(cd.Name))
		if aws.ToString(cd.Name) != container {
			continue
		}
		cd.Image = aws.String(image)
		cd.DockerLabels = maps.Clone(cd.DockerLabels)
		if cd.DockerLabels == nil {
			cd.DockerLabels = map[string]string{}
		}
		if version != "" {
			cd.DockerLabels[VersionLabel] = version
			setEnv(cd, VersionEnv, version)
		}
		return nil
	}
	return &NotFoundError{What: "container", Name: container,
		Hint: fmt.Sprintf("task definition family %s has containers %s; check container_name in the outputs", aws.ToString(in.Family), strings.Join(names, ", "))}
}

// VersionEnv is the variable through which the server reports the version it
// runs (X-App-Version, /api/version). Register sets it with the label, so that
// the same image redeployed under a new version (deploy --force) is told apart
// from the tasks it replaces.
const VersionEnv = "APP_VERSION"

// setEnv sets name=value in the container's environment, replacing any value.
func setEnv(cd *types.ContainerDefinition, name, value string) {
	env := make([]types.KeyValuePair, 0, len(cd.Environment)+1)
	for _, kv := range cd.Environment {
		if aws.ToString(kv.Name) != name {
			env = append(env, kv)
		}
	}
	cd.Environment = append(env, types.KeyValuePair{Name: aws.String(name), Value: aws.String(value)})
}

// checkPinned refuses an image that is not pinned by digest: a tag can move, a
// digest names exactly the image that was built and pushed.
func checkPinned(image string) error {
	if _, digest, ok := strings.Cut(image, "@"); ok && strings.HasPrefix(digest, "sha256:") && len(digest) == len("sha256:")+64 {
		return nil
	}
	return fmt.Errorf("image %q is not pinned by digest: pass repository@sha256:<64 hex digits> (the digest the push returned)", image)
}

// container returns the named container of td, nil when it has none.
func container(td *types.TaskDefinition, name string) *types.ContainerDefinition {
	for i := range td.ContainerDefinitions {
		if aws.ToString(td.ContainerDefinitions[i].Name) == name {
			return &td.ContainerDefinitions[i]
		}
	}
	return nil
}
