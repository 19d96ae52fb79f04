package cleaner_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/abadojack/whatlanggo"

	"winnow/cleaner"
)

// The negative corpus: paragraphs that are article text and must survive
// the cleaner whole. Each language has testdata/negative/<lang>.txt (one
// paragraph a line, "#" lines are comments; a line "# chrome-like" starts
// the section of ordinary news sentences that use chrome words — register,
// comments, login, subscribe … — in their news sense, and "# article"
// returns to plain article paragraphs). English also takes every paragraph
// of the benchmark's ground truth.

const (
	negativeDir  = "testdata/negative"
	perPage      = 12 // corpus paragraphs per built page
	chromeEvery  = 3  // a ground-truth page gets chrome-like sentences when it has 2*chromeEvery paragraphs
	groundTruthF = "../testdata/article-extraction-benchmark/ground-truth.json"
)

// pageChrome is the site chrome of the plain article page built around the
// corpus paragraphs, in the page's language.
type pageChrome struct {
	site, nav, title, footer string
}

var negativeLangs = map[string]pageChrome{
	"en": {"The Riverside Courier", "Home · News · Business · Sport · Culture", "Council sets out its budget for the coming year", "© 2024 The Riverside Courier. All rights reserved."},
	"de": {"Kreisbote am Main", "Startseite · Lokales · Wirtschaft · Sport · Kultur", "Gemeinderat beschließt den Haushalt für das kommende Jahr", "© 2024 Kreisbote am Main. Alle Rechte vorbehalten."},
	"fr": {"Le Courrier de la Vallée", "Accueil · Actualités · Économie · Sport · Culture", "Le conseil municipal adopte le budget de l'année prochaine", "© 2024 Le Courrier de la Vallée. Tous droits réservés."},
	"es": {"El Diario del Valle", "Portada · Actualidad · Economía · Deportes · Cultura", "El pleno municipal aprueba el presupuesto del próximo año", "© 2024 El Diario del Valle. Todos los derechos reservados."},
	"ru": {"Городские вести", "Главная · Новости · Экономика · Спорт · Культура", "Городская дума утвердила бюджет на следующий год", "© 2024 Городские вести. Все права защищены."},
	"zh": {"江城日报", "首页 · 新闻 · 财经 · 体育 · 文化", "市人大常委会审议通过明年财政预算", "© 2024 江城日报 版权所有"},
}

type corpusPara struct {
	text   string
	chrome bool   // from a chrome-like section
	source string // file:line or ground truth id
}

func readCorpus(t *testing.T, lang string) []corpusPara {
	t.Helper()
	path := filepath.Join(negativeDir, lang+".txt")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("negative corpus: %v", err)
	}
	defer f.Close()
	var out []corpusPara
	chrome := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			switch strings.TrimSpace(strings.TrimPrefix(line, "#")) {
			case "chrome-like":
				chrome = true
			case "article":
				chrome = false
			}
		default:
			out = append(out, corpusPara{text: line, chrome: chrome, source: fmt.Sprintf("%s:%d", path, n)})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return out
}

var blankLine = regexp.MustCompile(`\n\s*\n`)

// gtArticle is one page of the benchmark's ground truth.
type gtArticle struct {
	lang  string // detected from the text: the ground truth is not all English
	paras []corpusPara
}

