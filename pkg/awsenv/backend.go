package awsenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/ecsdeploy"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/image"
)

// BuildBackend builds the server image index (linux/amd64 and linux/arm64)
// on this machine; nothing is pushed until DeployBackend.
func (e *Env) BuildBackend(ctx context.Context, opts env.BuildOptions, log io.Writer) (env.Release, error) {
	if len(opts.Env) > 0 {
		return env.Release{}, fmt.Errorf("--set-env works on the local environment only; on AWS the tasks' environment is part of the task definition: change it in terraform/ and run `empctl provision --env %s`", e.Name())
	}
	// Whether AWS can be used is known before the build, not after it.
	if _, err := e.AWSConfig(ctx); err != nil {
		return env.Release{}, err
	}
	img, err := image.Build(ctx, image.BuildOptions{
		Dir:      e.SourceDir,
		CacheDir: filepath.Join(e.SourceDir, ".empctl", "cache", "image"),
		Files:    e.ImageFiles,
		Progress: func(msg string) { fmt.Fprintln(log, msg) },
	})
	if err != nil {
		if fe := (*image.FileError)(nil); errors.As(err, &fe) {
			return env.Release{}, fmt.Errorf("%s image.files: %w", config.FileName, err)
		}
		return env.Release{}, err
	}
	e.mu.Lock()
	if e.built == nil {
		e.built = map[string]*image.Image{}
	}
	e.built[img.Digest.String()] = img
	e.mu.Unlock()
	return env.Release{Version: img.Version, Artifact: e.Outputs.ECRRepositoryURL + ":" + img.Version, Digest: img.Digest.String(), Force: opts.Force}, nil
}

// PlanBackend computes the task definition revision a deploy would register
// and diffs it against the running one; it pushes and changes nothing.
func (e *Env) PlanBackend(ctx context.Context, rel env.Release) (env.Plan, error) {
	c, err := e.ecsClients(ctx)
	if err != nil {
		return env.Plan{}, err
	}
	if err := e.checkRepository(ctx); err != nil {
		return env.Plan{}, err
	}
	before, err := ecsdeploy.Status(ctx, c, e.service(), 0)
	if err != nil {
		return env.Plan{}, e.explain(err)
	}
	ref := e.Outputs.ECRRepositoryURL + "@" + rel.Digest
	action, refused := decide(before, rel, rel.Digest)
	if action == env.ActionUnchanged {
		// What the deploy would answer, as the plan's reason.
		return env.Plan{Env: e.Name(), Action: action, Reason: refused.Error(), Version: rel.Version, Artifact: rel.Artifact + " = " + ref, Current: shortARN(before.TaskDefinition)}, nil
	}
	version := deployVersion(before, rel, rel.Digest, time.Now())
	p, err := ecsdeploy.Plan(ctx, c, e.service(), ref, version)
	if err != nil {
		return env.Plan{}, e.explain(err)
	}
	size := ""
	if img := e.builtImage(rel.Digest); img != nil {
		if n, err := img.Size(); err == nil {
			size = fmt.Sprintf(" (%.1f MB compressed, %d platforms)", float64(n)/1e6, len(img.Platforms))
		}
	}
	plan := env.Plan{
		Env: e.Name(), Action: action, Version: version, Artifact: rel.Artifact + " = " + ref, Current: shortARN(p.Running),
		Steps: []string{
			fmt.Sprintf("push %s%s to %s, only the blobs it lacks; an existing tag is reused, never overwritten, and the image it names is deployed", rel.Artifact, size, e.registryHost()),
			fmt.Sprintf("register a new revision of %s from its latest revision %s, with only the %s container's image replaced", e.Outputs.TaskFamily, shortARN(p.BasedOn), e.Outputs.ContainerName),
			fmt.Sprintf("update service %s to it (minimum healthy 100 %%, maximum 200 %%) and watch the deployment until ECS reports it successful", e.Outputs.ServiceName),
		},
		Diff: p.Diff,
	}
	if action == env.ActionRedeploy {
		plan.Steps[0] = "the image is the one running: redeploy it as a new version; " + plan.Steps[0]
	}
	return plan, nil
}

