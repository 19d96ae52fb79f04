package cleaner

import (
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// densestBlock is the second-pass extractor for pages where readability
// finds little or nothing: portals that cut an article into many short
// paragraphs fail its per-paragraph length checks. It picks the element
// whose direct block children carry the most text outside links, which is
// the article on nearly every page where any article exists.
type densestBlock struct{}

func (densestBlock) find(body *html.Node) *html.Node {
	if body == nil {
		return nil
	}
	// own[n]: non-link text whose nearest block ancestor is n.
	own := map[*html.Node]int{}
	var blocks []*html.Node
	for n := body; n != nil; {
		skip := false
		switch n.Type {
		case html.ElementNode:
			skip = invisibleText(n.DataAtom) || n.DataAtom == atom.A
		case html.TextNode:
			k := nonSpaceRunes(n.Data)
			if k > 0 {
				b := n.Parent
				for b != nil && b != body && !(b.Type == html.ElementNode && isBlock(b.DataAtom)) {
					b = b.Parent
				}
				if b != nil {
					if _, ok := own[b]; !ok {
						blocks = append(blocks, b)
					}
					own[b] += k
				}
			}
		}
		n = next(n, body, skip)
	}
	// score[p]: text of p itself plus that of its block children, the
	// shape of an article container holding paragraphs.
	score := map[*html.Node]int{}
	var order []*html.Node // document order, so ties resolve the same way every run
	add := func(n *html.Node, k int) {
		if _, ok := score[n]; !ok {
			order = append(order, n)
		}
		score[n] += k
	}
	for _, b := range blocks {
		add(b, own[b])
		if p := b.Parent; p != nil {
			add(p, own[b])
		}
	}
	var best *html.Node
	bestScore := 0
	for _, n := range order {
		if s := score[n]; s > bestScore {
			best, bestScore = n, s
		}
	}
	if best == nil || best.Type != html.ElementNode {
		return best
	}
	// A block that is itself a lone paragraph: use its container.
	if best.DataAtom == atom.P && best.Parent != nil {
		best = best.Parent
	}
	return best
}
