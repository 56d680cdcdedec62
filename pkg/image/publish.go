package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// PublishOptions says where to push an image.
type PublishOptions struct {
	// Repository is "host/path", e.g. ECR's repository URL.
	Repository string
	// Tag is the tag to push; the image's Version when empty.
	Tag string
	// Auth authenticates to the registry; anonymous when nil.
	Auth authn.Authenticator
	// Insecure allows plain HTTP. Loopback and private addresses use it
	// anyway (go-containerregistry's rule), which is what tests need.
	Insecure bool
	// Progress, when set, receives the bytes done out of the bytes to
	// check or upload, as the push goes.
	Progress func(Progress)
	// Transport is the HTTP transport; http.DefaultTransport when nil.
	Transport http.RoundTripper
}

// Progress is a push's progress: blobs the registry already has count as done.
type Progress struct {
	Complete, Total int64
}

// Published is where an image went.
type Published struct {
	// Ref pins the image the registry has under Tag by digest: "host/path@sha256:…".
	Ref string
	// Digest is that image index's digest: the build's, unless the tag
	// already named another image (see Differs).
	Digest v1.Hash
	// Built is the digest of the image that was built.
	Built v1.Hash
	// Tag is the tag the registry has for Digest.
	Tag string
	// Reused reports that the tag existed: nothing was pushed.
	Reused bool
	// Uploaded is the number of bytes sent in blob uploads; 0 when the
	// registry had every blob.
	Uploaded int64
}

// Differs reports that the registry already had another image under the tag,
// which was reused: the same version built to other bytes.
func (p Published) Differs() bool { return p.Digest != p.Built }

var (
	// ErrTagExists is a registry refusing to write a tag that exists (its
	// tags are immutable) when the tag then cannot be read.
	ErrTagExists = errors.New("tag already exists")
	// ErrUnauthorized is the registry refusing the credentials.
	ErrUnauthorized = errors.New("the registry refused the credentials")
	// ErrReadDenied is the registry refusing to read the tag before the
	// push: HTTP 403 to a HEAD, which carries no reason.
	ErrReadDenied = errors.New("the registry refused to read the tag")
)

// retryBackoff retries transient failures (connection resets, 429, 5xx) up
// to 5 times over about 2 minutes.
var retryBackoff = remote.Backoff{Duration: 2 * time.Second, Factor: 2.5, Jitter: 0.1, Steps: 5}

// Publish pushes img to opts.Repository under its tag. When the tag already
// exists it pushes nothing and never overwrites it: the image the tag names is
// the one published, even when it is not img (Published.Differs). Only the
// blobs the registry lacks are uploaded.
func Publish(ctx context.Context, img *Image, opts PublishOptions) (Published, error) {
	if opts.Tag == "" {
		opts.Tag = img.Version
	}
	var nameOpts []name.Option
	if opts.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	repo, err := name.NewRepository(opts.Repository, nameOpts...)
	if err != nil {
		return Published{}, fmt.Errorf("repository %q: %w; give host/path, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/empctl", opts.Repository, err)
	}
	tag, err := name.NewTag(repo.String()+":"+opts.Tag, nameOpts...)
	if err != nil {
		return Published{}, fmt.Errorf("tag %q: %w; a tag is up to 128 letters, digits, '_', '.' and '-'", opts.Tag, err)
	}
	out := Published{Ref: repo.String() + "@" + img.Digest.String(), Digest: img.Digest, Built: img.Digest, Tag: opts.Tag}
	reuse := func(d v1.Hash) Published {
		out.Ref, out.Digest, out.Reused = repo.String()+"@"+d.String(), d, true
		return out
	}

	base := opts.Transport
	if base == nil {
		base = remote.DefaultTransport
	}
	counter := &uploadCounter{next: base}
	auth := opts.Auth
	if auth == nil {
		auth = authn.Anonymous
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuth(auth), remote.WithTransport(counter),
		remote.WithRetryBackoff(retryBackoff), remote.WithUserAgent("empctl")}

	if d, found, err := tagged(tag, ropts); err != nil {
		return out, err
	} else if found {
		return reuse(d), nil
	}

	writeOpts := slices.Clone(ropts)
	done := make(chan struct{})
	if opts.Progress != nil {
		progress := make(chan v1.Update, 16)
		writeOpts = append(writeOpts, remote.WithProgress(progress))
		go func() {
			defer close(done)
			for u := range progress {
				if u.Error == nil {
					opts.Progress(Progress{Complete: u.Complete, Total: u.Total})
				}
			}
		}()
	} else {
		close(done)
	}
	err = remote.WriteIndex(tag, img.Index, writeOpts...)
	<-done
	out.Uploaded = counter.n.Load()
	if err == nil {
		return out, nil
	}
	err = classify(err, tag)
	if errors.Is(err, ErrTagExists) {
		// Another push won the race to the tag: reuse what it wrote.
		if d, found, herr := tagged(tag, ropts); herr == nil && found {
			return reuse(d), nil
		}
	}
	return out, err
}