// decide is what a deploy of rel does over the service as before describes
// it, digest being the image that would run (the registry's, when its tag
// names another), for the deploy and its dry run alike: an error wrapping
// env.ErrSameBuild when that image already runs, steady, and no redeploy is
// forced.
func decide(before ecsdeploy.ServiceStatus, rel env.Release, digest string) (string, error) {
	switch {
	case before.Digest != digest || !steady(before):
		return env.ActionRollout, nil
	case rel.Force:
		return env.ActionRedeploy, nil
	}
	return env.ActionUnchanged, fmt.Errorf("%w: %s (%s) on %s: nothing to deploy; use --force to roll it out again", env.ErrSameBuild, rel.Version, digest, shortARN(before.TaskDefinition))
}

// deployVersion is the version the deploy runs digest as: the same image
// again (--force, or verify's rollouts) runs under a new version, so that
// responses tell the new tasks from the old ones.
func deployVersion(before ecsdeploy.ServiceStatus, rel env.Release, digest string, now time.Time) string {
	if before.Digest == digest {
		return rel.Version + "+r" + now.UTC().Format("20060102T150405.000")
	}
	return rel.Version
}

// DeployBackend pushes the image, registers a task definition revision
// pinned to its digest, updates the service and watches the deployment to
// its end.
func (e *Env) DeployBackend(ctx context.Context, rel env.Release, opts env.DeployOptions, progress func(env.Event)) (env.Rollout, error) {
	start := time.Now()
	progressive := opts.Strategy.Strategy.Progressive()
	if progressive {
		if err := e.checkProgressive(opts); err != nil {
			return env.Rollout{}, err
		}
	}
	img := e.builtImage(rel.Digest)
	if img == nil {
		return env.Rollout{}, fmt.Errorf("release %s (%s) was not built by this command: build it first", rel.Version, rel.Digest)
	}
	c, err := e.ecsClients(ctx)
	if err != nil {
		return env.Rollout{}, err
	}
	svc := e.service()
	before, err := ecsdeploy.Status(ctx, c, svc, 0)
	if err != nil {
		return env.Rollout{}, e.explain(err)
	}
	if _, err := decide(before, rel, rel.Digest); err != nil {
		return env.Rollout{}, err
	}
	info(progress, "Pushing %s to %s", rel.Artifact, e.registryHost())
	pub, err := e.push(ctx, img, progress)
	if err != nil {
		return env.Rollout{}, err
	}
	switch {
	case pub.Differs():
		progress(env.Event{Time: time.Now(), Kind: "warning", Message: fmt.Sprintf("warning: the registry's image for version %s is %s, not this build's %s. "+
			"The same sources built to another image: an input of the build is not reproducible (e.g. another Go version, GOFLAGS or GOEXPERIMENT). "+
			"The repository's tags are immutable, so nothing is pushed and the registry's image is deployed. "+
			"To deploy this build instead, give it a new version: commit (`git commit --allow-empty` if there is nothing to commit) and deploy again",
			pub.Tag, pub.Digest, pub.Built)})
		if _, err := decide(before, rel, pub.Digest.String()); err != nil {
			return env.Rollout{}, fmt.Errorf("%w (the registry's image of this version)", err)
		}
	case pub.Reused:
		info(progress, "The registry already has %s as %s: nothing to push", pub.Tag, pub.Digest)
	default:
		info(progress, "Pushed %s (%.1f MB uploaded)", pub.Ref, float64(pub.Uploaded)/1e6)
	}
	version := deployVersion(before, rel, pub.Digest.String(), time.Now())
	reg, err := ecsdeploy.Register(ctx, c, svc, pub.Ref, version)
	if err != nil {
		return env.Rollout{}, e.explain(err)
	}
	progress(env.Event{Time: time.Now(), Kind: "info", Version: version, Message: fmt.Sprintf("Registered %s (from %s) as version %s", shortARN(reg.ARN), shortARN(reg.BasedOn), version)})
	var res ecsdeploy.Result
	if progressive {
		res, err = ecsdeploy.DeployProgressive(ctx, c, svc, reg.ARN, e.progressiveOptions(opts), e.watchOptions(opts, progress))
	} else {
		res, err = ecsdeploy.Deploy(ctx, c, svc, reg.ARN, e.watchOptions(opts, progress))
	}
	ro := rollout(res, start)
	ro.Version, ro.PreviousVersion, ro.Image = version, before.Version, pub.Ref
	ro.Logs = append(ro.Logs, e.stoppedTaskLogs(ctx, c, reg.ARN, res.StoppedTasks)...)
	return ro, e.rolloutErr(err)
}

