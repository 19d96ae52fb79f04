package crawler

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Normalize returns the canonical form of an absolute http(s) URL: scheme and
// host lower-cased, default port and fragment dropped, tracking parameters
// (utm_*, fbclid, gclid) removed, the query sorted, an empty path made "/".
func Normalize(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("normalize %q: %w", raw, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("normalize %q: scheme %q is not http or https", raw, u.Scheme)
	}
	if u.Host == "" {
		return "", fmt.Errorf("normalize %q: no host", raw)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		u.Host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		u.Host = "[" + host + "]"
	} else {
		u.Host = host
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			lk := strings.ToLower(k)
			if strings.HasPrefix(lk, "utm_") || lk == "fbclid" || lk == "gclid" {
				q.Del(k)
			}
		}
		u.RawQuery = q.Encode() // sorted by key
	}
	u.ForceQuery = false
	return u.String(), nil
}

// hostOf returns the host (with port) of an absolute URL, or "".
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// inScope reports whether the crawl may fetch u (normalised) as a page.
func (c *Crawler) inScope(u string) bool {
	for _, re := range c.opts.Deny {
		if re.MatchString(u) {
			return false
		}
	}
	if len(c.opts.Allow) == 0 {
		c.hostsMu.RLock()
		defer c.hostsMu.RUnlock()
		return c.hosts[hostOf(u)]
	}
	for _, re := range c.opts.Allow {
		if re.MatchString(u) {
			return true
		}
	}
	return false
}

// addHost widens the host scope (used when Allow is empty).
func (c *Crawler) addHost(host string) {
	c.hostsMu.Lock()
	c.hosts[host] = true
	c.hostsMu.Unlock()
}

// isArticle reports whether u is a page to emit. With no article patterns
// every in-scope HTML page is one, and the cleaner decides.
func (c *Crawler) isArticle(u string) bool {
	if len(c.opts.Article) == 0 {
		return true
	}
	for _, re := range c.opts.Article {
		if re.MatchString(u) {
			return true
		}
	}
	return false
}
