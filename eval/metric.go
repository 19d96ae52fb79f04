// Package eval measures extraction quality the way the article-extraction
// benchmark does: 4-token shingle precision, recall, F1 and exact-match accuracy.
package eval

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ShingleSize is the number of tokens in one shingle.
const ShingleSize = 4

// softHyphen is U+00AD. It is not a word character, so in a text it separates
// tokens; DeleteSoftHyphens removes it from a prediction before scoring, as the
// benchmark's authors do for their Go extractors' output.
const softHyphen = "\u00ad"

// isWord reports whether r belongs to a token: Python 3's `\w` on str, i.e.
// Unicode letters, numbers and underscore. Combining marks are not word
// characters there, so they separate tokens here too.
func isWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// Tokens splits text into maximal runs of word characters, case kept.
func Tokens(text string) []string {
	var toks []string
	start := -1
	for i, r := range text {
		if r == utf8.RuneError {
			// Invalid bytes and U+FFFD are not word characters.
			if start >= 0 {
				toks = append(toks, text[start:i])
				start = -1
			}
			continue
		}
		if isWord(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			toks = append(toks, text[start:i])
			start = -1
		}
	}
	if start >= 0 {
		toks = append(toks, text[start:])
	}
	return toks
}

// Shingles returns the multiset of overlapping ShingleSize-token shingles of
// text. A text of 1 to ShingleSize-1 tokens is one shorter shingle; a text
// without tokens has none. Keys join tokens with a space, which no token holds.
func Shingles(text string) map[string]int {
	return shingles(Tokens(text))
}

func shingles(toks []string) map[string]int {
	m := make(map[string]int)
	if len(toks) == 0 {
		return m
	}
	if len(toks) < ShingleSize {
		m[strings.Join(toks, " ")]++
		return m
	}
	for i := 0; i+ShingleSize <= len(toks); i++ {
		m[strings.Join(toks[i:i+ShingleSize], " ")]++
	}
	return m
}

// PageScore is the score of one page.
type PageScore struct {
	ID string
	// TP, FP and FN are the shared, surplus predicted and missed shingles,
	// each divided by TP+FP+FN (all zero when both texts have no shingle).
	TP, FP, FN float64
	Precision  float64 // TP/(TP+FP); 1 when FP = FN = 0; 0 when TP+FP = 0
	Recall     float64 // TP/(TP+FN); 1 when FP = FN = 0; 0 when TP+FN = 0
	HasPred    bool    // the prediction has at least one shingle
	HasTruth   bool    // the truth has at least one shingle
	Exact      bool    // the token sequences are equal
}

// F1 is the harmonic mean of the page's precision and recall, for ranking pages.
// The corpus F1 is not a mean of these.
func (p PageScore) F1() float64 { return harmonic(p.Precision, p.Recall) }

// ScorePage scores one prediction against its truth.
func ScorePage(truth, pred string) PageScore {
	tt, pt := Tokens(truth), Tokens(pred)
	ts, ps := shingles(tt), shingles(pt)
	var tp, fp, fn int
	for k, tc := range ts {
		pc := ps[k]
		tp += min(tc, pc)
		fn += max(0, tc-pc)
	}
	for k, pc := range ps {
		fp += max(0, pc-ts[k])
	}
	s := PageScore{HasPred: len(ps) > 0, HasTruth: len(ts) > 0, Exact: slices.Equal(tt, pt)}
	if sum := tp + fp + fn; sum > 0 {
		n := float64(sum)
		s.TP, s.FP, s.FN = float64(tp)/n, float64(fp)/n, float64(fn)/n
	}
	s.Precision = ratio(s.TP, s.FP, s.FN)
	s.Recall = ratio(s.TP, s.FN, s.FP)
	return s
}

// ratio is tp/(tp+miss), 1 when there is no error at all, 0 when the
// denominator is 0.
func ratio(tp, miss, other float64) float64 {
	switch {
	case miss == 0 && other == 0:
		return 1
	case tp+miss == 0:
		return 0
	}
	return tp / (tp + miss)
}

func harmonic(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// Options change how predictions are read before scoring.
type Options struct {
	// DeleteSoftHyphens removes U+00AD from each prediction before scoring.
	DeleteSoftHyphens bool
}

// Result is the score of a corpus.
type Result struct {
	Precision float64 // mean page precision over pages whose prediction has a shingle
	Recall    float64 // mean page recall over pages whose truth has a shingle
	F1        float64 // harmonic mean of Precision and Recall
	Accuracy  float64 // share of pages whose token sequence equals the truth's
	Pages     []PageScore
}

// Score scores pred against truth over every id of truth, in id order. A
// missing prediction is an empty one.
func Score(truth, pred map[string]string, opts Options) Result {
	ids := make([]string, 0, len(truth))
	for id := range truth {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	pages := make([]PageScore, len(ids))
	for i, id := range ids {
		p := pred[id]
		if opts.DeleteSoftHyphens {
			p = strings.ReplaceAll(p, softHyphen, "")
		}
		pages[i] = ScorePage(truth[id], p)
		pages[i].ID = id
	}
	return Aggregate(pages)
}

// Aggregate computes the corpus figures from page scores.
func Aggregate(pages []PageScore) Result {
	var psum, rsum, exact float64
	var pn, rn int
	for _, p := range pages {
		if p.HasPred {
			psum += p.Precision
			pn++
		}
		if p.HasTruth {
			rsum += p.Recall
			rn++
		}
		if p.Exact {
			exact++
		}
	}
	r := Result{Pages: pages}
	if pn > 0 {
		r.Precision = psum / float64(pn)
	}
	if rn > 0 {
		r.Recall = rsum / float64(rn)
	}
	if len(pages) > 0 {
		r.Accuracy = exact / float64(len(pages))
	}
	r.F1 = harmonic(r.Precision, r.Recall)
	return r
}

// Worst returns the k pages with the lowest page F1, worst first (ties by id).
func (r Result) Worst(k int) []PageScore {
	ps := slices.Clone(r.Pages)
	slices.SortStableFunc(ps, func(a, b PageScore) int {
		if c := cmp.Compare(a.F1(), b.F1()); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return ps[:min(max(k, 0), len(ps))]
}

// Spread is the standard deviation of each corpus figure over bootstrap
// resamples of the pages: the "±" of the benchmark's tables.
type Spread struct {
	Precision, Recall, F1, Accuracy float64
}

// Bootstrap resamples the pages n times with replacement, using a generator
// seeded with seed so that runs repeat, and returns the standard deviations.
func Bootstrap(pages []PageScore, n int, seed uint64) Spread {
	if n < 2 || len(pages) == 0 {
		return Spread{}
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var ps, rs, fs, as []float64
	sample := make([]PageScore, len(pages))
	for range n {
		for i := range sample {
			sample[i] = pages[rng.IntN(len(pages))]
		}
		r := Aggregate(sample)
		ps, rs, fs, as = append(ps, r.Precision), append(rs, r.Recall), append(fs, r.F1), append(as, r.Accuracy)
	}
	return Spread{Precision: stdev(ps), Recall: stdev(rs), F1: stdev(fs), Accuracy: stdev(as)}
}

// stdev is the sample standard deviation (Python's statistics.stdev).
func stdev(xs []float64) float64 {
	var mean float64
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss / float64(len(xs)-1))
}
