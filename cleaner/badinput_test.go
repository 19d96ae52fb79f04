package cleaner

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// article is a small but real article body, long enough for readability.
func article() string {
	var b strings.Builder
	b.WriteString("<article><h1>Storm closes ports</h1>")
	for i := 0; i < 6; i++ {
		b.WriteString("<p>The storm forced the closure of three ports on Tuesday, officials said, as winds of more than 100 km/h swept across the coast and ferries stayed in harbour for a second day.</p>")
	}
	b.WriteString("</article>")
	return b.String()
}

func page(bodyHTML string) string {
	return "<!DOCTYPE html><html lang=\"en\"><head><title>Storm closes ports</title></head><body>" + bodyHTML + "</body></html>"
}

func TestBadInput(t *testing.T) {
	garbage := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.IntN(256))
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(page("<article><h1>港口关闭</h1>" + strings.Repeat("<p>风暴周二迫使沿海三个港口关闭，官员们说，时速超过一百公里的大风席卷海岸，渡轮连续第二天停在港内。</p>", 6) + "</article>"))
	if err != nil {
		t.Fatal(err)
	}
	// A UTF-8 page (curly quotes, accents) with two corrupt bytes in it.
	invalidUTF8 := strings.Replace(page(strings.ReplaceAll(article(), "officials said", "officials said in Zürich, “we wait”")), "officials said", "officials \xff\xfe said", 1)
	tests := []struct {
		name       string
		in         Input
		opts       Options
		wantErr    error  // nil: must succeed
		wantInText string // when it succeeds
	}{
		{name: "empty", in: Input{}, wantErr: ErrNotHTML},
		{name: "only whitespace", in: Input{Body: []byte(" \n\t ")}, wantErr: ErrNotHTML},
		{name: "binary garbage", in: Input{Body: garbage}, wantErr: ErrNotHTML},
		{name: "image content type", in: Input{Body: []byte("\x89PNG\r\n\x1a\n...."), ContentType: "image/png"}, wantErr: ErrNotHTML},
		{name: "plain text without markup", in: Input{Body: []byte("just some words, no markup at all")}, wantErr: ErrNotHTML},
		{name: "html without text", in: Input{Body: []byte(page("<div><img src=a.png></div>"))}, wantErr: ErrNotArticle},
		{name: "invalid utf-8 becomes replacement characters", in: Input{Body: []byte(invalidUTF8), ContentType: "text/html; charset=utf-8"}, wantInText: "officials \uFFFD"},
		{name: "declared utf-8 but gbk bytes", in: Input{Body: []byte(gbk), ContentType: "text/html; charset=utf-8"}, wantInText: "风暴周二迫使"},
		{name: "declared latin-1 but utf-8 bytes", in: Input{Body: []byte(page(strings.ReplaceAll(article(), "storm", "störm"))), ContentType: "text/html; charset=iso-8859-1"}, wantInText: "The störm forced"},
		{name: "unknown charset label", in: Input{Body: []byte(page(article())), ContentType: "text/html; charset=x-no-such-thing"}, wantInText: "The storm forced"},
		{name: "gbk without any charset", in: Input{Body: []byte(gbk)}, wantInText: "风暴周二迫使"},
		{name: "over the size cap", in: Input{Body: []byte(page(article() + strings.Repeat("<p>x</p>", 3<<20)))}, wantErr: ErrTooLarge},
		{name: "smaller configured cap", in: Input{Body: []byte(page(article()))}, opts: Options{MaxBytes: 100}, wantErr: ErrTooLarge},
		{name: "200000-deep nesting", in: Input{Body: []byte(page(strings.Repeat("<div>", 200000) + article()))}, wantInText: "The storm forced"},
		{name: "200000-deep unclosed inline tags", in: Input{Body: []byte(page(article() + strings.Repeat("<b><i>", 100000)))}, wantInText: "The storm forced"},
		{name: "8 MB attribute", in: Input{Body: []byte(page(`<div data-blob="` + strings.Repeat("a", 8<<20) + `"></div>` + article()))}, wantInText: "The storm forced"},
		{name: "utf-16 with bom", in: Input{Body: utf16LE(page(article()))}, wantInText: "The storm forced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, _, err := New(tt.opts).Clean(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q is not one line", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Clean: %v", err)
			}
			if !strings.Contains(doc.Text(), tt.wantInText) {
				t.Errorf("text %q does not contain %q", truncateRunes(doc.Text(), 200), tt.wantInText)
			}
			if !utf8.ValidString(doc.Text()) {
				t.Error("text is not valid UTF-8")
			}
		})
	}
}

func utf16LE(s string) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xFE})
	for _, r := range s {
		if r > 0xFFFF {
			r = '?'
		}
		b.WriteByte(byte(r))
		b.WriteByte(byte(r >> 8))
	}
	return b.Bytes()
}

func TestTooLargeMessage(t *testing.T) {
	_, _, err := New(Options{MaxBytes: 10}).Clean(Input{Body: []byte(page(article())), URL: "https://news.example/a"})
	want := "clean https://news.example/a: page is"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v, want prefix %q", err, want)
	}
}

func FuzzClean(f *testing.F) {
	f.Add([]byte(page(article())), "text/html; charset=utf-8")
	f.Add([]byte(""), "")
	f.Add([]byte("<html><body><p>hello</p>"), "text/html")
	f.Add([]byte("<meta charset=gbk><p>\xc4\xe3\xba\xc3</p>"), "")
	f.Add([]byte("\xef\xbb\xbf<p>bom</p>"), "")
	f.Add([]byte("\xff\xfe<\x00p\x00>\x00"), "")
	f.Add([]byte(strings.Repeat("<div>", 600)+"x"), "text/html")
	f.Add([]byte(`<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2022-01-28","author":[{"name":"A"}]}</script><p>x</p>`), "")
	f.Add([]byte(`<html><head><link rel=canonical href="::bad"><title>A | B</title></head><body><article><p>By Jane Doe</p><p>Updated 14:35 GMT</p></article></body></html>`), "text/html; charset=\"")
	c := New(Options{MaxBytes: 1 << 20})
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		doc, rep, err := c.Clean(Input{Body: body, URL: "https://news.example/2022/01/28/a.html", ContentType: contentType})
		if err != nil {
			if !errors.Is(err, ErrNotHTML) && !errors.Is(err, ErrNotArticle) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if len(doc.Paragraphs) == 0 {
			t.Fatal("success without paragraphs")
		}
		for _, p := range doc.Paragraphs {
			if !utf8.ValidString(p) || p == "" || p != collapse(p) {
				t.Fatalf("bad paragraph %q", p)
			}
		}
		if len(rep.Kept) != len(doc.Paragraphs) {
			t.Fatalf("report kept %d, document has %d", len(rep.Kept), len(doc.Paragraphs))
		}
	})
}
