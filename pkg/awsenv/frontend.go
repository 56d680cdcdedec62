package awsenv

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/empctl/empctl/pkg/cdn"
	"github.com/empctl/empctl/pkg/config"
	"github.com/empctl/empctl/pkg/env"
	"github.com/empctl/empctl/pkg/s3sync"
	"github.com/empctl/empctl/pkg/webassets"
)

// CheckFrontend is DeployFrontend's first checks: the preflight (through the
// clients) and the CloudFront distribution.
func (e *Env) CheckFrontend(ctx context.Context) error {
	_, cf, err := e.frontendClients(ctx, 0)
	if err != nil {
		return err
	}
	return cdn.Check(ctx, cf, e.Outputs.CloudFrontDistributionID)
}

// DeployFrontend syncs dist to the webapp bucket by content (pkg/s3sync:
// assets, then config.json, then index.html; old files deleted once the new
// index.html is live and past the retention window), invalidates the changed
// unhashed paths in CloudFront as soon as index.html is live, and waits for
// the invalidation (pkg/cdn). Paths whose invalidation failed stay pending in
// the release's manifest, and the next deploy sends them again.
func (e *Env) DeployFrontend(ctx context.Context, dist string, opts env.FrontendOptions, progress func(env.Event)) (env.Frontend, error) {
	start := time.Now()
	s3c, cf, err := e.frontendClients(ctx, opts.Concurrency)
	if err != nil {
		return env.Frontend{}, err
	}
	bucket, distribution := e.Outputs.WebappBucket, e.Outputs.CloudFrontDistributionID
	// A distribution that is gone stops the deploy before the bucket changes.
	if err := cdn.Check(ctx, cf, distribution); err != nil {
		return env.Frontend{}, err
	}
	cdnOpts := cdn.Options{Progress: cdnProgress(progress)}
	var inv *cdn.Invalidation
	var invErr error
	res, err := s3sync.Deploy(ctx, s3c, s3sync.Options{
		Bucket:      bucket,
		Dir:         dist,
		Extra:       map[string][]byte{s3sync.ConfigKey: []byte(webassets.ConfigJSON)},
		Concurrency: opts.Concurrency,
		Keep:        opts.Keep,
		DryRun:      opts.DryRun,
		Owner:       deployer(),
		HashCache:   filepath.Join(config.EnvDir(e.SourceDir, e.Name()), "webapp-hashes.json"),
		Progress:    syncProgress(progress),
		Invalidate: func(ctx context.Context, release string, keys []string) error {
			ref := fmt.Sprintf("empctl-%s-%d", release, time.Now().UnixNano())
			inv, invErr = cdn.Invalidate(ctx, cf, distribution, cdn.Paths(keys), ref, cdnOpts)
			return invErr
		},
	})
	if invErr != nil {
		fe := frontendResult(res)
		fe.InvalidationPaths = cdn.Paths(res.Changed)
		return fe, fmt.Errorf("release %s is live in the bucket, but CloudFront may serve the old files until its cache expires; run the deploy again to retry the invalidation: %w", res.Release, err)
	}
	if err != nil {
		return env.Frontend{}, err
	}
	return finishInvalidation(frontendResult(res), res.Release, res.Changed, inv, opts.NoWait, func() error {
		return cdn.Wait(ctx, cf, distribution, inv.ID, cdnOpts)
	}, start)
}

// finishInvalidation fills in the CloudFront invalidation of a publish or a
// rollback whose release is live, and waits for it unless noWait.
func finishInvalidation(fe env.Frontend, release string, changed []string, inv *cdn.Invalidation, noWait bool, wait func() error, start time.Time) (env.Frontend, error) {
	if len(changed) > 0 {
		fe.InvalidationPaths = cdn.Paths(changed)
	}
	if inv != nil {
		fe.Invalidation = inv.ID
		if !noWait {
			if err := wait(); err != nil {
				return fe, fmt.Errorf("release %s is live and CloudFront invalidation %s was created (it completes without empctl); waiting for it: %w", release, inv.ID, err)
			}
		}
	}
	fe.Seconds = time.Since(start).Seconds()
	return fe, nil
}

// LiveFrontend is the published webapp release and the retained ones, the
// live one first, from their manifests in the bucket, for Status; nil when
// none has been published yet.
func (e *Env) LiveFrontend(ctx context.Context) (*env.Frontend, []env.FrontendRelease, error) {
	rs, err := e.FrontendReleases(ctx)
	if err != nil || len(rs) == 0 {
		return nil, nil, err
	}
	return &env.Frontend{Release: rs[0].Release, Files: rs[0].Files, Published: rs[0].Published}, rs, nil
}

func (e *Env) frontendClients(ctx context.Context, concurrency int) (*s3.Client, *cloudfront.Client, error) {
	cfg, err := e.AWSConfig(ctx)
	if err != nil {
		return nil, nil, err
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.HTTPClient = s3sync.HTTPClient(concurrency)
		// Manifests and the lock are read whole; an object stored without a
		// checksum (moto, older uploads) is not worth a line on stderr.
		o.DisableLogOutputChecksumValidationSkipped = true
		// An endpoint of its own (AWS_ENDPOINT_URL: moto, MinIO) is addressed
		// by path; AWS's own are left to the SDK.
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
	})
	return s3c, cloudfront.NewFromConfig(cfg), nil
}

func frontendResult(res *s3sync.Result) env.Frontend {
	fe := env.Frontend{
		Release:        res.Release,
		Files:          res.Files,
		Retained:       res.Retained,
		Unchanged:      res.Live,
		DryRun:         res.DryRun,
		Uploaded:       res.Uploaded,
		UploadedBytes:  res.UploadedBytes,
		UnchangedFiles: res.Unchanged,
		Deleted:        res.Deleted,
		DeletedBytes:   res.DeleteBytes,
	}
	if res.DryRun {
		fe.Uploaded, fe.UploadedBytes = len(res.Uploads), res.UploadBytes
		fe.Deleted = len(res.Deletions)
		for _, f := range res.Uploads {
			fe.Uploads = append(fe.Uploads, f.Key)
		}
		fe.Deletions = res.Deletions
	} else if res.Deleted == 0 {
		fe.DeletedBytes = 0
	}
	if fe.Unchanged {
		// The live release's build: every file is unchanged.
		fe.UnchangedFiles, fe.Uploaded, fe.UploadedBytes = fe.Files, 0, 0
	}
	return fe
}

// deployer names who holds the deploy lock: user@host.
func deployer() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}