// groundTruth returns every paragraph of the benchmark's ground truth
// (articleBody split on blank lines), article by article, sorted by id. A
// paragraph without a letter or digit ("*", "—") is skipped: it says
// nothing a reader would miss.
func groundTruth(t *testing.T) []gtArticle {
	t.Helper()
	raw, err := os.ReadFile(groundTruthF)
	if err != nil {
		t.Fatalf("benchmark ground truth: %v", err)
	}
	var truth map[string]struct {
		ArticleBody string `json:"articleBody"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatalf("%s: %v", groundTruthF, err)
	}
	ids := make([]string, 0, len(truth))
	for id := range truth {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]gtArticle, 0, len(ids))
	for _, id := range ids {
		body := truth[id].ArticleBody
		a := gtArticle{lang: whatlanggo.Detect(body).Lang.Iso6391()}
		for _, p := range blankLine.Split(body, -1) {
			if p = collapseWS(p); p != "" && strings.IndexFunc(p, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
				a.paras = append(a.paras, corpusPara{text: p, source: "ground truth " + id[:12]})
			}
		}
		if len(a.paras) > 0 {
			out = append(out, a)
		}
	}
	return out
}

func collapseWS(s string) string { return strings.Join(strings.Fields(s), " ") }

// compareKey is the text a paragraph is compared by: whitespace collapsed,
// invisible format characters (soft hyphen, zero-width joiner, word
// joiner …) dropped, as the cleaner may drop them.
func compareKey(s string) string {
	return collapseWS(strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s))
}

// interleave spreads the chrome-like sentences evenly among the article
// paragraphs, so that each sits between ordinary ones.
func interleave(art, chr []corpusPara) []corpusPara {
	out := make([]corpusPara, 0, len(art)+len(chr))
	next := 0
	for i, p := range art {
		out = append(out, p)
		// after article paragraph i, the chrome-like sentences whose even
		// share of the article falls here
		for next < len(chr) && (next+1)*len(art) <= (i+1)*(len(chr)+1) {
			out = append(out, chr[next])
			next++
		}
	}
	return append(out, chr[next:]...)
}

func split(paras []corpusPara) (art, chr []corpusPara) {
	for _, p := range paras {
		if p.chrome {
			chr = append(chr, p)
		} else {
			art = append(art, p)
		}
	}
	return art, chr
}

type testPage struct {
	lang  string
	paras []corpusPara
}

// chunk cuts a run of paragraphs into pages of at most perPage, of even
// size, so that no page is a lone left-over paragraph.
func chunk(lang string, paras []corpusPara) []testPage {
	n := (len(paras) + perPage - 1) / perPage
	out := make([]testPage, 0, n)
	for i := range n {
		out = append(out, testPage{lang, paras[i*len(paras)/n : (i+1)*len(paras)/n]})
	}
	return out
}

// corpusPages builds the pages of one language. A page never mixes two
// ground-truth articles; the chrome-like sentences go among the paragraphs
// of pages in their own language, at most two a page.
func corpusPages(t *testing.T, lang string) []testPage {
	art, chr := split(readCorpus(t, lang))
	if lang != "en" {
		return chunk(lang, interleave(art, chr))
	}
	var pages []testPage
	for _, a := range groundTruth(t) {
		for _, pg := range chunk(a.lang, a.paras) {
			if a.lang == "en" && len(chr) > 0 && len(pg.paras) >= 2*chromeEvery {
				n := min(2, len(chr))
				pg.paras = interleave(pg.paras, chr[:n])
				chr = chr[n:]
			}
			pages = append(pages, pg)
		}
	}
	return append(pages, chunk(lang, interleave(art, chr))...)
}

// buildPage writes a plain article page: a header with navigation, the
// article with its heading and the paragraphs, a footer.
func buildPage(lang string, c pageChrome, n int, paras []corpusPara) string {
	var b strings.Builder
	title := fmt.Sprintf("%s (%d)", c.title, n)
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=%q><head><meta charset=\"utf-8\"><title>%s – %s</title></head>\n<body>\n", lang, html.EscapeString(title), html.EscapeString(c.site))
	fmt.Fprintf(&b, "<header><div class=\"logo\">%s</div><nav><ul>", html.EscapeString(c.site))
	for _, item := range strings.Split(c.nav, " · ") {
		fmt.Fprintf(&b, "<li><a href=\"/%s/\">%s</a></li>", html.EscapeString(strings.ToLower(item)), html.EscapeString(item))
	}
	b.WriteString("</ul></nav></header>\n<main><article>\n")
	fmt.Fprintf(&b, "<h1>%s</h1>\n", html.EscapeString(title))
	for _, p := range paras {
		fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(p.text))
	}
	fmt.Fprintf(&b, "</article></main>\n<footer><p>%s</p></footer>\n</body></html>\n", html.EscapeString(c.footer))
	return b.String()
}

// movedToMetadata: the contract moves bylines and timestamps out of the
// body into the document's metadata. A paragraph that is nothing but a
// time or a date (a live blog's entry stamp, "4:14 p.m.", which the
// benchmark's ground truth keeps in the body) is moved, not lost. Nothing
// longer than three words counts as such.
func movedToMetadata(rule, text string) bool {
	return rule == "byline_timestamp" && len(strings.Fields(text)) <= 3
}

// TestNegativeCorpus cleans plain article pages made of the corpus
// paragraphs and fails on every paragraph that does not come out whole,
// naming the rule that removed it.
func TestNegativeCorpus(t *testing.T) {
	c := cleaner.New(cleaner.Options{})
	for _, lang := range []string{"en", "de", "fr", "es", "ru", "zh"} {
		t.Run(lang, func(t *testing.T) {
			pages := corpusPages(t, lang)
			var lost []string
			byRule := map[string]int{}
			total := 0
			for i, pg := range pages {
				total += len(pg.paras)
				n := i + 1
				url := fmt.Sprintf("https://news.example/%s/2024/03/%03d-article.html", lang, n)
				body := buildPage(pg.lang, negativeLangs[lang], n, pg.paras)
				doc, rep, err := c.Clean(cleaner.Input{Body: []byte(body), URL: url, ContentType: "text/html; charset=utf-8"})
				if err != nil {
					for _, p := range pg.paras {
						lost = append(lost, fmt.Sprintf("  page %d, %s: [error: %v] %q", n, p.source, err, p.text))
					}
					continue
				}
				kept := make([]string, len(doc.Paragraphs))
				for j, k := range doc.Paragraphs {
					kept[j] = compareKey(k)
				}
				for _, p := range pg.paras {
					if want := compareKey(p.text); !containedIn(want, kept) {
						rule := removedBy(want, rep)
						if movedToMetadata(rule, p.text) {
							continue
						}
						byRule[strings.SplitN(rule, ":", 2)[0]]++
						lost = append(lost, fmt.Sprintf("  page %d, %s: [%s] %q", n, p.source, rule, p.text))
					}
				}
			}
			t.Logf("%s: %d paragraphs on %d pages, %d lost", lang, total, len(pages), len(lost))
			if len(lost) > 0 {
				t.Errorf("%s: %d of %d article paragraphs did not come out whole (by rule: %s) ([rule] text):\n%s", lang, len(lost), total, ruleCounts(byRule), strings.Join(lost, "\n"))
			}
		})
	}
}

// ruleCounts formats rule → count, most frequent first.
func ruleCounts(m map[string]int) string {
	rules := make([]string, 0, len(m))
	for r := range m {
		rules = append(rules, r)
	}
	sort.Slice(rules, func(i, j int) bool {
		if m[rules[i]] != m[rules[j]] {
			return m[rules[i]] > m[rules[j]]
		}
		return rules[i] < rules[j]
	})
	parts := make([]string, len(rules))
	for i, r := range rules {
		parts[i] = fmt.Sprintf("%s %d", r, m[r])
	}
	return strings.Join(parts, ", ")
}

// containedIn: the paragraph came out as one kept paragraph, or inside a
// longer one (two <p> joined) — its text is not lost.
func containedIn(want string, kept []string) bool {
	for _, k := range kept {
		if k == want || strings.Contains(k, want) {
			return true
		}
	}
	return false
}

// removedBy names the rule whose removal holds the paragraph, or says that
// no rule reports it (the extractor left it out, or kept it altered).
func removedBy(want string, rep cleaner.Report) string {
	for _, r := range rep.Removed {
		if compareKey(r.Text) == want {
			return r.Rule
		}
	}
	for _, r := range rep.Removed {
		if got := compareKey(r.Text); got != "" && (strings.Contains(got, want) || strings.Contains(want, got)) {
			return r.Rule + ", partly"
		}
	}
	for _, k := range rep.Kept {
		if strings.Contains(want, compareKey(k)) && len(k) > len(want)/2 {
			return "kept altered: " + fmt.Sprintf("%q", k)
		}
	}
	return "not extracted"
}
