package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"
)

// decoder walks the YAML node tree, filling a Config and collecting every
// problem with its path and line, so that one run reports them all.
type decoder struct {
	file     string
	errs     []error
	errCount int // len(errs) when the current job began
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{File: d.file, Path: path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// field is one key of a mapping and what to do with its value.
type field struct {
	key    string
	decode func(n *yaml.Node, path string)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// mapping decodes the keys of the mapping n with fields, in the order of
// fields, reporting unknown and duplicate keys.
func (d *decoder) mapping(n *yaml.Node, path string, fields []field) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	values := map[string]*yaml.Node{}
	known := map[string]bool{}
	for _, f := range fields {
		known[f.key] = true
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "expected a key, got %s", describe(k))
			continue
		}
		switch {
		case !known[k.Value]:
			d.errorf(k, join(path, k.Value), "unknown key%s", suggest(k.Value, fields))
		case values[k.Value] != nil:
			d.errorf(k, join(path, k.Value), "duplicate key (first on line %d)", values[k.Value].Line)
		default:
			values[k.Value] = v
		}
	}
	for _, f := range fields {
		if v := values[f.key]; v != nil {
			f.decode(resolve(v), join(path, f.key))
		}
	}
}

// describe names what a node is, for type errors.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!str":
			return strconv.Quote(n.Value)
		}
		return n.Value
	}
	return "an unexpected node"
}

func (d *decoder) decode(data []byte) *Config {
	cfg := Default()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		d.syntaxError(err)
		return cfg
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		d.errorf(nil, "", "empty configuration: at least one job is required")
		return cfg
	}
	root := resolve(doc.Content[0])
	var jobsNode *yaml.Node
	d.mapping(root, "", []field{
		{"output", func(n *yaml.Node, p string) {
			d.mapping(n, p, []field{
				{"dir", d.str(&cfg.Output.Dir, nonEmpty)},
				{"format", d.str(&cfg.Output.Format, oneOf("txt", "json", "jsonl", "markdown"))},
				{"markdown_links", d.boolean(&cfg.Output.MarkdownLinks)},
			})
		}},
		{"state", func(n *yaml.Node, p string) {
			d.mapping(n, p, []field{
				{"backend", d.str(&cfg.State.Backend, oneOf("bolt", "redis"))},
				{"path", d.str(&cfg.State.Path, nil)},
				{"addr", d.str(&cfg.State.Addr, hostPort)},
				{"lease_ttl", d.duration(&cfg.State.LeaseTTL, positive)},
			})
		}},
		{"http", func(n *yaml.Node, p string) {
			var listenNode *yaml.Node
			errs := len(d.errs)
			d.mapping(n, p, []field{
				{"listen", func(n *yaml.Node, p string) {
					listenNode = n
					d.str(&cfg.HTTP.Listen, hostPort)(n, p)
				}},
				{"token_file", func(n *yaml.Node, p string) {
					d.str(&cfg.HTTP.TokenFile, nil)(n, p)
					if cfg.HTTP.TokenFile != "" {
						cfg.HTTP.Token = d.token(n, p, cfg.HTTP.TokenFile)
					}
				}},
				{"pprof", d.boolean(&cfg.HTTP.Pprof)},
			})
			if listenNode != nil && len(d.errs) == errs && cfg.HTTP.TokenFile == "" && !Loopback(cfg.HTTP.Listen) {
				d.errorf(listenNode, p+".listen", "%q is not a loopback address and http.token_file is not set: anyone who can reach it could start runs; set a token_file or listen on 127.0.0.1", cfg.HTTP.Listen)
			}
		}},
		{"shutdown_grace", d.duration(&cfg.ShutdownGrace, positive)},
		{"defaults", func(n *yaml.Node, p string) {
			d.mapping(n, p, append(settingsFields(d, &cfg.Defaults), filterFields(d, &cfg.DefaultFilter)...))
		}},
		// jobs last: they start from the defaults, wherever those are written.
		{"jobs", func(n *yaml.Node, p string) { jobsNode = n }},
	})
	if root.Kind != yaml.MappingNode {
		return cfg
	}
	if jobsNode == nil {
		d.errorf(root, "jobs", "at least one job is required")
		return cfg
	}
	d.jobs(jobsNode, "jobs", cfg)
	return cfg
}

