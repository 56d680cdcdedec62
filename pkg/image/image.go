// Package image builds the server's container image without Docker and
// publishes it to a registry, as two separate steps (ko's build and publish):
// Build compiles and assembles an OCI image index on this machine and touches
// no network, so a dry run can show what it would push; Publish pushes it.
//
// The image is the static server binary on an empty base, plus the small files
// BuildOptions.Files names (a CA bundle) in a layer of their own: no base image
// is pulled, the binary embeds its root certificates and tzdata (cmd/server),
// and the build is reproducible, so one commit always gives one digest.
package image

import (
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Image is a built, not yet published, multi-platform image index.
type Image struct {
	// Index is the OCI image index, one manifest per platform.
	Index v1.ImageIndex
	// Digest is the index's digest: what a task definition pins.
	Digest v1.Hash
	// Version names the sources (srcversion); Publish tags the image with it.
	Version string
	// Commit is the sources' git commit, "" outside a checkout.
	Commit string
	// Created dates the image and every file in it: the commit time, or
	// SOURCE_DATE_EPOCH.
	Created time.Time
	// Platforms are the per-platform images, in the index's order.
	Platforms []PlatformImage
}

// PlatformImage is one platform's image in the index.
type PlatformImage struct {
	Platform string // "linux/amd64"
	Digest   v1.Hash
	// Size is the compressed size: manifest, config and layers.
	Size int64
	// Cached reports that the build cache supplied the binary's layer.
	Cached bool
}

// Size is the compressed size of everything Publish would push to an empty
// repository: every blob once, every manifest and the index.
func (img *Image) Size() (int64, error) {
	seen := map[v1.Hash]bool{}
	var total int64
	idx, err := img.Index.RawManifest()
	if err != nil {
		return 0, err
	}
	total += int64(len(idx))
	for _, p := range img.Platforms {
		pi, err := img.Index.Image(p.Digest)
		if err != nil {
			return 0, err
		}
		m, err := pi.Manifest()
		if err != nil {
			return 0, err
		}
		raw, err := pi.RawManifest()
		if err != nil {
			return 0, err
		}
		total += int64(len(raw))
		for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
			if !seen[d.Digest] {
				seen[d.Digest] = true
				total += d.Size
			}
		}
	}
	return total, nil
}
