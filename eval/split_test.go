package eval

import "testing"

func TestSplit(t *testing.T) {
	d := loadBenchmark(t)
	dev, err := d.Subset(SplitDev)
	if err != nil {
		t.Fatal(err)
	}
	test, err := d.Subset(SplitTest)
	if err != nil {
		t.Fatal(err)
	}
	if len(dev.Pages)+len(test.Pages) != len(d.Pages) {
		t.Fatalf("dev %d + test %d pages != %d", len(dev.Pages), len(test.Pages), len(d.Pages))
	}
	// Both halves must be large enough to score on: within 40–60 %.
	for name, n := range map[string]int{"dev": len(dev.Pages), "test": len(test.Pages)} {
		if n*10 < len(d.Pages)*4 || n*10 > len(d.Pages)*6 {
			t.Errorf("%s has %d of %d pages", name, n, len(d.Pages))
		}
	}
	// A site's pages never straddle the halves.
	side := map[string]string{}
	for _, p := range d.Pages {
		h := siteKey(p.URL)
		if s, ok := side[h]; ok && s != SplitOf(p) {
			t.Errorf("site %s is in both halves", h)
		}
		side[h] = SplitOf(p)
	}
	if _, err := d.Subset("train"); err == nil {
		t.Error("Subset(train): want an error")
	}
}