// Loopback reports whether a listen address (host:port) is reachable only
// from this machine: localhost or a loopback IP. A malformed address is not.
func Loopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError reports a YAML syntax error with its line.
func (d *decoder) syntaxError(err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		if m := lineRE.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			d.errs = append(d.errs, &Error{File: d.file, Line: n, Msg: "yaml syntax: " + m[2]})
			continue
		}
		d.errs = append(d.errs, &Error{File: d.file, Msg: "yaml syntax: " + strings.TrimPrefix(line, "yaml: ")})
	}
}

func (d *decoder) token(n *yaml.Node, path, file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		d.errorf(n, path, "read %s: %v", file, unwrapPath(err))
		return ""
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		d.errorf(n, path, "%s is empty", file)
	}
	return tok
}

func settingsFields(d *decoder, s *Settings) []field {
	return []field{
		{"user_agent", d.str(&s.UserAgent, nonEmpty)},
		{"parallel", d.integer(&s.Parallel, 1)},
		{"delay", d.duration(&s.Delay, nonNegative)},
		{"timeout", d.duration(&s.Timeout, positive)},
		{"max_body", d.size(&s.MaxBody)},
		{"max_depth", d.integer(&s.MaxDepth, 0)},
		{"max_pages", d.integer(&s.MaxPages, 0)},
		{"retries", d.integer(&s.Retries, 0)},
		{"respect_robots", d.boolean(&s.RespectRobots)},
		{"allow_private", d.boolean(&s.AllowPrivate)},
		{"archive", func(n *yaml.Node, p string) {
			d.mapping(n, p, []field{
				{"dir", d.str(&s.Archive.Dir, nil)},
				{"max_size", func(n *yaml.Node, p string) {
					var v int64
					errs := len(d.errs)
					d.size(&v)(n, p)
					switch {
					case len(d.errs) > errs || v == 0:
					case v < MinArchiveSize:
						d.errorf(n, p, "%q: must be at least 1MiB", n.Value)
					default:
						s.Archive.MaxSize = v
					}
				}},
			})
		}},
	}
}

func filterFields(d *decoder, f *Filter) []field {
	return []field{
		{"min_words", d.integer(&f.MinWords, 0)},
		{"languages", d.languages(&f.Languages)},
		{"near_duplicates", func(n *yaml.Node, p string) {
			d.mapping(n, p, []field{
				{"enabled", d.boolean(&f.NearDuplicates.Enabled)},
				{"max_distance", func(n *yaml.Node, p string) {
					v, errs := f.NearDuplicates.MaxDistance, len(d.errs)
					if d.integer(&v, 0)(n, p); len(d.errs) > errs {
						return
					}
					if v > MaxNearDistance {
						d.errorf(n, p, "%d: must be at most %d (bits of the 64-bit SimHash)", v, MaxNearDistance)
						return
					}
					f.NearDuplicates.MaxDistance = v
				}},
			})
		}},
	}
}

var jobNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func (d *decoder) jobs(n *yaml.Node, path string, cfg *Config) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a list of jobs, got %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		d.errorf(n, path, "at least one job is required")
		return
	}
	names := map[string]int{}
	for i, jn := range n.Content {
		jn = resolve(jn)
		p := fmt.Sprintf("%s[%d]", path, i)
		j := Job{Settings: cfg.Defaults, Filter: cfg.DefaultFilter, Line: jn.Line}
		j.Filter.Languages = slices.Clone(j.Filter.Languages)
		d.errCount = len(d.errs)
		var nameNode, schedNode *yaml.Node
		sources := 0 // seeds, sitemaps and feeds keys given, valid or not
		urls := func(dst *[]string) func(*yaml.Node, string) {
			return func(n *yaml.Node, p string) { sources++; d.urls(dst)(n, p) }
		}
		fields := []field{
			{"name", func(n *yaml.Node, p string) { nameNode = n; d.str(&j.Name, nil)(n, p) }},
			{"schedule", func(n *yaml.Node, p string) { schedNode = n; d.schedule(&j, n, p) }},
			{"seeds", urls(&j.Seeds)},
			{"sitemaps", urls(&j.Sitemaps)},
			{"feeds", urls(&j.Feeds)},
			{"allow", d.regexps(&j.Allow)},
			{"deny", d.regexps(&j.Deny)},
			{"article", d.regexps(&j.Article)},
		}
		fields = append(fields, settingsFields(d, &j.Settings)...)
		fields = append(fields, filterFields(d, &j.Filter)...)
		d.mapping(jn, p, fields)
		if jn.Kind != yaml.MappingNode {
			continue
		}
		switch {
		case nameNode == nil:
			d.errorf(jn, p+".name", "missing: every job needs a name")
		case j.Name == "" && nameNode.ShortTag() == "!!str":
			d.errorf(nameNode, p+".name", "empty: every job needs a name")
		case j.Name == "":
		case !jobNameRE.MatchString(j.Name):
			d.errorf(nameNode, p+".name", "%q: use letters, digits, '.', '_' and '-', starting with a letter or digit", j.Name)
		case names[j.Name] != 0:
			d.errorf(nameNode, p+".name", "%q: duplicate job name (first on line %d)", j.Name, names[j.Name])
		default:
			names[j.Name] = nameNode.Line
		}
		if schedNode == nil {
			d.errorf(jn, p+".schedule", "missing: every job needs a cron schedule (\"@every 30m\", \"*/30 * * * *\")")
		}
		if sources == 0 || len(j.Seeds)+len(j.Sitemaps)+len(j.Feeds) == 0 && d.errCount == len(d.errs) {
			d.errorf(jn, p, "no seeds, sitemaps or feeds: nothing to crawl")
		}
		cfg.Jobs = append(cfg.Jobs, j)
	}
}

// scheduleParser is robfig/cron's standard parser: five fields or a
// descriptor (@daily, @every 10m), with optional CRON_TZ= or TZ= prefix.
var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func (d *decoder) schedule(j *Job, n *yaml.Node, p string) {
	d.str(&j.Schedule, nil)(n, p)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return
	}
	s, err := scheduleParser.Parse(j.Schedule)
	if err != nil {
		d.errorf(n, p, "%q: %v", j.Schedule, err)
		return
	}
	// robfig/cron turns an "@every" under a second (zero and negative
	// included) into every second: a typo would hammer the site.
	if _, every, ok := strings.Cut(j.Schedule, "@every "); ok {
		if dur, err := time.ParseDuration(strings.TrimSpace(every)); err == nil && dur < time.Second {
			d.errorf(n, p, "%q: the interval must be at least 1s", j.Schedule)
			return
		}
	}
	j.Cron = s
}

// check validates a decoded scalar; it returns "" when the value is fine.
type check[T any] func(T) string

func nonEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "must not be empty"
	}
	return ""
}

func oneOf(vals ...string) check[string] {
	return func(s string) string {
		for _, v := range vals {
			if s == v {
				return ""
			}
		}
		return fmt.Sprintf("%q: want %s or %s", s, strings.Join(vals[:len(vals)-1], ", "), vals[len(vals)-1])
	}
}

func hostPort(s string) string {
	if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
		return fmt.Sprintf("%q: want host:port", s)
	}
	return ""
}

func positive(v time.Duration) string {
	if v <= 0 {
		return fmt.Sprintf("%s: must be greater than 0", v)
	}
	return ""
}

