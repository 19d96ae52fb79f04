package cleaner

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The published date when the page's own machine-readable metadata
// (pageMeta.published) has none. The sources are tried in the order a
// page is most likely to be right about them: a date in the page's
// address, then secondary machine-readable fields, then short date-marked
// elements in document order. What these give is a calendar date, kept at
// midnight UTC.

// dateSnippetRunes is how much of a date-marked element's text is read: a
// dateline is short, and reading further would pick dates out of prose.
const dateSnippetRunes = 60

// urlDateRe finds year-month-day in a URL path: /2019/11/19/, /2023-03/15/,
// /2019/nov/18/, -20191115/, /2023/0928/. Compiled on first use, so a
// process that never cleans a page does not pay for it.
var urlDateRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(?:^|[^0-9])(?:(\d{4})[/_-](\d{1,2}|[a-z]{3,9})[/_-](\d{1,2})|(\d{4})(\d{2})(\d{2})|(\d{4})/(\d{2})(\d{2}))(?:[^0-9]|$)`)
})

// slashDateRe finds d/m/yyyy or m/d/yyyy, which looseDate leaves alone
// because the order depends on the page's language.
var slashDateRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:^|[^0-9/])(\d{1,2})/(\d{1,2})/(\d{4})(?:[^0-9/]|$)`)
})

