package eval

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// loadCases reads a directory of case folders, the layout of the
// cleaner's golden and held-out pages: each folder holds page.html,
// meta.json ({"url": …, "content_type": …}) and the article body, in
// want.json's "text" when there is one (a golden case, whose want.txt
// starts with the title, date and address) or else in want.txt, one
// paragraph per line. ok is false when dir holds no such folder.
func loadCases(dir string) (d *Dataset, ok bool, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, false, fmt.Errorf("load dataset %s: %w", dir, err)
	}
	d = &Dataset{Dir: dir}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		cdir := filepath.Join(dir, e.Name())
		page := filepath.Join(cdir, "page.html")
		if _, err := os.Stat(page); err != nil {
			continue
		}
		p := Page{ID: e.Name(), Path: page}
		var meta struct {
			URL         string `json:"url"`
			ContentType string `json:"content_type"`
		}
		if raw, err := os.ReadFile(filepath.Join(cdir, "meta.json")); err == nil {
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, true, fmt.Errorf("load dataset %s: case %s: meta.json: %w", dir, e.Name(), err)
			}
		}
		p.URL, p.ContentType = meta.URL, meta.ContentType
		if p.Truth, err = caseTruth(cdir); err != nil {
			return nil, true, fmt.Errorf("load dataset %s: case %s: %w", dir, e.Name(), err)
		}
		d.Pages = append(d.Pages, p)
	}
	if len(d.Pages) == 0 {
		return nil, false, nil
	}
	slices.SortFunc(d.Pages, func(a, b Page) int { return strings.Compare(a.ID, b.ID) })
	return d, true, nil
}

func caseTruth(cdir string) (string, error) {
	if raw, err := os.ReadFile(filepath.Join(cdir, "want.json")); err == nil {
		var w struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(raw, &w); err != nil {
			return "", fmt.Errorf("want.json: %w", err)
		}
		return w.Text, nil
	}
	raw, err := os.ReadFile(filepath.Join(cdir, "want.txt"))
	if err != nil {
		return "", fmt.Errorf("no want.json or want.txt: %w", err)
	}
	return string(raw), nil
}
