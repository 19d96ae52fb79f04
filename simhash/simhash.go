// Package simhash fingerprints texts with SimHash (Charikar 2002) over
// word shingles, so that lightly edited copies of one text get
// fingerprints a few bits apart.
package simhash

import (
	"math/bits"
	"strings"
	"unicode"
)

// Shingle is the number of consecutive words hashed together.
const Shingle = 3

// Fingerprint is the 64-bit SimHash of text: every run of Shingle
// consecutive words (lower-cased; punctuation dropped; each Chinese,
// Japanese or Thai letter a word) is hashed with 64-bit FNV-1a, and bit i
// of the result is set when more shingles have bit i set than not. A text
// shorter than a shingle is hashed as one. Empty text gives 0.
func Fingerprint(text string) uint64 {
	return fingerprint(words(text), Shingle)
}

func fingerprint(ws []string, k int) uint64 {
	if len(ws) == 0 {
		return 0
	}
	var votes [64]int
	n := max(len(ws)-k+1, 1)
	for i := range n {
		h := uint64(fnvOffset)
		for j := i; j < min(i+k, len(ws)); j++ {
			if j > i {
				h = (h ^ ' ') * fnvPrime
			}
			for k := 0; k < len(ws[j]); k++ {
				h = (h ^ uint64(ws[j][k])) * fnvPrime
			}
		}
		for b := range 64 {
			if h&(1<<b) != 0 {
				votes[b]++
			} else {
				votes[b]--
			}
		}
	}
	var fp uint64
	for b, v := range votes {
		if v > 0 {
			fp |= 1 << b
		}
	}
	return fp
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// Distance is the Hamming distance of two fingerprints: how many bits differ.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// words splits text into lower-cased words: runs of letters and digits,
// and single letters of scripts written without spaces.
func words(text string) []string {
	var out []string
	start := -1
	for i, r := range text {
		switch {
		case unspaced(r):
			if start >= 0 {
				out = append(out, strings.ToLower(text[start:i]))
				start = -1
			}
			out = append(out, string(r))
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if start < 0 {
				start = i
			}
		default:
			if start >= 0 {
				out = append(out, strings.ToLower(text[start:i]))
				start = -1
			}
		}
	}
	if start >= 0 {
		out = append(out, strings.ToLower(text[start:]))
	}
	return out
}

func unspaced(r rune) bool {
	return r >= 0x0E00 && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai)
}