// tagged is the digest tag names, found false when the tag does not exist.
func tagged(tag name.Tag, ropts []remote.Option) (v1.Hash, bool, error) {
	desc, err := remote.Head(tag, ropts...)
	if err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
			return v1.Hash{}, false, nil
		}
		// A HEAD answer has no body, so no reason: a 403 to it is a read
		// the credentials may not make (on ECR, ecr:BatchGetImage missing),
		// not a push refused. (Or an expired token: a caller that fetched
		// a fresh one can tell.)
		if errors.As(err, &terr) && terr.StatusCode == http.StatusForbidden && len(terr.Errors) == 0 {
			return v1.Hash{}, false, fmt.Errorf("%w: %s answered HTTP 403 Forbidden to reading %s, which a push does first to never overwrite a tag: "+
				"the credentials may not read the repository %s (on ECR they need ecr:BatchGetImage on it)", ErrReadDenied, tag.RegistryStr(), tag, tag.Context())
		}
		return v1.Hash{}, false, classify(err, tag)
	}
	return desc.Digest, true, nil
}

// classify turns registry errors a user can act on into clear ones.
func classify(err error, tag name.Tag) error {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return fmt.Errorf("pushing %s: %w", tag, err)
	}
	codes := make([]string, 0, len(terr.Errors))
	for _, d := range terr.Errors {
		codes = append(codes, string(d.Code))
		switch {
		case d.Code == transport.TagInvalidErrorCode, d.Code == "MANIFEST_TAG_IMMUTABLE", d.Code == "TAG_IMMUTABLE",
			strings.Contains(strings.ToLower(d.Message), "immutable"):
			return fmt.Errorf("%w: the registry refused to write %s (%s: %s); its tags are immutable and are never overwritten", ErrTagExists, tag, d.Code, d.Message)
		case d.Code == transport.NameUnknownErrorCode:
			return fmt.Errorf("repository %s does not exist in %s (%s): create it (for AWS, run `empctl provision`) or check the repository URL", tag.RepositoryStr(), tag.RegistryStr(), d.Message)
		}
	}
	if terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden {
		status := fmt.Sprintf("HTTP %d %s", terr.StatusCode, http.StatusText(terr.StatusCode))
		if len(codes) > 0 {
			status += " (" + strings.Join(codes, ", ") + ")"
		}
		return fmt.Errorf("%w: %s answered %s to the push of %s. A registry token expires (ECR's after 12 hours): run the command again to fetch a fresh one; if it persists, check the credentials and their permission to push to %s",
			ErrUnauthorized, tag.RegistryStr(), status, tag, tag.Context())
	}
	return fmt.Errorf("pushing %s: %w", tag, err)
}

// uploadCounter counts the request body bytes of blob uploads.
type uploadCounter struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *uploadCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && (req.Method == http.MethodPatch || req.Method == http.MethodPut || req.Method == http.MethodPost) &&
		strings.Contains(req.URL.Path, "/blobs/uploads/") {
		req = req.Clone(req.Context())
		req.Body = &countingBody{ReadCloser: req.Body, n: &c.n}
	}
	return c.next.RoundTrip(req)
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