func nonNegative(v time.Duration) string {
	if v < 0 {
		return fmt.Sprintf("%s: must not be negative", v)
	}
	return ""
}

func (d *decoder) str(dst *string, ok check[string]) func(*yaml.Node, string) {
	return func(n *yaml.Node, p string) {
		if isNull(n) {
			return
		}
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			d.errorf(n, p, "expected a string, got %s", describe(n))
			return
		}
		if ok != nil {
			if msg := ok(n.Value); msg != "" {
				d.errorf(n, p, "%s", msg)
				return
			}
		}
		*dst = n.Value
	}
}

func (d *decoder) integer(dst *int, min int) func(*yaml.Node, string) {
	return func(n *yaml.Node, p string) {
		if isNull(n) {
			return
		}
		var v int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
			d.errorf(n, p, "%s: expected an integer", describe(n))
			return
		}
		if v < min {
			d.errorf(n, p, "%d: must be at least %d", v, min)
			return
		}
		*dst = v
	}
}

func (d *decoder) boolean(dst *bool) func(*yaml.Node, string) {
	return func(n *yaml.Node, p string) {
		if isNull(n) {
			return
		}
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(dst) != nil {
			d.errorf(n, p, "%s: expected true or false", describe(n))
		}
	}
}

func (d *decoder) duration(dst *time.Duration, ok check[time.Duration]) func(*yaml.Node, string) {
	return func(n *yaml.Node, p string) {
		if isNull(n) {
			return
		}
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!int") {
			d.errorf(n, p, "%s: expected a duration like 1s, 500ms or 2m", describe(n))
			return
		}
		v, err := time.ParseDuration(n.Value)
		if err != nil {
			d.errorf(n, p, "%q: expected a duration like 1s, 500ms or 2m", n.Value)
			return
		}
		if msg := ok(v); msg != "" {
			d.errorf(n, p, "%s", msg)
			return
		}
		*dst = v
	}
}

func (d *decoder) size(dst *int64) func(*yaml.Node, string) {
	return func(n *yaml.Node, p string) {
		if isNull(n) {
			return
		}
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!str" && n.ShortTag() != "!!int") {
			d.errorf(n, p, "%s: expected a size like 10MiB or 512KB", describe(n))
			return
		}
		v, err := ParseSize(n.Value)
		if err != nil {
			d.errorf(n, p, "%q: %v", n.Value, err)
			return
		}
		*dst = v
	}
}

// list decodes a list of strings, calling each for every item.
func (d *decoder) list(n *yaml.Node, p string, each func(item *yaml.Node, p string)) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, p, "expected a list, got %s", describe(n))
		return
	}
	for i, item := range n.Content {
		item = resolve(item)
		ip := fmt.Sprintf("%s[%d]", p, i)
		if item.Kind != yaml.ScalarNode || item.ShortTag() != "!!str" {
			d.errorf(item, ip, "expected a string, got %s", describe(item))
			continue
		}
		each(item, ip)
	}
}

func (d *decoder) urls(dst *[]string) func(*yaml.Node, string) {
	return func(n *yaml.Node, p string) {
		d.list(n, p, func(item *yaml.Node, ip string) {
			u, err := url.Parse(item.Value)
			switch {
			case err != nil:
				d.errorf(item, ip, "%q: %v", item.Value, errors.Unwrap(err))
			case u.Scheme != "http" && u.Scheme != "https":
				d.errorf(item, ip, "%q: want an http or https URL", item.Value)
			case u.Host == "":
				d.errorf(item, ip, "%q: URL has no host", item.Value)
			default:
				*dst = append(*dst, item.Value)
			}
		})
	}
}

