package cleaner

import "sync"

// SiteMemory is an in-memory record of the pages of a batch, by host, for
// callers without a state store (`winnow clean --out` over saved pages):
// Record each page's fingerprints, then clean with Evidence. It is safe
// for concurrent use and grows with the pages recorded.
type SiteMemory struct {
	mu    sync.Mutex
	hosts map[string]map[string]memPage
}

type memPage struct {
	fps     []uint64
	article bool
}

// Record remembers the fingerprints of one page (url) of host, replacing
// what an earlier Record of the same url said.
func (m *SiteMemory) Record(host, url string, fps []uint64, article bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hosts == nil {
		m.hosts = map[string]map[string]memPage{}
	}
	if m.hosts[host] == nil {
		m.hosts[host] = map[string]memPage{}
	}
	m.hosts[host][url] = memPage{fps: fps, article: article}
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
	idx := make(map[uint64]int, len(fps))
	for i, fp := range fps {
		idx[fp] = i
	}
	sc := SiteCounts{Count: make([]int, len(fps)), Articles: make([]int, len(fps))}
	for u, p := range e.m.hosts[e.host] {
		if u == e.url {
			continue
		}
		sc.Pages++
		if p.article {
			sc.ArticlePages++
		}
		for _, fp := range p.fps {
			if i, ok := idx[fp]; ok {
				sc.Count[i]++
				if p.article {
					sc.Articles[i]++
				}
			}
		}
	}
	return sc
}
