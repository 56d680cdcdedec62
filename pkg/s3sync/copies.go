package s3sync

import (
	"slices"

	"github.com/empctl/empctl/pkg/webassets"
)

// A deploy overwrites a release's unhashed files (index.html, config.json,
// icons…) in place, so a rollback needs their earlier bytes from somewhere.
// The deploy keeps a copy of each, named by content, under copiesPrefix: a
// rollback restores them with server-side copies (CopyObject, which moto and
// S3 both serve). Object versions were the other choice: terraform/webapp.tf
// does turn versioning on, but its lifecycle rule expires noncurrent versions
// by age and count (30 days past the 10 newest), not by this retention
// window, a bucket made without it has none, and a rollback would have to
// record and find version ids. The copies need no bucket setting, cost an
// upload only when an unhashed file changed, and live exactly as long as a
// release in the retention window uses them.
const copiesPrefix = metaPrefix + "files/"

func copyKey(sha256 string) string { return copiesPrefix + sha256 }

// copiesNeeded returns the uploads that give each unhashed file of the release
// its copy, for the copies the bucket lacks (one per content).
func copiesNeeded(files []File, have map[string]bool) []File {
	var out []File
	seen := map[string]bool{}
	for _, f := range files {
		k := copyKey(f.SHA256)
		if webassets.IsHashed(f.Key) || have[k] || seen[k] {
			continue
		}
		seen[k] = true
		c := f
		c.Key = k
		out = append(out, c)
	}
	return out
}

// copiesExpired returns the copies in the bucket (have) that expired
// releases use and no release in the window does.
func copiesExpired(window, expired []*Manifest, have map[string]bool) []string {
	kept := map[string]bool{}
	for _, m := range window {
		for key, e := range m.Files {
			if !webassets.IsHashed(key) {
				kept[copyKey(e.SHA256)] = true
			}
		}
	}
	var out []string
	for _, m := range expired {
		for key, e := range m.Files {
			k := copyKey(e.SHA256)
			if !webassets.IsHashed(key) && have[k] && !kept[k] && !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}
