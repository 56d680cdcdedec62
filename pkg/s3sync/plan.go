package s3sync

import (
	"slices"
	"sort"

	"github.com/empctl/empctl/pkg/webassets"
)

// A Plan is what a deploy will do; a dry run returns it and changes nothing.
type Plan struct {
	// Release names the build being deployed (a hash of its file list).
	Release string `json:"release"`
	Files   int    `json:"files"`
	Bytes   int64  `json:"bytes"`
	// Uploads are the new and changed files, in the order they go up.
	Uploads     []File `json:"uploads"`
	UploadBytes int64  `json:"uploadBytes"`
	Unchanged   int    `json:"unchanged"`
	// Deletions are objects that only releases past the retention window use,
	// deleted once the new index.html is live.
	Deletions   []string `json:"deletions"`
	DeleteBytes int64    `json:"deleteBytes"`
	// ExpiredReleases are the manifests removed with them.
	ExpiredReleases []string `json:"expiredReleases,omitempty"`
	// Untracked counts objects no release manifest lists (written by another
	// tool or an older deploy): they are left alone.
	Untracked int `json:"untracked"`
	// Retained counts files of earlier releases in the retention window that
	// the new release does not use: kept for browsers on an old index.html.
	Retained int `json:"retained"`
	// Live: this release is already the published one and nothing is uploaded.
	Live bool `json:"live"`
	// Changed are the keys of uploaded or deleted files that are not
	// content-hashed: the paths a CDN in front must invalidate.
	Changed []string `json:"changed"`

	manifest *Manifest
	remote   *remote
}

// makePlan compares the local files with the bucket, and works out retention
// as if the new release (m, the manifest of files) were published: keep every
// file that one of the keep newest releases uses.
func makePlan(files []File, stored map[string]string, r *remote, keep int, m *Manifest) *Plan {
	id := m.Release
	p := &Plan{Release: id, Files: len(files), remote: r, manifest: m}
	for _, f := range files {
		p.Bytes += f.Size
		if stored[f.Key] == f.SHA256 {
			p.Unchanged++
			continue
		}
		p.Uploads = append(p.Uploads, f)
		p.UploadBytes += f.Size
	}
	sortByPhase(p.Uploads)
	if len(r.manifests) > 0 && r.manifests[0].Release == id && r.manifests[0].Published != nil && len(p.Uploads) == 0 {
		p.Live = true
		p.manifest = r.manifests[0]
	}

	releases := []*Manifest{p.manifest}
	for _, m := range r.manifests {
		if m.Release != id {
			releases = append(releases, m)
		}
	}
	kept := map[string]bool{}
	for i, m := range releases {
		if i >= keep {
			break
		}
		for key := range m.Files {
			kept[key] = true
		}
	}
	doomed := map[string]bool{}
	known := map[string]bool{}
	for i, m := range releases {
		for key := range m.Files {
			known[key] = true
			if i >= keep && !kept[key] {
				if _, exists := r.objects[key]; exists {
					doomed[key] = true
				}
			}
		}
		if i >= keep {
			p.ExpiredReleases = append(p.ExpiredReleases, m.Release)
		}
	}
	for key := range doomed {
		p.Deletions = append(p.Deletions, key)
		p.DeleteBytes += r.objects[key].Size
	}
	sort.Strings(p.Deletions)
	for key := range r.objects {
		if !known[key] {
			p.Untracked++
		}
	}
	for key := range kept {
		if _, inRelease := p.manifest.Files[key]; !inRelease {
			if _, exists := r.objects[key]; exists {
				p.Retained++
			}
		}
	}
	p.Changed = changed(p, files, r)
	return p
}

// manifestsLeft returns the keys of the release manifests the deploy leaves
// in the bucket: the new release's and those of the releases not expired.
func (p *Plan) manifestsLeft() []string {
	keys := []string{manifestKey(p.Release)}
	for _, m := range p.remote.manifests {
		if m.Release != p.Release && !slices.Contains(p.ExpiredReleases, m.Release) {
			keys = append(keys, manifestKey(m.Release))
		}
	}
	return keys
}

// changed returns the unhashed keys that differ from the last published
// release, or were uploaded or deleted now. Comparing with the published
// release as well as with the bucket catches a deploy cut after its index.html
// went up: the rerun uploads nothing, but the CDN still needs invalidating.
func changed(p *Plan, files []File, r *remote) []string {
	set := map[string]bool{}
	for _, f := range p.Uploads {
		set[f.Key] = true
	}
	for _, key := range p.Deletions {
		set[key] = true
	}
	if !p.Live {
		var prev *Manifest
		for _, m := range r.manifests {
			if m.Published != nil {
				prev = m
				break
			}
		}
		if prev != nil && prev.Release != p.Release {
			for _, f := range files {
				if e, ok := prev.Files[f.Key]; !ok || e.SHA256 != f.SHA256 {
					set[f.Key] = true
				}
			}
		}
	}
	var keys []string
	for key := range set {
		if !webassets.IsHashed(key) {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys
}

// Phases of a deploy's uploads, each complete before the next starts, so the
// live index.html never references a file that is not there yet.
const (
	PhaseAssets = "assets"
	PhaseConfig = "config"
	PhaseIndex  = "index"
)

func phaseOf(key string) string {
	switch key {
	case IndexKey:
		return PhaseIndex
	case ConfigKey:
		return PhaseConfig
	}
	return PhaseAssets
}

var phaseRank = map[string]int{PhaseAssets: 0, PhaseConfig: 1, PhaseIndex: 2}

// sortByPhase orders uploads assets, config.json, index.html; within assets,
// largest first, so a big file does not start last and trail the phase.
func sortByPhase(fs []File) {
	sort.SliceStable(fs, func(i, j int) bool {
		pi, pj := phaseRank[phaseOf(fs[i].Key)], phaseRank[phaseOf(fs[j].Key)]
		if pi != pj {
			return pi < pj
		}
		return fs[i].Size > fs[j].Size
	})
}
