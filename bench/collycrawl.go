package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"sync/atomic"

	"github.com/gocolly/colly/v2"
)

// collyCrawl is the fetch-only peer: a plain colly crawler that follows
// in-site links (colly's own goquery parse) and keeps nothing. Run as a
// subcommand, so that its CPU time and peak RSS are its own.
func collyCrawl(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("colly-crawl", flag.ContinueOnError)
	parallel := fs.Int("parallel", 8, "concurrent requests")
	depth := fs.Int("depth", 3, "link depth (colly counts the seed as depth 1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("colly-crawl: want one seed URL")
	}
	seed, err := url.Parse(fs.Arg(0))
	if err != nil {
		return err
	}
	c := colly.NewCollector(
		colly.Async(true),
		colly.AllowedDomains(seed.Hostname()),
		colly.MaxDepth(*depth+1),
		colly.UserAgent("colly-bench/1.0"),
	)
	c.IgnoreRobotsTxt = false
	if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: *parallel}); err != nil {
		return err
	}
	var fetched atomic.Int64
	c.OnResponse(func(*colly.Response) { fetched.Add(1) })
	c.OnHTML("a[href], area[href]", func(e *colly.HTMLElement) {
		_ = e.Request.Visit(e.Attr("href"))
	})
	if err := c.Visit(seed.String()); err != nil {
		return err
	}
	c.Wait()
	_, err = fmt.Fprintf(stdout, "fetched %d\n", fetched.Load())
	return err
}