// languages decodes a list of ISO 639-1 codes. A list given replaces the
// one inherited from defaults; an empty list means any language.
func (d *decoder) languages(dst *[]string) func(*yaml.Node, string) {
	return func(n *yaml.Node, p string) {
		if n.Kind != yaml.SequenceNode {
			d.list(n, p, nil) // null is "not set"; anything else is reported
			return
		}
		var codes []string
		d.list(n, p, func(item *yaml.Node, ip string) {
			if err := CheckLanguage(item.Value); err != nil {
				d.errorf(item, ip, "%v", err)
				return
			}
			if !slices.Contains(codes, item.Value) {
				codes = append(codes, item.Value)
			}
		})
		*dst = codes
	}
}

// CheckLanguage reports whether code is an ISO 639-1 language code as the
// cleaner writes it in a Document's lang: two lower-case letters, in use.
func CheckLanguage(code string) error {
	if !isTwoLower(code) {
		if lc := strings.ToLower(strings.TrimSpace(code)); isTwoLower(lc) {
			return fmt.Errorf("%q: write language codes in lower case: %q", code, lc)
		}
		if b, err := language.ParseBase(code); err == nil {
			if two := b.String(); isTwoLower(two) {
				return fmt.Errorf("%q: want a two-letter ISO 639-1 code: %q", code, two)
			}
		}
		return fmt.Errorf("%q: want a two-letter ISO 639-1 code like \"en\" or \"de\"", code)
	}
	if _, err := language.ParseBase(code); err != nil {
		return fmt.Errorf("%q: not an ISO 639-1 language code", code)
	}
	// Withdrawn codes (iw, in, ji…): the cleaner writes the current one, so
	// a filter on the old one would drop every document in that language.
	if tag, err := language.Deprecated.Canonicalize(language.Make(code)); err == nil {
		if b, _ := tag.Base(); isTwoLower(b.String()) && b.String() != code {
			return fmt.Errorf("%q: a withdrawn code; use %q", code, b.String())
		}
	}
	return nil
}

func isTwoLower(s string) bool {
	return len(s) == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z'
}

func (d *decoder) regexps(dst *[]*regexp.Regexp) func(*yaml.Node, string) {
	return func(n *yaml.Node, p string) {
		d.list(n, p, func(item *yaml.Node, ip string) {
			re, err := regexp.Compile(item.Value)
			var rerr *syntax.Error
			switch {
			case errors.As(err, &rerr):
				d.errorf(item, ip, "bad regexp: %s: `%s`", rerr.Code, rerr.Expr)
				return
			case err != nil:
				d.errorf(item, ip, "bad regexp: %v", err)
				return
			}
			*dst = append(*dst, re)
		})
	}
}

var sizeRE = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$`)

var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
	"ki": 1 << 10, "kib": 1 << 10, "mi": 1 << 20, "mib": 1 << 20, "gi": 1 << 30, "gib": 1 << 30,
}

// ParseSize parses a byte size: a number with an optional unit, decimal
// (KB, MB, GB: powers of 1000) or binary (KiB, MiB, GiB: powers of 1024).
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, errors.New("expected a size like 10MiB or 512KB")
	}
	mult, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q: want B, KB, MB, GB, KiB, MiB or GiB", m[2])
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, errors.New("expected a size like 10MiB or 512KB")
	}
	v := f * mult
	if v < 1 {
		return 0, errors.New("must be at least 1 byte")
	}
	if v > 1<<50 {
		return 0, errors.New("too large")
	}
	return int64(v), nil
}

// suggest returns a hint naming the known key closest to an unknown one.
func suggest(key string, fields []field) string {
	best, dist := "", 3
	for _, f := range fields {
		if d := editDistance(strings.ToLower(key), f.key); d < dist {
			best, dist = f.key, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// sortErrs orders problems by line, keeping the order of those on one line.
func sortErrs(errs []error) {
	line := func(e error) int {
		if ce, ok := e.(*Error); ok {
			return ce.Line
		}
		return 0
	}
	sort.SliceStable(errs, func(i, j int) bool { return line(errs[i]) < line(errs[j]) })
}
