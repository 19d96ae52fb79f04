package cleaner

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestCleanParsedTree pins that a page parsed once by Parse and handed to
// Clean in Input.Tree gives the same Document and Report as Clean parsing
// it itself, on every golden page and a sample of the benchmark pages.
func TestCleanParsedTree(t *testing.T) {
	type page struct {
		name string
		in   Input
	}
	var pages []page
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "page.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range dirs {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			URL         string `json:"url"`
			ContentType string `json:"content_type"`
		}
		if raw, err := os.ReadFile(filepath.Join(filepath.Dir(f), "meta.json")); err == nil {
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
		}
		pages = append(pages, page{filepath.Base(filepath.Dir(f)), Input{Body: body, URL: m.URL, ContentType: m.ContentType}})
	}
	for i, p := range loadBenchmark(t) {
		if i%6 == 0 { // a sample keeps the test quick
			pages = append(pages, page{"benchmark-" + p.id, Input{Body: p.body, URL: p.url}})
		}
	}
	c := New(Options{})
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			wantDoc, wantRep, wantErr := c.Clean(p.in)
			tree, err := c.Parse(p.in)
			if err != nil {
				if wantErr == nil || !errors.Is(wantErr, errors.Unwrap(err)) {
					t.Fatalf("Parse: %v; Clean: %v", err, wantErr)
				}
				return
			}
			in := p.in
			in.Tree = tree
			gotDoc, gotRep, gotErr := c.Clean(in)
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("Clean with the tree: %v; without: %v", gotErr, wantErr)
			}
			if d := cmp.Diff(wantDoc, gotDoc); d != "" {
				t.Errorf("Document (-parsed by Clean +parsed by Parse):\n%s", d)
			}
			// The page bytes the Report keeps are compared as bytes: cmp
			// walks a slice element by element, which under -race costs
			// minutes over these pages.
			if d := cmp.Diff(wantRep, gotRep, cmpopts.IgnoreUnexported(Report{})); d != "" {
				t.Errorf("Report (-parsed by Clean +parsed by Parse):\n%s", d)
			}
			if !bytes.Equal(wantRep.body, gotRep.body) || wantRep.contentType != gotRep.contentType {
				t.Errorf("Report keeps another page: %d bytes %q, want %d bytes %q", len(gotRep.body), gotRep.contentType, len(wantRep.body), wantRep.contentType)
			}
		})
	}
}

// TestParseErrors: Parse fails as Clean does on what is not a page.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want error
	}{
		{name: "empty", in: Input{Body: []byte("  \n")}, want: ErrNotHTML},
		{name: "image", in: Input{Body: []byte("GIF89a"), ContentType: "image/gif"}, want: ErrNotHTML},
		{name: "too large", in: Input{Body: make([]byte, 2048)}, want: ErrTooLarge},
	}
	c := New(Options{MaxBytes: 1024})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Parse(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse: %v, want %v", err, tt.want)
			}
			_, _, cerr := c.Clean(tt.in)
			if !errors.Is(cerr, tt.want) {
				t.Fatalf("Clean: %v, want %v", cerr, tt.want)
			}
		})
	}
}
