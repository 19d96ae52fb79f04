package eval

import (
	"crypto/sha256"
	"fmt"
	nurl "net/url"
	"strings"
)

// The benchmark is a training set: the cleaner's rules are looked at and
// tuned on one half of it and only scored on the other. The halves are
// fixed by the page's site, not its id, so the two pages the benchmark has
// of some sites always fall on the same side: a rule tuned on one page of
// a site is never scored on its sibling as if it were unseen.
const (
	SplitAll  = "all"
	SplitDev  = "dev"  // looked at and tuned on
	SplitTest = "test" // only scored
)

// SplitOf names the half a page belongs to: the first byte of the SHA-256
// of its URL's host (lower-cased, without "www.") below 128 is dev, else
// test. A page without a parsable host goes by its id's first byte.
func SplitOf(p Page) string {
	key := siteKey(p.URL)
	if key == "" {
		key = p.ID
	}
	if sha256.Sum256([]byte(key))[0] < 128 {
		return SplitDev
	}
	return SplitTest
}

// Subset returns the dataset restricted to one split (SplitAll: all of it).
func (d *Dataset) Subset(split string) (*Dataset, error) {
	switch split {
	case SplitAll, "":
		return d, nil
	case SplitDev, SplitTest:
	default:
		return nil, fmt.Errorf("split %q: want %s, %s or %s", split, SplitDev, SplitTest, SplitAll)
	}
	out := &Dataset{Dir: d.Dir}
	for _, p := range d.Pages {
		if SplitOf(p) == split {
			out.Pages = append(out.Pages, p)
		}
	}
	return out, nil
}

// siteKey is a URL's host, lower-cased, without "www."; "" when it has none.
func siteKey(rawURL string) string {
	u, err := nurl.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}
