package cleaner

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"golang.org/x/net/html"
)

// flattenDepth is how deep the repair pass lets elements nest. It is below
// x/net/html's own limit of 512 open elements, which the tree builder's
// implied elements (html, body, tbody...) also count against.
const flattenDepth = 256

// parseHTML parses a page. x/net/html refuses documents that keep more
// than 512 elements open at once (it would otherwise take quadratic time);
// such a page is re-tokenized with the start tags beyond flattenDepth
// dropped, keeping all its text, and parsed again.
func parseHTML(text []byte) (*html.Node, error) {
	doc, err := html.Parse(bytes.NewReader(text))
	if err == nil || !strings.Contains(err.Error(), "open stack of elements") {
		return doc, err
	}
	flat, ferr := flatten(text, flattenDepth)
	if ferr != nil {
		return nil, ferr
	}
	return html.Parse(bytes.NewReader(flat))
}

var errFlatten = errors.New("flatten: tokenizer failed")

// flatten copies the tokens of text, dropping start tags that would open
// an element deeper than limit (and their end tags). It keeps its own
// simple stack of open elements: an end tag closes up to the nearest open
// element of the same name, as browsers do for misnested markup.
func flatten(text []byte, limit int) ([]byte, error) {
	z := html.NewTokenizer(bytes.NewReader(text))
	var out bytes.Buffer
	out.Grow(len(text))
	var stack []string
	dropped := map[string]int{} // per tag name: end tags still to swallow
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() == io.EOF {
				return out.Bytes(), nil
			}
			return nil, errFlatten
		case html.StartTagToken:
			name, _ := z.TagName()
			n := string(name)
			if voidElement(n) {
				out.Write(z.Raw())
				continue
			}
			if len(stack) >= limit {
				dropped[n]++
				continue
			}
			stack = append(stack, n)
			out.Write(z.Raw())
		case html.EndTagToken:
			name, _ := z.TagName()
			n := string(name)
			if dropped[n] > 0 {
				dropped[n]--
				continue
			}
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i] == n {
					stack = stack[:i]
					break
				}
			}
			out.Write(z.Raw())
		default:
			out.Write(z.Raw())
		}
	}
}

func voidElement(n string) bool {
	switch n {
	case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "param", "keygen":
		return true
	}
	return false
}
