package crawler

import (
	"encoding/binary"
	"time"
)

// Site template evidence. For each host the store keeps the fingerprints
// of the text blocks of its most recently recorded distinct pages, and per
// fingerprint on how many of those pages (and of those that were articles)
// it occurs. The counts are exact over a window: recording a URL again
// replaces what it said before (a live blog's updates stay one page), and
// a URL leaves the window, taking its counts along, when Window newer
// pages of its host have been recorded or when it was last recorded more
// than MaxAge ago. A host's evidence is thus at most Window pages of at
// most 256 fingerprints each, and what a site no longer shows ages out.
// Hosts are shared by every job of the store.

// TemplateLimits bound one host's template evidence.
type TemplateLimits struct {
	Window int           // distinct pages kept per host, the most recent; 0: DefaultTemplateWindow
	MaxAge time.Duration // pages not recorded again for this long are forgotten; 0: DefaultTemplateMaxAge
}

// Defaults of TemplateLimits.
const (
	DefaultTemplateWindow = 500
	DefaultTemplateMaxAge = 60 * 24 * time.Hour
)

func (l TemplateLimits) withDefaults() TemplateLimits {
	if l.Window <= 0 {
		l.Window = DefaultTemplateWindow
	}
	if l.MaxAge <= 0 {
		l.MaxAge = DefaultTemplateMaxAge
	}
	return l
}

// TemplateCounts is what the store knows of a host's pages other than the
// one asking: how many distinct pages (articles among them) are in its
// window, and per fingerprint asked, in order, on how many of those pages
// (and article pages) it occurs.
type TemplateCounts struct {
	Pages, ArticlePages int
	Count, Articles     []int
}

// TemplatePage is one page's fingerprints to record.
type TemplatePage struct {
	Host, URL string
	FPs       []uint64
	Article   bool      // an article page (not a section or index page)
	At        time.Time // when it was fetched
}

// maxTemplateFPs bounds the fingerprints stored per page.
const maxTemplateFPs = 256

// pageBlob encodes a page's entry: a kind byte (1 for an article) and the
// fingerprints, 8 bytes big endian each.
func pageBlob(fps []uint64, article bool) []byte {
	b := make([]byte, 1, 1+8*min(len(fps), maxTemplateFPs))
	if article {
		b[0] = 1
	}
	seen := make(map[uint64]bool, len(fps))
	for _, fp := range fps {
		if seen[fp] || len(seen) == maxTemplateFPs {
			continue
		}
		seen[fp] = true
		b = binary.BigEndian.AppendUint64(b, fp)
	}
	return b
}

// blobFPs decodes the fingerprints of a page's entry as 8-byte keys.
func blobFPs(b []byte) (article bool, fps []string) {
	if len(b) == 0 {
		return false, nil
	}
	article = b[0] == 1
	for i := 1; i+8 <= len(b); i += 8 {
		fps = append(fps, string(b[i:i+8]))
	}
	return article, fps
}

func fpKey(fp uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], fp)
	return string(b[:])
}
