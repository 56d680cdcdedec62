package s3sync

import (
	"maps"
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
	// Deletions are objects that only releases past the retention window, or
	// deploys cut before their index.html went live, use; deleted once the
	// new index.html is live.
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
	// copies are the kept copies of unhashed files (copies.go) to upload
	// with the assets, and to delete with the expired releases.
	copies        []File
	expiredCopies []string
}

// makePlan compares the local files with the bucket, and works out retention
// as if the new release (m, the manifest of files) were published: keep every
// file that one of the keep newest releases that went live uses.
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
	cut := cutAfterIndex(r, stored[IndexKey])
	wentLive := func(m *Manifest) bool { return m.Published != nil || m == cut }
	if i := slices.IndexFunc(r.manifests, wentLive); i >= 0 && r.manifests[i].Release == id && r.manifests[i].Published != nil && len(p.Uploads) == 0 {
		p.Live = true
		p.manifest = r.manifests[i]
	}

	// The window: the new release, then the newest releases that went live.
	// A deploy cut before its index.html went live leaves a manifest that is
	// not a release anyone loaded: it takes no place in the window (else two
	// interrupted deploys would push the release that was live out of it),
	// and its files go unless a release in the window uses them.
	live, never := []*Manifest{p.manifest}, []*Manifest(nil)
	for _, m := range r.manifests {
		switch {
		case m.Release == id:
		case wentLive(m):
			live = append(live, m)
		default:
			never = append(never, m)
		}
	}
	keep = min(keep, len(live))
	window, expired := live[:keep], slices.Concat(live[keep:], never)
	kept := map[string]bool{}
	for _, m := range window {
		for key := range m.Files {
			kept[key] = true
		}
	}
	doomed := map[string]bool{}
	known := maps.Clone(kept)
	for _, m := range expired {
		for key := range m.Files {
			known[key] = true
			if _, exists := r.objects[key]; exists && !kept[key] {
				doomed[key] = true
			}
		}
		p.ExpiredReleases = append(p.ExpiredReleases, m.Release)
	}
	for key := range doomed {
		p.Deletions = append(p.Deletions, key)
		p.DeleteBytes += r.objects[key].Size
	}
	sort.Strings(p.Deletions)
	p.copies = copiesNeeded(files, r.copies)
	p.expiredCopies = copiesExpired(window, expired, r.copies)
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

// cutAfterIndex returns the unpublished manifest of the release whose
// index.html is the bucket's (liveIndex is its hash): a deploy cut between its
// index.html and its published manifest, so browsers may have loaded it. It is
// the newest manifest with that index.html, unless that one is published.
func cutAfterIndex(r *remote, liveIndex string) *Manifest {
	if liveIndex == "" {
		return nil
	}
	for _, m := range r.manifests {
		if e, ok := m.Files[IndexKey]; ok && e.SHA256 == liveIndex {
			if m.Published == nil {
				return m
			}
			return nil
		}
	}
	return nil
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
// release, or were uploaded or deleted now, or that release's invalidation
// left pending. Comparing with the published release as well as with the
// bucket catches a deploy cut after its index.html went up: the rerun uploads
// nothing, but the CDN still needs invalidating; the pending keys catch one
// whose invalidation failed or was cut after it was published.
func changed(p *Plan, files []File, r *remote) []string {
	set := map[string]bool{}
	for _, f := range p.Uploads {
		set[f.Key] = true
	}
	for _, key := range p.Deletions {
		set[key] = true
	}
	var prev *Manifest
	for _, m := range r.manifests {
		if m.Published != nil {
			prev = m
			break
		}
	}
	if prev != nil {
		for _, key := range prev.Pending {
			set[key] = true
		}
		if !p.Live && prev.Release != p.Release {
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
