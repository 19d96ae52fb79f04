package crawler

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode"
)

// Normalize returns the canonical form of an absolute http(s) URL: scheme and
// host lower-cased, default port and fragment dropped, tracking parameters
// (utm_*, fbclid, gclid) removed, the query sorted, an empty path made "/".
func Normalize(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("normalize %q: %w", raw, err)
	}
	if err := normalizeURL(u); err != nil {
		return "", fmt.Errorf("normalize %q: %w", raw, err)
	}
	return u.String(), nil
}

// normalizeURL puts u in the canonical form of Normalize, in place: its
// String is then what Normalize returns for it. A page's links are
// normalised this way straight from the parsed and resolved URL, rather
// than written out and parsed again.
func normalizeURL(u *url.URL) error {
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("no host")
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
	return nil
}

// normalizeLink returns Normalize(u.String()) and its host (hostOf), for a
// link resolved against its page. A link with a plain host (ASCII letters,
// digits, dots, hyphens, a port) is normalised in place, rather than
// written out and parsed twice more (FuzzPageItems holds the two ways to
// the same result); any other is written out and parsed, as escapes in a
// host may not survive the round trip. So is one whose query ends in white
// space, which Normalize trims off the written-out URL.
func normalizeLink(u *url.URL) (n, host string, ok bool) {
	if !plainHost(u.Host) || strings.TrimRightFunc(u.RawQuery, unicode.IsSpace) != u.RawQuery {
		n, err := Normalize(u.String())
		if err != nil {
			return "", "", false
		}
		return n, hostOf(n), true
	}
	if normalizeURL(u) != nil {
		return "", "", false
	}
	return u.String(), u.Host, true
}

// plainHost reports whether a URL's host is a name of ASCII letters,
// digits, dots and hyphens, with or without a port of digits.
func plainHost(h string) bool {
	name, port, hasPort := strings.Cut(h, ":")
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch b := name[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '.', b == '-':
		default:
			return false
		}
	}
	if hasPort {
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return false
			}
		}
	}
	return true
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
	host := ""
	if len(c.opts.Allow) == 0 {
		host = hostOf(u)
	}
	return c.inScopeAt(u, host)
}

// inScopeAt is inScope for a URL whose host (hostOf(u)) is known; it is
// only read when no allow patterns are set.
func (c *Crawler) inScopeAt(u, host string) bool {
	for _, re := range c.opts.Deny {
		if re.MatchString(u) {
			return false
		}
	}
	if len(c.opts.Allow) == 0 {
		c.hostsMu.RLock()
		defer c.hostsMu.RUnlock()
		return c.hosts[host]
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
