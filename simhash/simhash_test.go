package simhash

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWords(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{name: "punctuation and case", in: "The Council's vote: 31-9.", want: []string{"the", "council", "s", "vote", "31", "9"}},
		{name: "accents", in: "Größe café", want: []string{"größe", "café"}},
		{name: "chinese letters are words", in: "北京2024年", want: []string{"北", "京", "2024", "年"}},
		{name: "empty", in: " , ", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, words(tt.in)); diff != "" {
				t.Errorf("words(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b uint64
		want int
	}{{0, 0, 0}, {0, 1, 1}, {0xff, 0x0f, 4}, {0, ^uint64(0), 64}}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%x, %x) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// story is a long agency text; storyOther an unrelated one.
var story = `The central bank raised its main interest rate by a quarter of a percentage point on Thursday, the fourth increase this year, saying inflation was still running well above its target.
The decision, taken by seven votes to two, takes the rate to 4.5 percent, its highest level since 2008, and was widely expected by economists polled before the meeting.
Governor Elena Marsh told reporters that the bank would do what was needed to bring inflation back down, but that it was watching closely for signs that higher borrowing costs were hurting jobs.
Consumer prices rose 6.1 percent in the year to October, down from a peak of 9 percent in the spring but still three times the bank's target of 2 percent.
The two members who voted against the increase said the effects of earlier rises had yet to be felt in the economy and warned of the risk of doing too much.
Mortgage lenders said they expected to pass the increase on to borrowers within days, adding about 30 a month to the repayments of a typical variable-rate loan.
Business groups urged the bank to pause, pointing to a fall in factory orders and a rise in insolvencies among small firms over the past three months.
Markets had priced in the move, and the currency was little changed after the announcement, while government bond yields edged lower.
The bank's next meeting is in December, when it will also publish new forecasts for growth and inflation over the next three years.`

var storyOther = `Firefighters brought a blaze at a recycling plant on the edge of the city under control early on Friday after working through the night, the fire service said.
Residents living near the site were told to keep windows and doors closed because of the thick smoke, which could be seen for several miles.
No one was injured, and the cause of the fire is being investigated, a spokeswoman for the fire service said, adding that crews would stay at the scene for several days.
The plant, which handles plastic and paper waste from three counties, was closed last year for two weeks after a smaller fire in the same building.`

func TestFingerprintCopies(t *testing.T) {
	base := Fingerprint(story)
	paras := strings.Split(story, "\n")
	edited := append([]string{}, paras...)
	edited[5] = "Mortgage lenders said they expected to pass the increase on to borrowers within days."
	tests := []struct {
		name    string
		text    string
		maxDist int // at most this many bits from the story
		minDist int // at least this many
	}{
		{name: "the same text", text: story, maxDist: 0},
		{name: "other white space and case", text: strings.ToUpper(strings.ReplaceAll(story, "\n", "\n\n  ")), maxDist: 0},
		{name: "a credit line added", text: story + "\nReporting by Tom Hale; editing by Ann Roy.", maxDist: 3},
		// A sixth of one of nine paragraphs cut: 4 % of the shingles
		// change, which moves a 64-bit SimHash about 6 bits on average.
		{name: "a paragraph cut short", text: strings.Join(edited, "\n"), minDist: 1, maxDist: 10},
		{name: "another story", text: storyOther, minDist: 16, maxDist: 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Distance(base, Fingerprint(tt.text))
			if d > tt.maxDist || d < tt.minDist {
				t.Errorf("distance %d, want %d to %d", d, tt.minDist, tt.maxDist)
			}
		})
	}
	if Fingerprint("") != 0 {
		t.Error("empty text: want 0")
	}
	if Fingerprint("one two") == 0 {
		t.Error("a text shorter than a shingle: want a fingerprint")
	}
}

func BenchmarkFingerprint(b *testing.B) {
	text := strings.Repeat(story+"\n", 3)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Fingerprint(text)
	}
}

func ExampleDistance() {
	a := Fingerprint("The council approved the plan on Tuesday after a long debate about the harbour wall and the pumps.")
	b := Fingerprint("The council approved the plan on Tuesday after a long debate about the harbour wall and the pumps, officials said.")
	fmt.Println(Distance(a, b) < Distance(a, Fingerprint("Firefighters brought a blaze at a recycling plant under control early on Friday.")))
	// Output: true
}
