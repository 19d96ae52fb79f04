package cleaner

import "sync"

// SiteMemory is an in-memory record of the pages of a batch, by host, for
// callers without a state store (`winnow clean --out` over saved pages):
// Record each page's fingerprints, then clean with Evidence. It is safe
// for concurrent use and grows with the pages recorded.
type SiteMemory struct {
	mu    sync.Mutex
	hosts map[string]*memHost
}

type memHost struct {
	pages         map[string]memPage
	articlePages  int
	count, inArts map[uint64]int
}

type memPage struct {
	fps     map[uint64]bool
	article bool
}

// Record remembers the fingerprints of one page (url) of host, replacing
// what an earlier Record of the same url said.
func (m *SiteMemory) Record(host, url string, fps []uint64, article bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hosts == nil {
		m.hosts = map[string]*memHost{}
	}
	h := m.hosts[host]
	if h == nil {
		h = &memHost{pages: map[string]memPage{}, count: map[uint64]int{}, inArts: map[uint64]int{}}
		m.hosts[host] = h
	}
	if old, ok := h.pages[url]; ok {
		h.add(old, -1)
	}
	p := memPage{fps: make(map[uint64]bool, len(fps)), article: article}
	for _, fp := range fps {
		p.fps[fp] = true
	}
	h.pages[url] = p
	h.add(p, 1)
}

func (h *memHost) add(p memPage, d int) {
	if p.article {
		h.articlePages += d
	}
	for fp := range p.fps {
		h.count[fp] += d
		if p.article {
			h.inArts[fp] += d
		}
	}
}

// Evidence answers for the page url of host from the other pages recorded.
func (m *SiteMemory) Evidence(host, url string) TemplateEvidence {
	return memEvidence{m: m, host: host, url: url}
}

type memEvidence struct {
	m         *SiteMemory
	host, url string
}

func (e memEvidence) Counts(fps []uint64) SiteCounts {
	e.m.mu.Lock()
	defer e.m.mu.Unlock()
	sc := SiteCounts{Count: make([]int, len(fps)), Articles: make([]int, len(fps))}
	h := e.m.hosts[e.host]
	if h == nil {
		return sc
	}
	self, isSelf := h.pages[e.url]
	sc.Pages, sc.ArticlePages = len(h.pages), h.articlePages
	if isSelf {
		sc.Pages--
		if self.article {
			sc.ArticlePages--
		}
	}
	for i, fp := range fps {
		sc.Count[i], sc.Articles[i] = h.count[fp], h.inArts[fp]
		if isSelf && self.fps[fp] {
			sc.Count[i]--
			if self.article {
				sc.Articles[i]--
			}
		}
	}
	return sc
}
