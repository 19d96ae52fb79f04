package cleaner

import (
	"bytes"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/saintfish/chardet"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// prescanLen is how much of the page is searched for a <meta> charset
// declaration. The HTML standard says 1024 bytes; real pages often put a long
// <head> (inline CSS, scripts) first, so we look further, as browsers'
// "prescan" effectively does when the declaration is late.
const prescanLen = 4096

// detectLen caps the sample given to the statistical detector.
const detectLen = 64 << 10

// metaCharset finds charset=... in <meta charset> and in the content of
// <meta http-equiv="content-type">. Compiled once; never mutated.
var metaCharset = regexp.MustCompile(`(?i)<meta[^>]+?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)`)

// looseCharset reads charset=... from a header mime cannot parse.
var looseCharset = regexp.MustCompile(`(?i)charset\s*=\s*["']?([a-z0-9_:.\-]+)`)

// decoded is a page's text in UTF-8 and where its encoding came from.
type decoded struct {
	text     []byte // UTF-8; the body itself when it was UTF-8 already
	encoding string // canonical label, e.g. "utf-8", "gb18030"
	source   string // "header", "bom", "meta", "detected", "default"
}

// decode turns raw bytes into UTF-8 in Scrapy's order of evidence: the HTTP
// header charset, a byte order mark, a <meta> declaration, then statistical
// detection. A declared UTF-8 that the bytes contradict is not trusted (that
// is the commonest wrong declaration); other declarations are. Invalid bytes
// become U+FFFD; decoding never fails.
func decode(body []byte, contentType string) decoded {
	isUTF8 := utf8.Valid(body)
	// Bytes that are valid UTF-8 and use multi-byte sequences are UTF-8
	// whatever a header or meta tag says: text in any other encoding
	// almost never forms valid UTF-8 by accident. (Checked valid already:
	// the text is the body, without its byte order mark.)
	if isUTF8 && hasMultibyte(body) {
		return decoded{text: bytes.TrimPrefix(body, []byte{0xEF, 0xBB, 0xBF}), encoding: "utf-8", source: "detected"}
	}
	plausibleUTF8 := isUTF8 || mostlyUTF8(body)
	if enc, name, ok := headerCharset(contentType); ok && !(name == "utf-8" && !plausibleUTF8) {
		return decodeWith(body, enc, name, "header")
	}
	if enc, name, n := bomEncoding(body); enc != nil {
		return decodeWith(body[n:], enc, name, "bom")
	}
	head := body
	if len(head) > prescanLen {
		head = head[:prescanLen]
	}
	if m := metaCharset.FindSubmatch(head); m != nil {
		if enc, name := lookupCharset(string(m[1])); enc != nil && !(name == "utf-8" && !plausibleUTF8) {
			// A page decoded as UTF-16 by its meta tag alone is wrong by
			// definition (the tag itself was readable as ASCII).
			if !strings.HasPrefix(name, "utf-16") {
				return decodeWith(body, enc, name, "meta")
			}
		}
	}
	if isUTF8 {
		return decoded{text: body, encoding: "utf-8", source: "detected"}
	}
	sample := body
	if len(sample) > detectLen {
		sample = sample[:detectLen]
		// Do not cut a multi-byte sequence in two for the detector.
		for i := 0; i < 3 && len(sample) > 0 && sample[len(sample)-1]&0x80 != 0; i++ {
			sample = sample[:len(sample)-1]
		}
	}
	if r, err := chardet.NewHtmlDetector().DetectBest(sample); err == nil && r.Confidence >= 10 {
		if enc, name := lookupCharset(r.Charset); enc != nil && name != "utf-8" {
			return decodeWith(body, enc, name, "detected")
		}
	}
	if plausibleUTF8 {
		return decodeWith(body, nil, "utf-8", "detected")
	}
	// windows-1252 is what browsers fall back to for Western pages; it
	// maps every byte, so nothing is lost to U+FFFD.
	enc, name := lookupCharset("windows-1252")
	return decodeWith(body, enc, name, "default")
}

// hasMultibyte reports whether b has any byte outside ASCII.
func hasMultibyte(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// mostlyUTF8 says whether b is UTF-8 with a few corrupt bytes: at most one
// in ten of its non-ASCII bytes fails to decode, and some decode.
func mostlyUTF8(b []byte) bool {
	good, bad := 0, 0
	for i := 0; i < len(b); {
		if b[i] < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			bad++
		} else {
			good += n
		}
		i += n
	}
	return good > 0 && bad*10 <= good+bad
}

func headerCharset(contentType string) (encoding.Encoding, string, bool) {
	if contentType == "" {
		return nil, "", false
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		// A sloppy header ("text/html; charset=gbk;;") still names its charset.
		if m := looseCharset.FindStringSubmatch(contentType); m != nil {
			params = map[string]string{"charset": m[1]}
		}
	}
	label := params["charset"]
	if label == "" {
		return nil, "", false
	}
	enc, name := lookupCharset(label)
	return enc, name, enc != nil
}

// lookupCharset maps a label to an encoding, treating GB2312 and GBK as
// their superset GB18030 (pages labelled gb2312 routinely use GBK and
// GB18030 characters).
func lookupCharset(label string) (encoding.Encoding, string) {
	label = strings.TrimSpace(label)
	enc, name := charset.Lookup(label)
	if enc == nil {
		// The detector says "GB-18030" where WHATWG says "gb18030".
		enc, name = charset.Lookup(strings.ReplaceAll(label, "-", ""))
	}
	if enc == nil {
		return nil, ""
	}
	switch name {
	case "gbk", "gb2312", "gb18030":
		return simplifiedchinese.GB18030, "gb18030"
	}
	return enc, name
}

func bomEncoding(b []byte) (encoding.Encoding, string, int) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return unicode.UTF8, "utf-8", 3
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", 2
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", 2
	}
	return nil, "", 0
}

func decodeWith(b []byte, enc encoding.Encoding, name, source string) decoded {
	if name == "utf-8" {
		return decoded{text: validUTF8(b), encoding: name, source: source}
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		// x/text decoders replace invalid input themselves; an error here
		// means a transformer failed outright. Fall back to the bytes as
		// UTF-8 with replacement characters rather than failing the page.
		return decoded{text: validUTF8(b), encoding: "utf-8", source: "fallback"}
	}
	return decoded{text: validUTF8(out), encoding: name, source: source}
}

// validUTF8 is b with each run of invalid bytes replaced by U+FFFD. Valid
// input, nearly every page, is only checked (utf8.Valid is much faster
// than the rune-by-rune pass of bytes.ToValidUTF8) and returned as it is,
// not copied: the decoded text is only read.
func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}