// calendarDate builds a valid date in the years parseDate accepts.
func calendarDate(y int, m time.Month, d int) (time.Time, bool) {
	if m < 1 || m > 12 || d < 1 || d > 31 || y < 1995 || y > time.Now().Year()+1 {
		return time.Time{}, false
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return t, t.Day() == d
}

// dayOf keeps the calendar date of t as written (in t's own zone).
func dayOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// urlDate reads a date from the path of pageURL.
func urlDate(pageURL string) time.Time {
	p := pageURL
	if i := strings.Index(p, "://"); i >= 0 {
		p = p[i+3:]
		if j := strings.IndexByte(p, '/'); j >= 0 {
			p = p[j:]
		} else {
			return time.Time{}
		}
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	for _, m := range urlDateRe().FindAllStringSubmatch(p, -1) {
		var ys, ms, ds string
		switch {
		case m[1] != "":
			ys, ms, ds = m[1], m[2], m[3]
		case m[4] != "":
			ys, ms, ds = m[4], m[5], m[6]
		default:
			ys, ms, ds = m[7], m[8], m[9]
		}
		y, _ := strconv.Atoi(ys)
		d, _ := strconv.Atoi(ds)
		mon := monthNames[strings.ToLower(ms)]
		if n, err := strconv.Atoi(ms); err == nil {
			mon = time.Month(n)
		}
		if t, ok := calendarDate(y, mon, d); ok {
			return t
		}
	}
	return time.Time{}
}

// machineDate reads a date written for machines, more leniently than
// parseDate: an ISO date followed by anything ("2019-11-18 17:19:53 GMT"),
// or an HTTP date.
func machineDate(s string) time.Time {
	s = strings.TrimSpace(s)
	if t, ok := parseDate(s); ok {
		return dayOf(t)
	}
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' && (len(s) == 10 || s[10] < '0' || s[10] > '9') {
		y, err1 := strconv.Atoi(s[:4])
		m, err2 := strconv.Atoi(s[5:7])
		d, err3 := strconv.Atoi(s[8:10])
		if err1 == nil && err2 == nil && err3 == nil {
			if t, ok := calendarDate(y, time.Month(m), d); ok {
				return t
			}
		}
	}
	for _, l := range []string{time.RFC1123, time.RFC1123Z, time.RFC850, time.ANSIC} {
		if t, err := time.Parse(l, s); err == nil {
			if t, ok := calendarDate(t.Year(), t.Month(), t.Day()); ok {
				return t
			}
		}
	}
	return time.Time{}
}

// textDate reads a visible date: what looseDate reads, or a d/m/yyyy date
// (m/d/yyyy on an English page when the numbers leave it open).
func textDate(s string, english bool) time.Time {
	if t := looseDate(s); !t.IsZero() {
		return t
	}
	m := slashDateRe().FindStringSubmatch(s)
	if m == nil {
		return time.Time{}
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	y, _ := strconv.Atoi(m[3])
	d, mon := a, b
	if b > 12 || (english && a <= 12) {
		d, mon = b, a
	}
	t, _ := calendarDate(y, time.Month(mon), d)
	return t
}

// fallbackDate looks for a published date where pageMeta did not: the URL,
// then datePublished in any JSON-LD (other types, or JSON that does not
// parse), then date-marked attributes, then a modification date in meta
// tags, then the text of short date-marked elements and <time> elements.
func fallbackDate(doc *html.Node, pageURL, lang string) time.Time {
	if t := urlDate(pageURL); !t.IsZero() {
		return t
	}
	english := strings.HasPrefix(strings.ToLower(lang), "en")
	var ld, marked, modified, text, timeText time.Time
	setFirst := func(dst *time.Time, t time.Time) {
		if dst.IsZero() {
			*dst = t
		}
	}
	for n := doc; n != nil; {
		if n.Type != html.ElementNode {
			n = next(n, doc, false)
			continue
		}
		skip := false
		switch n.DataAtom {
		case atom.Script:
			if ld.IsZero() && strings.Contains(strings.ToLower(attr(n, "type")), "ld+json") {
				src := textContent(n)
				for _, key := range []string{`"datePublished"`, `"dateCreated"`} {
					if s, ok := jsonStringAfter(src, key); ok {
						setFirst(&ld, machineDate(s))
					}
				}
			}
			skip = true
		case atom.Style, atom.Noscript, atom.Template, atom.Svg, atom.Nav:
			skip = true
		case atom.Meta:
			if modified.IsZero() && isModifiedKey(n) {
				setFirst(&modified, machineDate(attr(n, "content")))
			}
		default:
			if isCommentBox(n) {
				skip = true
				break
			}
			if !dateMarked(n) {
				break
			}
			if marked.IsZero() {
				for _, k := range []string{"datetime", "content", "value", "title"} {
					if v := attr(n, k); v != "" {
						if t := machineDate(v); !t.IsZero() {
							marked = t
							break
						}
					}
				}
			}
			if text.IsZero() {
				text = textDate(textPrefix(n, dateSnippetRunes), english)
			}
		}
		if n.DataAtom == atom.Time && timeText.IsZero() {
			timeText = textDate(textPrefix(n, dateSnippetRunes), english)
		}
		n = next(n, doc, skip)
	}
	for _, t := range []time.Time{ld, marked, modified, text, timeText} {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// jsonStringAfter returns the string value that follows key and a colon in
// src, without decoding the JSON around it (which may be broken).
func jsonStringAfter(src, key string) (string, bool) {
	i := strings.Index(src, key)
	if i < 0 {
		return "", false
	}
	rest := strings.TrimLeft(src[i+len(key):], " \t\r\n")
	if !strings.HasPrefix(rest, ":") {
		return "", false
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if !strings.HasPrefix(rest, `"`) {
		return "", false
	}
	rest = rest[1:]
	j := strings.IndexByte(rest, '"')
	if j < 0 || j > 64 {
		return "", false
	}
	return rest[:j], true
}

// isModifiedKey: a meta tag that gives the page's last modification.
func isModifiedKey(n *html.Node) bool {
	if strings.EqualFold(attr(n, "http-equiv"), "last-modified") {
		return true
	}
	for _, k := range []string{"property", "name", "itemprop"} {
		switch strings.ToLower(strings.TrimSpace(attr(n, k))) {
		case "last-modified", "article:modified_time", "og:updated_time", "datemodified", "dc.date.modified", "dcterms.modified", "modified":
			return true
		}
	}
	return false
}

// isCommentBox: readers' comments carry their own dates.
func isCommentBox(n *html.Node) bool {
	return strings.Contains(strings.ToLower(attr(n, "id")+" "+attr(n, "class")), "comment")
}

// dateMarked says whether an element's name, class, id or itemprop marks it
// as holding a dateline (the elements date extractors conventionally read).
func dateMarked(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Footer, atom.Small, atom.Abbr, atom.Time:
		return true
	case atom.Div, atom.H2, atom.H3, atom.H4, atom.Li, atom.P, atom.Span, atom.Ul, atom.Input:
	default:
		return false
	}
	idClass := strings.ToLower(attr(n, "id") + " " + attr(n, "class"))
	if strings.Contains(strings.ToLower(attr(n, "itemprop")), "date") {
		return true
	}
	for _, w := range []string{"date", "datum", "time", "publish", "posted", "byline", "subline", "meta", "fecha", "parution", "submitted", "dateline", "post_detail", "info"} {
		if strings.Contains(idClass, w) {
			return true
		}
	}
	return false
}

// textPrefix returns the first limit runes of the rendered text under n,
// whitespace collapsed, without walking the rest of a large element.
func textPrefix(n *html.Node, limit int) string {
	var b strings.Builder
	runes := 0
	for c := n; c != nil && runes < limit*2; {
		skip := false
		switch c.Type {
		case html.TextNode:
			d := c.Data
			if len(d) > limit*8 {
				cut := limit * 8
				for cut > 0 && !utf8.RuneStart(d[cut]) {
					cut--
				}
				d = d[:cut]
			}
			b.WriteString(d)
			runes += utf8.RuneCountInString(d)
		case html.ElementNode:
			if c != n && invisibleText(c.DataAtom) {
				skip = true
			} else if c.DataAtom == atom.Br || isBlock(c.DataAtom) {
				b.WriteByte(' ')
			}
		}
		c = next(c, n, skip)
	}
	s := collapse(b.String())
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit])
	}
	return s
}
