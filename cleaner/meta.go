package cleaner

import (
	"encoding/json"
	nurl "net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// pageMeta is what the page says about itself, read in one walk of the DOM
// before extraction changes it.
type pageMeta struct {
	lang, htmlTitle, h1            string
	ogTitle, twTitle, ldHeadline   string
	siteName, ldPublisher, appName string
	canonical, ogURL               string
	published                      []string // candidate date strings, best first
	author, ldAuthor               string
	contentLang, ogLocale          string
}

func readMeta(doc *html.Node) pageMeta {
	var m pageMeta
	var pubMeta, pubLD, pubTime []string
	for n := doc; n != nil; {
		if n.Type != html.ElementNode {
			n = next(n, doc, false)
			continue
		}
		skip := false
		switch n.DataAtom {
		case atom.Html:
			m.lang = strings.TrimSpace(attr(n, "lang"))
			if m.lang == "" {
				m.lang = strings.TrimSpace(attr(n, "xml:lang"))
			}
		case atom.Title:
			if m.htmlTitle == "" && n.Parent != nil && n.Parent.DataAtom != atom.Svg {
				m.htmlTitle = textContent(n)
			}
			skip = true
		case atom.H1:
			if m.h1 == "" {
				m.h1 = textOf(n)
			}
		case atom.Meta:
			key := strings.ToLower(strings.TrimSpace(attr(n, "property")))
			if key == "" {
				key = strings.ToLower(strings.TrimSpace(attr(n, "name")))
			}
			if key == "" {
				key = strings.ToLower(strings.TrimSpace(attr(n, "itemprop")))
			}
			val := strings.TrimSpace(attr(n, "content"))
			if he := strings.ToLower(attr(n, "http-equiv")); he == "content-language" && m.contentLang == "" {
				m.contentLang = val
			}
			if val == "" {
				break
			}
			switch key {
			case "og:title":
				setOnce(&m.ogTitle, val)
			case "twitter:title":
				setOnce(&m.twTitle, val)
			case "og:site_name":
				setOnce(&m.siteName, val)
			case "application-name":
				setOnce(&m.appName, val)
			case "og:url":
				setOnce(&m.ogURL, val)
			case "og:locale":
				setOnce(&m.ogLocale, val)
			case "author", "article:author", "byl", "dc.creator", "sailthru.author", "parsely-author":
				if !strings.HasPrefix(val, "http") {
					setOnce(&m.author, val)
				}
			case "article:published_time", "datepublished", "publishdate", "pubdate", "publish-date", "publish_date",
				"dc.date", "dc.date.issued", "dcterms.created", "date", "sailthru.date", "parsely-pub-date", "og:published_time",
				"article.published", "published-date", "release_date", "originalpublicationdate":
				pubMeta = append(pubMeta, val)
			}
		case atom.Link:
			if strings.Contains(" "+strings.ToLower(attr(n, "rel"))+" ", " canonical ") {
				setOnce(&m.canonical, strings.TrimSpace(attr(n, "href")))
			}
		case atom.Script:
			if strings.Contains(strings.ToLower(attr(n, "type")), "ld+json") {
				m.readJSONLD(textContent(n), &pubLD)
			}
			skip = true
		case atom.Time:
			if dt := strings.TrimSpace(attr(n, "datetime")); dt != "" && len(pubTime) < 3 {
				if hasAttr(n, "pubdate") || strings.Contains(strings.ToLower(attr(n, "itemprop")), "published") {
					pubTime = append([]string{dt}, pubTime...)
				} else {
					pubTime = append(pubTime, dt)
				}
			}
		case atom.Style, atom.Noscript, atom.Template, atom.Svg:
			skip = true
		}
		n = next(n, doc, skip)
	}
	m.published = append(append(pubMeta, pubLD...), pubTime...)
	return m
}

func setOnce(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// textContent returns the concatenated text nodes under n (for <title> and
// <script>, whose content is raw text).
func textContent(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return strings.TrimSpace(b.String())
}

// readJSONLD takes headline, dates, author and publisher from schema.org
// JSON-LD. Broken JSON is ignored: the page's other metadata still counts.
func (m *pageMeta) readJSONLD(src string, pub *[]string) {
	if len(src) > 1<<20 {
		return
	}
	var v any
	if err := json.Unmarshal([]byte(src), &v); err != nil {
		return
	}
	// Iterative walk over the decoded value with a bounded budget.
	stack := []any{v}
	for budget := 0; len(stack) > 0 && budget < 10000; budget++ {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch x := cur.(type) {
		case []any:
			stack = append(stack, x...)
		case map[string]any:
			if g, ok := x["@graph"]; ok {
				stack = append(stack, g)
			}
			if !isArticleType(x["@type"]) {
				continue
			}
			if s, ok := x["headline"].(string); ok {
				setOnce(&m.ldHeadline, strings.TrimSpace(s))
			}
			if s, ok := x["datePublished"].(string); ok && s != "" {
				*pub = append(*pub, s)
			}
			if a := ldName(x["author"]); a != "" {
				setOnce(&m.ldAuthor, a)
			}
			if p := ldName(x["publisher"]); p != "" {
				setOnce(&m.ldPublisher, p)
			}
		}
	}
}

func isArticleType(t any) bool {
	check := func(s string) bool {
		s = strings.ToLower(s)
		return strings.Contains(s, "article") || strings.Contains(s, "posting") || s == "reportagenews" || s == "newsarticle" || s == "webpage" || s == "report"
	}
	switch x := t.(type) {
	case string:
		return check(x)
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && check(s) {
				return true
			}
		}
	}
	return false
}

// ldName reads a schema.org Person/Organization (or a list of them) as
// "A, B".
func ldName(v any) string {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "http") {
			return ""
		}
		return strings.TrimSpace(x)
	case map[string]any:
		if s, ok := x["name"].(string); ok {
			return strings.TrimSpace(s)
		}
	case []any:
		var names []string
		for _, e := range x {
			if n := ldName(e); n != "" {
				names = append(names, n)
			}
			if len(names) == 5 {
				break
			}
		}
		return strings.Join(names, ", ")
	}
	return ""
}

var dateLayouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05",
	"2006-01-02 15:04", "2006-01-02", "2006/01/02", "20060102", time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700",
}

// parseDate reads the machine-readable date formats that meta tags,
// JSON-LD and <time datetime> use.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if t.Year() < 1995 || t.Year() > time.Now().Year()+1 {
				return time.Time{}, false
			}
			return t, true
		}
	}
	return time.Time{}, false
}

// publishedDate tries the page's own machine-readable dates first, then
// the URL and the page's other date marks (fallbackDate).
func publishedDate(doc *html.Node, m pageMeta, pageURL string) time.Time {
	for _, s := range m.published {
		if t, ok := parseDate(s); ok {
			return t
		}
	}
	return fallbackDate(doc, pageURL, firstNonEmpty(m.lang, m.contentLang, m.ogLocale))
}

// canonicalURL: <link rel=canonical> resolved against the page URL, else
// og:url, else the page URL. Only http(s) results count.
func canonicalURL(m pageMeta, pageURL string) string {
	base, _ := nurl.Parse(pageURL)
	for _, c := range []string{m.canonical, m.ogURL} {
		if c == "" {
			continue
		}
		u, err := nurl.Parse(c)
		if err != nil {
			continue
		}
		if base != nil {
			u = base.ResolveReference(u)
		}
		if (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			u.Fragment = ""
			return u.String()
		}
	}
	return pageURL
}

// titleSeparators split "Headline | Site" style titles.
var titleSeparators = []string{" | ", " - ", " – ", " — ", " :: ", " · ", " » ", " « ", " / ", "｜", "_", "--", " -- "}

// titleFromHeading: a <title> that is the page's <h1> followed (or
// preceded) by separator-joined segments ("Headline - Section - Portal",
// "Headline--Channel--Site") is the h1. The page's own heading says where
// the headline ends, whatever separator or site name follows.
//
// Some themes put the site's name in the first <h1>: a heading that is the
// site name, or shorter than what the title adds to it, is not the
// headline.
func titleFromHeading(title, h1, siteName string) string {
	t, h := collapse(title), collapse(h1)
	if utf8.RuneCountInString(h) < 8 || len(h) >= len(t) || (siteName != "" && normKey(h) == normKey(siteName)) {
		return title
	}
	if wordCount(h) <= wordCount(strings.Replace(t, h, "", 1)) {
		return title
	}
	// Separators between title segments; a colon or comma continues the
	// headline instead ("Storm: three ports shut").
	sepRune := func(r rune) bool { return strings.ContainsRune("|-–—_·•»«/｜>~*", r) }
	if strings.HasPrefix(t, h) {
		rest := strings.TrimLeft(t[len(h):], " ")
		if r, _ := utf8.DecodeRuneInString(rest); rest != "" && sepRune(r) {
			return h
		}
	}
	if strings.HasSuffix(t, h) {
		rest := strings.TrimRight(t[:len(t)-len(h)], " ")
		if r, _ := utf8.DecodeLastRuneInString(rest); rest != "" && sepRune(r) {
			return h
		}
	}
	return title
}

