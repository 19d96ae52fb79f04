package cleaner

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInPageOrder checks the merge of kept and removed paragraphs by page
// position on a fixed Report.
func TestInPageOrder(t *testing.T) {
	src := `<html><head><title>T</title><script>var x = "Second kept";</script></head><body>
<nav><a>Menu</a><a>one</a></nav><p>First kept paragraph.</p><div>Share this</div>
<p>Second kept paragraph.</p><p>By A. Writer</p><footer>Footer &amp; text</footer></body></html>`
	rep := Report{
		Kept: []string{"First kept paragraph.", "Second kept paragraph.", "Not in the page"},
		Removed: []Removal{
			{Rule: "structure:footer", Text: "Footer & text"},
			{Rule: "structure:nav", Text: "Menu one"},
			{Rule: "share", Text: "Share this"},
			{Rule: "byline", Text: "By  A.\nWriter"},
			{Rule: "other", Text: "text the page does not have"},
		},
		body: []byte(src),
	}
	want := []Decision{
		{Rule: "structure:nav", Text: "Menu one"},
		{Text: "First kept paragraph."},
		{Rule: "share", Text: "Share this"},
		{Text: "Second kept paragraph."},
		{Text: "Not in the page"},
		{Rule: "byline", Text: "By  A.\nWriter"},
		{Rule: "structure:footer", Text: "Footer & text"},
		{Rule: "other", Text: "text the page does not have"},
	}
	if diff := cmp.Diff(want, rep.InPageOrder()); diff != "" {
		t.Errorf("InPageOrder (-want +got):\n%s", diff)
	}
}

// TestInPageOrderUsesOwnDecoding: a GB2312 page without a charset reads
// as mojibake to a decoder that guesses differently; the report places its
// navigation before the article because it searches the text the cleaner
// decoded.
func TestInPageOrderUsesOwnDecoding(t *testing.T) {
	body, err := os.ReadFile("testdata/portal-gb2312-no-charset-zh/page.html")
	if err != nil {
		t.Fatal(err)
	}
	_, rep, err := New(Options{}).Clean(Input{Body: body, URL: "http://www.hxzx.example.com/news/2023/0928/2.html"})
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, d := range rep.InPageOrder() {
		rules = append(rules, d.Rule)
	}
	want := []string{"structure:nav", "", "", "", "", "", "structure:footer"}
	if diff := cmp.Diff(want, rules); diff != "" {
		t.Errorf("rules in page order (-want +got):\n%s", diff)
	}
}