// Rollback puts the service back on an earlier task definition revision:
// opts.To (a revision number) or the one before the running one; with a
// progressive strategy, rolled out that way (verify's --rollback). During a
// progressive deployment it rolls that one back instead.
func (e *Env) Rollback(ctx context.Context, opts env.RollbackOptions, progress func(env.Event)) (env.Rollout, error) {
	start := time.Now()
	to := 0
	if opts.To != "" {
		n, err := strconv.Atoi(opts.To[strings.LastIndexByte(opts.To, ':')+1:])
		if err != nil || n < 1 {
			return env.Rollout{}, fmt.Errorf("--to %q: on AWS give a task definition revision number, e.g. --to 41 (see `empctl status --env %s`)", opts.To, e.Name())
		}
		to = n
	}
	c, err := e.ecsClients(ctx)
	if err != nil {
		return env.Rollout{}, err
	}
	before, err := ecsdeploy.Status(ctx, c, e.service(), 0)
	if err != nil {
		return env.Rollout{}, e.explain(err)
	}
	var p *ecsdeploy.ProgressiveOptions
	if opts.Strategy.Strategy.Progressive() {
		if err := e.checkProgressive(opts.DeployOptions); err != nil {
			return env.Rollout{}, err
		}
		po := e.progressiveOptions(opts.DeployOptions)
		p = &po
	}
	res, err := ecsdeploy.RollbackWith(ctx, c, e.service(), to, e.watchOptions(opts.DeployOptions, progress), p)
	ro := rollout(res, start)
	ro.Version, ro.PreviousVersion = e.versionOf(ctx, c, res.To), before.Version
	return ro, e.rolloutErr(err)
}

// push publishes img, fetching a new ECR token once if the registry refuses
// the first (tokens expire after 12 hours).
func (e *Env) push(ctx context.Context, img *image.Image, progress func(env.Event)) (image.Published, error) {
	var pub image.Published
	if err := e.checkRepository(ctx); err != nil {
		return pub, err
	}
	for attempt := 0; ; attempt++ {
		auth, err := e.registryAuth(ctx)
		if err != nil {
			return pub, err
		}
		pub, err = image.Publish(ctx, img, image.PublishOptions{
			Repository: e.Outputs.ECRRepositoryURL,
			Auth:       auth,
			Progress:   pushProgress(progress),
		})
		switch {
		case err == nil:
			return pub, nil
		case errors.Is(err, image.ErrReadDenied) && attempt == 0:
			info(progress, "The registry refused to read the tag; fetching a new login token in case this one expired")
			continue
		case errors.Is(err, image.ErrReadDenied):
			return pub, fmt.Errorf("%w; grant ecr:BatchGetImage on the repository to the credentials in use (see the deploy permissions in terraform/README.md)", err)
		case errors.Is(err, image.ErrUnauthorized) && attempt == 0:
			info(progress, "The registry refused the login token; fetching a new one")
			continue
		case errors.Is(err, image.ErrUnauthorized):
			return pub, fmt.Errorf("%w: check that the credentials in use may push to %s (ecr:InitiateLayerUpload, ecr:PutImage...)", err, e.Outputs.ECRRepositoryURL)
		case errors.Is(err, image.ErrTagExists):
			return pub, fmt.Errorf("%w, and reading the tag back to deploy the image it names failed: run the command again; if it persists, check that the credentials may read %s (ecr:BatchGetImage)", err, e.Outputs.ECRRepositoryURL)
		default:
			return pub, err
		}
	}
}

// pushProgress reports a push's bytes at most every 250 ms, and its end:
// the registry client calls back on every read.
func pushProgress(progress func(env.Event)) func(image.Progress) {
	var last time.Time
	return func(p image.Progress) {
		if now := time.Now(); now.Sub(last) >= 250*time.Millisecond || p.Complete == p.Total {
			last = now
			progress(env.Event{Time: now, Kind: "push", Key: "push",
				Message: fmt.Sprintf("pushing: %.1f of %.1f MB", float64(p.Complete)/1e6, float64(p.Total)/1e6)})
		}
	}
}