// cleanTitle removes a site-name suffix (or prefix) from a title: the
// segment after the last separator when it matches the site name or host,
// or when it is short and the rest is a real headline.
func cleanTitle(title, siteName, host string) string {
	title = collapse(title)
	// Portals chain segments ("Headline_Section_Site"): peel up to three.
	for i := 0; i < 3; i++ {
		t := stripTitleSegment(title, siteName, host)
		if t == title {
			break
		}
		title = t
	}
	return title
}

func stripTitleSegment(title, siteName, host string) string {
	site := normKey(siteName)
	h := strings.TrimPrefix(strings.ToLower(host), "www.")
	if i := strings.LastIndex(h, "."); i > 0 {
		h = h[:i]
	}
	hostKey := normKey(h)
	matchesSite := func(seg string) bool {
		k := normKey(seg)
		if k == "" {
			return false
		}
		if site != "" && (k == site || strings.Contains(site, k) || strings.Contains(k, site)) {
			return true
		}
		kc := strings.ReplaceAll(k, " ", "")
		hc := strings.ReplaceAll(hostKey, " ", "")
		return hc != "" && (strings.Contains(hc, kc) || strings.Contains(kc, hc))
	}
	// "Site: Headline": a colon only separates the site's own name.
	if j := strings.Index(title, ": "); j > 0 && matchesSite(title[:j]) && wordCount(title[j+2:]) >= 3 {
		return strings.TrimSpace(title[j+2:])
	}
	for _, sep := range titleSeparators {
		i := strings.LastIndex(title, sep)
		if i <= 0 {
			continue
		}
		head, tail := strings.TrimSpace(title[:i]), strings.TrimSpace(title[i+len(sep):])
		if matchesSite(tail) || (wordCount(tail) <= 3 && wordCount(head) >= 4 && sep != " - ") {
			return head
		}
		if j := strings.Index(title, sep); j > 0 && matchesSite(title[:j]) {
			return strings.TrimSpace(title[j+len(sep):])
		}
	}
	return title
}

// wordCount counts words, taking two CJK characters as one word (CJK
// text has no spaces between words).
func wordCount(s string) int {
	n, cjk := 0, 0
	for _, f := range strings.Fields(s) {
		letters := 0
		for _, r := range f {
			if runeScript(r) == "cjk" {
				cjk++
			} else if isWordRune(r) {
				letters++
			}
		}
		if letters > 0 {
			n++
		}
	}
	return n + (cjk+1)/2
}

// normKey lower-cases and keeps letters, digits and single spaces, for
// comparing titles and site names.
func normKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		// Rune by rune, as strings.ToLower maps them (invalid bytes
		// become U+FFFD either way, which is no word rune).
		if r = unicode.ToLower(r); isWordRune(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		} else {
			space = true
		}
	}
	return b.String()
}

// monthNames maps month names and abbreviations of the languages the
// rules cover (English, German, French, Spanish, Portuguese, Italian,
// Russian genitive) to months, for visible datelines.
var monthNames = func() map[string]time.Month {
	m := map[string]time.Month{}
	for i, names := range [12]string{
		"jan january januar janvier enero janeiro gennaio января янв",
		"feb february februar février fevrier febrero fevereiro febbraio февраля фев",
		"mar march märz maerz mars marzo março marco марта мар",
		"apr april avril abril aprile апреля апр",
		"may mai mayo maio maggio мая",
		"jun june juni juin junio junho giugno июня июн",
		"jul july juli juillet julio julho luglio июля июл",
		"aug august août aout agosto августа авг",
		"sep sept september septembre septiembre setembro settembre сентября сен",
		"oct october oktober octobre octubre outubro ottobre октября окт",
		"nov november novembre noviembre novembro ноября ноя",
		"dec december dezember décembre decembre diciembre dezembro dicembre декабря дек",
	} {
		for _, n := range strings.Fields(names) {
			m[n] = time.Month(i + 1)
		}
	}
	return m
}()

