package output

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"winnow/cleaner"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/encode")

// TestEncodeGolden encodes each testdata/encode/<case>/doc.json (a
// cleaner.Document) and compares with want.txt and want.json.
func TestEncodeGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/encode/*/doc.json")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, docPath := range cases {
		dir := filepath.Dir(docPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			b, err := os.ReadFile(docPath)
			if err != nil {
				t.Fatal(err)
			}
			var doc cleaner.Document
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			for _, format := range []string{"txt", "json"} {
				got, err := Encode(doc, format)
				if err != nil {
					t.Fatalf("Encode %s: %v", format, err)
				}
				wantPath := filepath.Join(dir, "want."+format)
				if *update {
					if err := os.WriteFile(wantPath, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(wantPath)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if diff := cmp.Diff(string(want), string(got)); diff != "" {
					t.Errorf("Encode %s (-want +got):\n%s", format, diff)
				}
			}
		})
	}
}

func TestEncodeJSONFields(t *testing.T) {
	doc := cleaner.Document{URL: "https://a.example/x", Paragraphs: []string{"one", "two"}}
	b, err := Encode(doc, "json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"url": "https://a.example/x", "canonical_url": "https://a.example/x", "title": "", "byline": "",
		"published": nil, "site_name": "", "lang": "", "text": "one\ntwo", "fetched_at": nil,
		// printf 'one\ntwo' | sha256sum
		"sha256": "21066d108d5319ecb5a1fc4454f42ef22fc5f1c7df49c31d90294950e0ea8b2c",
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("json fields (-want +got):\n%s", diff)
	}
	if m["sha256"] != TextHash(doc) {
		t.Errorf("sha256 %v, TextHash %s", m["sha256"], TextHash(doc))
	}
}

func TestEncodeInvalidUTF8(t *testing.T) {
	doc := cleaner.Document{Title: "caf\xe9", URL: "https://a.example/", Paragraphs: []string{"a\xffb"}}
	got, err := Encode(doc, "txt")
	if err != nil {
		t.Fatal(err)
	}
	want := "caf\uFFFD\n\nhttps://a.example/\n\na\uFFFDb\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("txt (-want +got):\n%s", diff)
	}
}

func TestEncodeBadFormat(t *testing.T) {
	_, err := Encode(cleaner.Document{}, "xml")
	if err == nil || !strings.Contains(err.Error(), `format "xml": want txt, json, jsonl or markdown`) {
		t.Errorf("err %v", err)
	}
}

func TestID(t *testing.T) {
	// printf %s https://example.com/ | sha256sum → 0f115db062b7c0dd030b16878c99dea5c354b49dc37b38eb8846179c7783e9d7
	if got, want := ID("https://example.com/"), "0f115db062b7c0dd"; got != want {
		t.Errorf("ID = %s, want %s", got, want)
	}
	if len(ID("")) != 16 {
		t.Errorf("ID length %d", len(ID("")))
	}
}

func TestHostDir(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{name: "lower-cased", url: "https://News.Example.COM/a", want: "news.example.com"},
		{name: "port kept", url: "http://127.0.0.1:8080/x", want: "127.0.0.1:8080"},
		{name: "default port dropped", url: "https://a.example:443/x", want: "a.example"},
		{name: "ipv6", url: "http://[::1]:9000/", want: "[::1]:9000"},
		{name: "ipv6 zone", url: "http://[fe80::1%25eth0]/", want: "[fe80::1_eth0]"},
		{name: "idn", url: "https://bücher.example/", want: "xn--bcher-kva.example"},
		{name: "no host", url: "/just/a/path", want: "_nohost"},
		{name: "empty", url: "", want: "_nohost"},
		{name: "dot dot", url: "http://../", want: "_."},
		{name: "userinfo dropped", url: "http://u:p@a.example/", want: "a.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HostDir(tt.url); got != tt.want {
				t.Errorf("HostDir(%q) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}

func TestRelPath(t *testing.T) {
	if got, want := RelPath("https://example.com/", "json"), "example.com/0f115db062b7c0dd.json"; got != want {
		t.Errorf("RelPath = %s, want %s", got, want)
	}
}

func TestTxtDateKeepsOffset(t *testing.T) {
	loc := time.FixedZone("EST", -5*3600)
	doc := cleaner.Document{URL: "https://a.example/", Published: time.Date(2024, 3, 5, 23, 30, 0, 0, loc)}
	got, _ := Encode(doc, "txt")
	if !strings.HasPrefix(string(got), "\n2024-03-05\n") {
		t.Errorf("txt %q: want the date as published, 2024-03-05", got)
	}
}

// TestCollapse: collapse returns what strings.Fields and Join make of the
// valid-UTF-8 text, whether or not it takes the no-copy path.
func TestCollapse(t *testing.T) {
	slow := func(s string) string { return strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ") }
	tests := []struct {
		name, in  string
		collapsed bool // returned as it is
	}{
		{name: "empty", in: "", collapsed: true},
		{name: "plain", in: "A plain sentence.", collapsed: true},
		{name: "non-ASCII", in: "Größe und 東京 – “quoted”", collapsed: true},
		{name: "leading space", in: " a"},
		{name: "trailing space", in: "a "},
		{name: "only a space", in: " "},
		{name: "double space", in: "a  b"},
		{name: "tab", in: "a\tb"},
		{name: "newline", in: "a\nb"},
		{name: "carriage return", in: "a\r\nb"},
		{name: "no-break space", in: "a\u00a0b"},
		{name: "next line", in: "a\u0085b"},
		{name: "ideographic space", in: "a\u3000b"},
		{name: "line separator", in: "a\u2028b"},
		{name: "zero-width space is not white space", in: "a\u200bb", collapsed: true},
		{name: "invalid UTF-8", in: "a\xffb"},
		{name: "truncated rune", in: "a\xe6\x9d"},
		{name: "replacement character itself", in: "a\uFFFDb", collapsed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isCollapsed(tt.in); got != tt.collapsed {
				t.Errorf("isCollapsed(%q) = %v, want %v", tt.in, got, tt.collapsed)
			}
			if diff := cmp.Diff(slow(tt.in), collapse(tt.in)); diff != "" {
				t.Errorf("collapse(%q) (-fields +got):\n%s", tt.in, diff)
			}
		})
	}
}

func FuzzCollapse(f *testing.F) {
	for _, s := range []string{"", "a b", " a", "a\u00a0 b", "x\xffy", "東京\u3000タワー"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if want := strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " "); collapse(s) != want {
			t.Errorf("collapse(%q) = %q, want %q", s, collapse(s), want)
		}
	})
}