// versionOf is the version a deploy labelled a revision with, or the
// revision's name when it has none.
func (e *Env) versionOf(ctx context.Context, c ecsdeploy.Clients, taskDefARN string) string {
	if v := e.label(ctx, c, taskDefARN); v != "" {
		return v
	}
	return shortARN(taskDefARN)
}

// label is the version a deploy put on a revision's server container, ""
// when it has none (Terraform's revisions) or cannot be read: it only names.
func (e *Env) label(ctx context.Context, c ecsdeploy.Clients, taskDefARN string) string {
	if taskDefARN == "" {
		return ""
	}
	out, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(taskDefARN)})
	if err != nil || out.TaskDefinition == nil {
		return ""
	}
	for _, ct := range out.TaskDefinition.ContainerDefinitions {
		if aws.ToString(ct.Name) == e.Outputs.ContainerName {
			return ct.DockerLabels[ecsdeploy.VersionLabel]
		}
	}
	return ""
}

func (e *Env) ecsClients(ctx context.Context) (ecsdeploy.Clients, error) {
	cfg, err := e.AWSConfig(ctx)
	if err != nil {
		return ecsdeploy.Clients{}, err
	}
	return ecsdeploy.Clients{ECS: ecs.NewFromConfig(cfg), ELB: elb.NewFromConfig(cfg), CW: cloudwatch.NewFromConfig(cfg)}, nil
}

func (e *Env) service() ecsdeploy.Service {
	o := e.Outputs
	svc := ecsdeploy.Service{Cluster: o.ClusterName, Name: o.ServiceName, Container: o.ContainerName, Family: o.TaskFamily, TargetGroupARN: o.TargetGroupARN}
	if n, err := strconv.ParseInt(o.DesiredCount, 10, 32); err == nil && n > 0 {
		svc.DesiredCount = aws.Int32(int32(n))
	}
	return svc
}

func (e *Env) watchOptions(o env.DeployOptions, progress func(env.Event)) ecsdeploy.WatchOptions {
	return ecsdeploy.WatchOptions{PollInterval: o.PollInterval, Timeout: o.Timeout, NoRollback: o.NoRollback, Progress: eventsTo(progress)}
}

func (e *Env) builtImage(digest string) *image.Image {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.built[digest]
}

// explain adds what to do to a missing resource: the outputs name something
// that is not there, so the environment and its outputs disagree.
func (e *Env) explain(err error) error {
	var nf *ecsdeploy.NotFoundError
	if errors.As(err, &nf) {
		return fmt.Errorf("%w (env %s, region %s): the saved outputs do not match the account; run `empctl provision --env %s` and try again", err, e.Name(), e.Outputs.Region, e.Name())
	}
	return fmt.Errorf("%w%s", err, accessHint(err, "the ECS and ELB APIs"))
}

// rolloutErr maps the library's verdict onto the environment's.
func (e *Env) rolloutErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ecsdeploy.ErrRolloutFailed) {
		return fmt.Errorf("%w: %v", env.ErrRolloutFailed, err)
	}
	return e.explain(err)
}

// steady reports a service with one deployment, all its tasks running.
func steady(s ecsdeploy.ServiceStatus) bool {
	return len(s.Deployments) == 1 && s.Running == s.Desired && s.Desired > 0
}

func rollout(r ecsdeploy.Result, start time.Time) env.Rollout {
	ro := env.Rollout{Started: start, Finished: time.Now(), Revision: shortARN(r.To), PreviousRevision: shortARN(r.From), Strategy: r.Strategy, Verdicts: r.Verdicts}
	if r.Outcome == "" {
		return env.Rollout{}
	}
	ro.Outcome = env.OutcomeFailed
	if r.Outcome == ecsdeploy.Completed {
		ro.Outcome = env.OutcomeCompleted
	} else {
		ro.Reason = r.Summary()
		if i := strings.IndexByte(ro.Reason, '\n'); i >= 0 {
			ro.Reason = ro.Reason[:i]
		}
		for _, t := range r.StoppedTasks {
			ro.Logs = append(ro.Logs, t.String())
		}
		if len(r.StoppedTasks) > 0 {
			ro.FailedTarget = "the tasks of " + shortARN(r.To)
		}
	}
	return ro
}

// shortARN is family:revision from a task definition ARN.
func shortARN(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func info(progress func(env.Event), format string, a ...any) {
	progress(env.Event{Time: time.Now(), Kind: "info", Message: fmt.Sprintf(format, a...)})
}
