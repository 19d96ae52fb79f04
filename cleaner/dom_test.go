package cleaner

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

// TestTextShortcuts: collapse's shortcut for text that is already
// collapsed, collapseBytes (through a string view), normKey lower-casing rune by rune and
// nonSpaceRunes' byte loop give what the plain definitions give, on
// hand-picked and random strings (white space of every kind, format
// characters, invalid UTF-8, letters that change length when lower-cased).
func TestTextShortcuts(t *testing.T) {
	slowCollapse := func(s string) string {
		var b strings.Builder
		space := false
		for _, r := range s {
			switch {
			case r == '\u00ad' || r == '\u200b' || r == '\ufeff' || r == '\u200c' || r == '\u200d' || r == '\u2060':
				continue
			case unicode.IsSpace(r):
				space = b.Len() > 0
				continue
			}
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	slowNormKey := func(s string) string {
		var b strings.Builder
		space := false
		for _, r := range strings.ToLower(s) {
			if isWordRune(r) {
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
	texts := []string{"", " ", "a", "a b", " a", "a ", "a  b", "a\tb", "a\u00a0b", "a\u00adb", "a\u200bb", "\ufeffa",
		"a\xffb", "a\xe2\x82", "ĞÜŞİÖÇ ığüşöç", "Ⱥȿ ẞ", "a\u0085b", "a\vb", "\x00a", "Straße · 2023-05-01 | Ω"}
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "B", " ", "  ", "\t", "\n", "\u00a0", "\u00ad", "\u200b", "\ufeff", "\xff", "\xe2\x82", "\v", "\r", "\u0085", "\u2028", "\x1f", "İ", "Ⱥ", "ſ", "Σ", "中", "1", "-", "."}
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	for _, s := range texts {
		if got, want := collapse(s), slowCollapse(s); got != want {
			t.Errorf("collapse(%q) = %q, want %q", s, got, want)
		}
		if got, want := collapseBytes([]byte(s)), slowCollapse(s); got != want {
			t.Errorf("collapseBytes(%q) = %q, want %q", s, got, want)
		}
		want := 0
		for _, r := range s {
			if !unicode.IsSpace(r) {
				want++
			}
		}
		if got := nonSpaceRunes(s); got != want {
			t.Errorf("nonSpaceRunes(%q) = %d, want %d", s, got, want)
		}
		if got, want := normKey(s), slowNormKey(s); got != want {
			t.Errorf("normKey(%q) = %q, want %q", s, got, want)
		}
	}
}
