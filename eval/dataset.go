package eval

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Page is one page of a dataset.
type Page struct {
	ID    string // the file name up to the first dot
	URL   string // the page's address, from the ground truth
	Truth string // the checked article body
	Path  string // the page's HTML file (gzip-compressed when it ends in .gz)
	// ContentType is the page's HTTP Content-Type when the dataset gives
	// one (a case folder's meta.json); "" means UTF-8 HTML.
	ContentType string
}

// Dataset is a directory in the article-extraction-benchmark layout:
// html/<id>.html.gz, ground-truth.json and, optionally, output/<name>.json.
type Dataset struct {
	Dir   string
	Pages []Page // in id order
}

type entry struct {
	ArticleBody string `json:"articleBody"`
	URL         string `json:"url"`
}

// LoadDataset reads the ground truth of dir and pairs it with the HTML files.
// Every ground-truth id must have an HTML file. A directory without
// ground-truth.json is read as case folders (see loadCases).
func LoadDataset(dir string) (*Dataset, error) {
	if _, err := os.Stat(filepath.Join(dir, "ground-truth.json")); errors.Is(err, fs.ErrNotExist) {
		if d, ok, err := loadCases(dir); ok || err != nil {
			return d, err
		}
	}
	gt, err := readEntries(filepath.Join(dir, "ground-truth.json"))
	if err != nil {
		return nil, fmt.Errorf("load dataset %s: %w", dir, err)
	}
	if len(gt) == 0 {
		return nil, fmt.Errorf("load dataset %s: ground-truth.json has no pages", dir)
	}
	files, err := os.ReadDir(filepath.Join(dir, "html"))
	if err != nil {
		return nil, fmt.Errorf("load dataset %s: %w", dir, err)
	}
	paths := make(map[string]string)
	for _, f := range files {
		if f.IsDir() {
			continue
		}
		id, _, _ := strings.Cut(f.Name(), ".")
		paths[id] = filepath.Join(dir, "html", f.Name())
	}
	d := &Dataset{Dir: dir}
	for id, e := range gt {
		p, ok := paths[id]
		if !ok {
			return nil, fmt.Errorf("load dataset %s: no html file for ground-truth id %s", dir, id)
		}
		d.Pages = append(d.Pages, Page{ID: id, URL: e.URL, Truth: e.ArticleBody, Path: p})
	}
	slices.SortFunc(d.Pages, func(a, b Page) int { return strings.Compare(a.ID, b.ID) })
	return d, nil
}

// Truth returns the ground truth by id.
func (d *Dataset) Truth() map[string]string {
	m := make(map[string]string, len(d.Pages))
	for _, p := range d.Pages {
		m[p.ID] = p.Truth
	}
	return m
}

// HTML returns the page's HTML bytes, decompressed when the file is gzipped.
func (p Page) HTML() ([]byte, error) {
	b, err := os.ReadFile(p.Path)
	if err != nil {
		return nil, fmt.Errorf("read page %s: %w", p.ID, err)
	}
	if !strings.HasSuffix(p.Path, ".gz") {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("read page %s: %w", p.ID, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("read page %s: %w", p.ID, err)
	}
	return out, nil
}

// Outputs lists the names of the prediction files in the dataset's output/
// folder (file names without .json), sorted.
func (d *Dataset) Outputs() ([]string, error) {
	files, err := os.ReadDir(filepath.Join(d.Dir, "output"))
	if err != nil {
		return nil, fmt.Errorf("list outputs of %s: %w", d.Dir, err)
	}
	var names []string
	for _, f := range files {
		if name, ok := strings.CutSuffix(f.Name(), ".json"); ok && !f.IsDir() {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// LoadPredictions reads a prediction file: {"<id>": {"articleBody": ...}}, or
// the same wrapped as {"version": ..., "output": {...}}.
func LoadPredictions(path string) (map[string]string, error) {
	e, err := readEntries(path)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(e))
	for id, v := range e {
		m[id] = v.ArticleBody
	}
	return m, nil
}

func readEntries(path string) (map[string]entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err // names the path
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if out, ok := raw["output"]; ok {
		var inner map[string]json.RawMessage
		if err := json.Unmarshal(out, &inner); err != nil {
			return nil, fmt.Errorf("parse %s: output: %w", path, err)
		}
		raw = inner
	}
	m := make(map[string]entry, len(raw))
	for id, v := range raw {
		var e entry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("parse %s: %s: %w", path, id, err)
		}
		m[id] = e
	}
	return m, nil
}
