// Package output writes Documents to files: formats, atomic writes and the manifest.
package output

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"winnow/cleaner"
)

// Formats are the names Encode accepts, with the extension of their files.
// jsonl documents are lines of a per-job, per-day file (see Sink).
var formats = map[string]string{"txt": ".txt", "json": ".json", "jsonl": ".jsonl", "markdown": ".md"}

// Formats lists the format names, for usage messages.
const Formats = "txt, json, jsonl or markdown"

// CheckFormat returns an error unless format is one of Formats.
func CheckFormat(format string) error {
	if _, ok := formats[format]; !ok {
		return fmt.Errorf("format %q: want %s", format, Formats)
	}
	return nil
}

// normalized is a Document as the files show it: whitespace collapsed, valid
// UTF-8, empty paragraphs gone.
type normalized struct {
	url, canonical, title, byline, siteName, lang string
	published, fetchedAt                          time.Time
	paragraphs                                    []string
	blocks                                        []cleaner.Block // one per paragraph, Text set to it
	text                                          string
}

func normalize(doc cleaner.Document) normalized {
	n := normalized{
		url:       collapse(doc.URL),
		canonical: collapse(doc.CanonicalURL),
		title:     collapse(doc.Title),
		byline:    collapse(doc.Byline),
		siteName:  collapse(doc.SiteName),
		lang:      collapse(doc.Lang),
		published: doc.Published,
		fetchedAt: doc.FetchedAt,
	}
	if n.canonical == "" {
		n.canonical = n.url
	}
	for i, p := range doc.Paragraphs {
		if p = collapse(p); p != "" {
			n.paragraphs = append(n.paragraphs, p)
			b := cleaner.Block{Kind: cleaner.Paragraph}
			if len(doc.Blocks) == len(doc.Paragraphs) {
				b = doc.Blocks[i]
			}
			b.Text = p
			n.blocks = append(n.blocks, b)
		}
	}
	n.text = strings.Join(n.paragraphs, "\n")
	return n
}

// collapse makes s valid UTF-8 and turns every run of white space into one
// space, trimmed at both ends.
func collapse(s string) string {
	if isCollapsed(s) {
		return s // most of a cleaned document's strings: no copy
	}
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
}

// isCollapsed reports whether collapse would return s as it is: valid
// UTF-8 whose only white space is single ASCII spaces between other
// characters.
func isCollapsed(s string) bool {
	prevSpace := true // no space at the start
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if c == ' ' {
				if prevSpace {
					return false
				}
				prevSpace = true
				continue
			}
			if asciiSpace[c] {
				return false
			}
			prevSpace = false
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unicode.IsSpace(r) {
			return false
		}
		i += size
		prevSpace = false
	}
	return !prevSpace || s == ""
}

// asciiSpace marks the ASCII white space strings.Fields splits on besides ' '.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true}

func hashText(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// TextHash is the hex SHA-256 of the document's text as Encode writes it
// (paragraphs whitespace-collapsed, joined by "\n"): the json sha256 field.
func TextHash(doc cleaner.Document) string { return hashText(normalize(doc).text) }

// Encode renders doc in format (one of Formats).
//
// txt: the title, the published date as YYYY-MM-DD (or an empty line), the
// canonical URL, an empty line, then one paragraph per line, each line ending
// in "\n". json: one indented object with the contract's fields; published and
// fetched_at are RFC 3339 or null. jsonl: the same object on one line, ending
// in "\n". markdown: YAML front matter with the metadata, then the article's
// blocks (see EncodeMarkdown; links are left out).
func Encode(doc cleaner.Document, format string) ([]byte, error) {
	n := normalize(doc)
	switch format {
	case "txt":
		return encodeTxt(n), nil
	case "json":
		return encodeJSON(n, true)
	case "jsonl":
		return encodeJSON(n, false)
	case "markdown":
		return encodeMarkdown(n, MarkdownOptions{})
	}
	return nil, fmt.Errorf("encode: %w", CheckFormat(format))
}

func encodeTxt(n normalized) []byte {
	var b bytes.Buffer
	b.WriteString(n.title)
	b.WriteByte('\n')
	if !n.published.IsZero() {
		b.WriteString(n.published.Format(time.DateOnly))
	}
	b.WriteByte('\n')
	b.WriteString(n.canonical)
	b.WriteString("\n\n")
	for _, p := range n.paragraphs {
		b.WriteString(p)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// record is the json format; manifestLine the manifest's, which has no text.
type record struct {
	URL          string  `json:"url"`
	CanonicalURL string  `json:"canonical_url"`
	Title        string  `json:"title"`
	Byline       string  `json:"byline"`
	Published    *string `json:"published"`
	SiteName     string  `json:"site_name"`
	Lang         string  `json:"lang"`
	Text         string  `json:"text"`
	FetchedAt    *string `json:"fetched_at"`
	SHA256       string  `json:"sha256"`
}

type manifestLine struct {
	URL          string  `json:"url"`
	CanonicalURL string  `json:"canonical_url"`
	Title        string  `json:"title"`
	Byline       string  `json:"byline"`
	Published    *string `json:"published"`
	SiteName     string  `json:"site_name"`
	Lang         string  `json:"lang"`
	FetchedAt    *string `json:"fetched_at"`
	SHA256       string  `json:"sha256"`
	Path         string  `json:"path"`
	Job          string  `json:"job"`
}

func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(time.RFC3339)
	return &s
}

func toRecord(n normalized) record {
	return record{
		URL:          n.url,
		CanonicalURL: n.canonical,
		Title:        n.title,
		Byline:       n.byline,
		Published:    rfc3339(n.published),
		SiteName:     n.siteName,
		Lang:         n.lang,
		Text:         n.text,
		FetchedAt:    rfc3339(n.fetchedAt),
		SHA256:       hashText(n.text),
	}
}

// encodeJSON is the one encoder of the contract's JSON document: indented
// for the json format, on one line for jsonl. Both end in "\n".
func encodeJSON(n normalized, indent bool) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(toRecord(n)); err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	return b.Bytes(), nil
}

// ID is the file name stem of a document: the first 16 hex digits of the
// SHA-256 of its canonical URL.
func ID(canonicalURL string) string {
	sum := sha256.Sum256([]byte(canonicalURL))
	return hex.EncodeToString(sum[:8])
}

// HostDir is the directory name of a URL's host, as the URL's host (and
// the HTTP Host header) reads: lower-cased, IDNs in their ASCII (punycode)
// form, a port other than the scheme's default kept after ":"
// ("127.0.0.1:8080", "[::1]:9000"), every other byte outside [a-z0-9.-]
// replaced by "_", and a leading dot escaped. A URL without a host gives
// "_nohost".
func HostDir(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return "_nohost"
	}
	host := strings.ToLower(u.Hostname())
	if a, err := idna.Lookup.ToASCII(host); err == nil {
		host = a
	}
	b := []byte(host)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':') {
			b[i] = '_'
		}
	}
	if b[0] == '.' {
		b[0] = '_'
	}
	host = string(b)
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6
	}
	if p := u.Port(); p != "" && p != defaultPort[u.Scheme] {
		host += ":" + p
	}
	return host
}

var defaultPort = map[string]string{"http": "80", "https": "443"}

// RelPath is where a document with this canonical URL lives under the output
// directory: <host>/<id>.<format>, with "/" separators.
func RelPath(canonicalURL, format string) string {
	return HostDir(canonicalURL) + "/" + ID(canonicalURL) + formats[format]
}