// looseDateSource is the pattern of the dates of visible timestamp lines:
// ISO-like numbers, European day.month.year, and day-month-year /
// month-day-year with month names in any of the languages above. Every
// alternative ends in a four-digit year and starts with an ASCII digit or
// a month name.
func looseDateSource() string {
	names := make([]string, 0, len(monthNames))
	for n := range monthNames {
		names = append(names, regexp.QuoteMeta(n))
	}
	// Longest first, so "marzo" is not read as "mar".
	sort.Slice(names, func(i, j int) bool {
		if len(names[i]) != len(names[j]) {
			return len(names[i]) > len(names[j])
		}
		return names[i] < names[j]
	})
	month := `(` + strings.Join(names, "|") + `)`
	return `(?i)(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})|(\d{1,2})\.(\d{1,2})\.(\d{4})|(\d{1,2})(?:st|nd|rd|th|er|\.)?\s+(?:de\s+)?` + month + `\.?,?\s+(?:de\s+|del\s+)?(\d{4})|` + month + `\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})`
}

// looseDateAt is looseDateSource anchored at the start of the text,
// compiled on first use.
var looseDateAt = lazyCompile(`^(?:` + looseDateSource() + `)`)

// monthStarts are the runes a month name starts with, in either case
// ((?i) in a pattern matches every case of them).
var monthStarts = sync.OnceValue(func() map[rune]bool {
	m := map[rune]bool{}
	for n := range monthNames {
		r, _ := utf8.DecodeRuneInString(n)
		for f := r; !m[f]; f = unicode.SimpleFold(f) {
			m[f] = true
		}
	}
	return m
})

// findAnchored returns the leftmost match of the unanchored form of a
// pattern whose matches all start with an ASCII digit or a month name, as
// FindStringSubmatchIndex would: the anchored form is tried only at those
// places, from left to right, and where it first matches it takes the
// match the unanchored one prefers there. (Unanchored, Go starts such a
// large, case-folded program at every byte.) Offsets are into s.
func findAnchored(anchored *lazyRegexp, s string, from int) []int {
	starts := monthStarts()
	for i := from; i < len(s); {
		r, w := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
		if (r >= '0' && r <= '9') || starts[r] {
			if loc := anchored.FindStringSubmatchIndex(s[i:]); loc != nil {
				for k := range loc {
					if loc[k] >= 0 {
						loc[k] += i
					}
				}
				return loc
			}
		}
		i += w
	}
	return nil
}

// hasDigits says whether s holds n ASCII digits in a row.
func hasDigits(s string, n int) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if run++; run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// looseDate reads the calendar date of a timestamp line; zero when none.
func looseDate(s string) time.Time {
	if !hasDigits(s, 4) {
		return time.Time{} // every alternative ends in a year
	}
	loc := findAnchored(looseDateAt, s, 0)
	if loc == nil {
		return time.Time{}
	}
	m := make([]string, len(loc)/2)
	for k := range m {
		if loc[2*k] >= 0 {
			m[k] = s[loc[2*k]:loc[2*k+1]]
		}
	}
	var y, d int
	var mon time.Month
	switch {
	case m[1] != "":
		y, _ = strconv.Atoi(m[1])
		mm, _ := strconv.Atoi(m[2])
		mon = time.Month(mm)
		d, _ = strconv.Atoi(m[3])
	case m[4] != "":
		d, _ = strconv.Atoi(m[4])
		mm, _ := strconv.Atoi(m[5])
		mon = time.Month(mm)
		y, _ = strconv.Atoi(m[6])
	case m[7] != "":
		d, _ = strconv.Atoi(m[7])
		mon = monthNames[strings.ToLower(m[8])]
		y, _ = strconv.Atoi(m[9])
	default:
		mon = monthNames[strings.ToLower(m[10])]
		d, _ = strconv.Atoi(m[11])
		y, _ = strconv.Atoi(m[12])
	}
	if mon < 1 || mon > 12 || d < 1 || d > 31 || y < 1995 || y > time.Now().Year()+1 {
		return time.Time{}
	}
	t := time.Date(y, mon, d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}
	}
	return t
}
