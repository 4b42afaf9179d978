package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// TestDocsLinks checks that every relative link in the repository's Markdown
// files points to a file that exists and, with a #anchor, to a heading of
// that file, so that moving a document or renaming a heading cannot leave a
// dead link behind. It lives here because the repository root has no Go
// package of its own.
func TestDocsLinks(t *testing.T) {
	root := repoRoot(t)
	problems, err := checkDocLinks(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// TestDocsLinksFindsBrokenLinks runs the checker on documents with known
// mistakes, so that TestDocsLinks cannot pass by checking nothing.
func TestDocsLinksFindsBrokenLinks(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"README.md": "# Top\n\n" +
			"## Sessions (operations)\n\n" +
			"## cluster = true\n\n" +
			"## Twice\n\n## Twice\n\n" +
			"[ok](docs/guide.md) [ok](docs/guide.md#setup) [ok](#sessions-operations) [ok](#cluster--true)\n" +
			"[ok](#twice-1) [ok](docs/) [ok](main.go#L3) [ok](https://example.com/x.md) [ok](mailto:a@b.c)\n" +
			"[`code` text](/docs/guide.md \"a title\") ![logo](docs/logo.svg)\n" +
			"`[not a link](missing.md)`\n" +
			"```\n[not a link](missing.md)\n# not a heading\n```\n" +
			"[gone](missing.md)\n" +
			"[bad anchor](docs/guide.md#nope) [self](#not-here) [fenced](#not-a-heading)\n" +
			"[ref]: docs/none.md\n",
		"docs/guide.md": "Setup\n=====\n\n[back](../README.md#top) [out](../../elsewhere.md)\n",
		"docs/logo.svg": "<svg/>",
		"main.go":       "package main\n",
		"data/x.md":     "[skipped](nowhere.md)\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := checkDocLinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"README.md:19: [gone](missing.md): missing.md does not exist",
		"README.md:20: [bad anchor](docs/guide.md#nope): docs/guide.md has no heading #nope",
		"README.md:20: [self](#not-here): README.md has no heading #not-here",
		"README.md:20: [fenced](#not-a-heading): README.md has no heading #not-a-heading",
		"README.md:21: [ref]: docs/none.md: docs/none.md does not exist",
		"docs/guide.md:4: [out](../../elsewhere.md): it points outside the repository",
	}
	if !slices.Equal(got, want) {
		t.Errorf("checkDocLinks found\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// repoRoot returns the directory above the working directory that holds go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// skipDirs are not walked: git's own files, dependencies, the server's data
// directory and test fixtures, which may hold broken links on purpose.
var skipDirs = map[string]bool{".git": true, "node_modules": true, "data": true, "testdata": true}

// docLink is one link found in a Markdown file.
type docLink struct {
	line   int
	source string // as written, for the message
	target string // the link's destination
}

// markdownDoc is what the checker reads of one Markdown file.
type markdownDoc struct {
	links   []docLink
	anchors map[string]bool
}

// checkDocLinks returns one message per broken relative link in the
// Markdown files under root, naming the file, the line and the link.
func checkDocLinks(root string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && skipDirs[d.Name()] {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".md") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no Markdown files under %s", root)
	}
	slices.Sort(names)
	docs := map[string]*markdownDoc{}
	for _, name := range names {
		if docs[name], err = readMarkdown(filepath.Join(root, filepath.FromSlash(name))); err != nil {
			return nil, err
		}
	}
	var problems []string
	for _, name := range names {
		for _, l := range docs[name].links {
			if msg := checkLink(root, name, l.target, docs); msg != "" {
				problems = append(problems, fmt.Sprintf("%s:%d: %s: %s", name, l.line, l.source, msg))
			}
		}
	}
	return problems, nil
}

// checkLink returns what is wrong with a link of the document from (a path
// relative to root), or "" when nothing is.
func checkLink(root, from, target string, docs map[string]*markdownDoc) string {
	if external.MatchString(target) {
		return ""
	}
	ref, anchor, _ := strings.Cut(target, "#")
	ref, _, _ = strings.Cut(ref, "?")
	ref, err := url.PathUnescape(ref)
	if err != nil {
		return "the path is not a valid URL path: " + err.Error()
	}
	if anchor, err = url.PathUnescape(anchor); err != nil {
		return "the anchor is not a valid URL fragment: " + err.Error()
	}
	to := from
	if ref != "" {
		if strings.HasPrefix(ref, "/") {
			to = path.Clean(strings.TrimPrefix(ref, "/"))
		} else {
			to = path.Join(path.Dir(from), ref)
		}
		if to == ".." || strings.HasPrefix(to, "../") {
			return "it points outside the repository"
		}
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(to))); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return to + " does not exist"
			}
			return err.Error()
		}
	}
	if anchor == "" || !strings.EqualFold(path.Ext(to), ".md") {
		// Anchors into other files (a line of a .go file) are GitHub's business.
		return ""
	}
	doc, ok := docs[to]
	if !ok {
		return to + " is not among the documents checked"
	}
	if !doc.anchors[anchor] {
		return to + " has no heading #" + anchor
	}
	return ""
}

var (
	// external matches a destination with a scheme (https:, mailto:, …),
	// which this test does not follow.
	external = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	// inlineLink matches [text](dest) and [text](dest "title"), images too.
	inlineLink = regexp.MustCompile(`!?\[([^\]]*)\]\(\s*<?([^\s()<>]*)>?(?:\s+"[^"]*")?\s*\)`)
	// refDefinition matches a reference definition: [ref]: dest.
	refDefinition = regexp.MustCompile(`^ {0,3}\[([^\]]+)\]:\s*<?([^\s<>]+)>?`)
	atxHeading    = regexp.MustCompile(`^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$`)
	setextLine    = regexp.MustCompile(`^ {0,3}(?:=+|-+)\s*$`)
	fenceOpen     = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")
	htmlAnchor    = regexp.MustCompile(`<a\s[^>]*(?:name|id)="([^"]+)"`)
	htmlTag       = regexp.MustCompile(`<[^>]+>`)
)

// readMarkdown collects a document's links and the anchors of its headings,
// leaving out what code blocks and code spans hold.
func readMarkdown(file string) (*markdownDoc, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc := &markdownDoc{anchors: map[string]bool{}}
	slugs := map[string]int{}
	addHeading := func(text string) {
		slug := headingSlug(text)
		if n := slugs[slug]; n > 0 {
			doc.anchors[slug+"-"+strconv.Itoa(n)] = true
		} else {
			doc.anchors[slug] = true
		}
		slugs[slug]++
	}
	var fence, prev string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if fence != "" {
			if m := fenceOpen.FindStringSubmatch(line); m != nil && m[1][0] == fence[0] && len(m[1]) >= len(fence) &&
				strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), m[1][:1])) == "" {
				fence = ""
			}
			prev = ""
			continue
		}
		if m := fenceOpen.FindStringSubmatch(line); m != nil {
			fence, prev = m[1], ""
			continue
		}
		text := blankCodeSpans(line)
		if m := refDefinition.FindStringSubmatch(text); m != nil {
			doc.links = append(doc.links, docLink{n, "[" + m[1] + "]: " + m[2], m[2]})
		} else {
			for _, m := range inlineLink.FindAllStringSubmatchIndex(text, -1) {
				// Report the link as written, code spans and all.
				doc.links = append(doc.links, docLink{n, line[m[0]:m[1]], text[m[4]:m[5]]})
			}
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(text, -1) {
			doc.anchors[m[1]] = true
		}
		switch {
		case atxHeading.MatchString(line):
			addHeading(atxHeading.FindStringSubmatch(line)[1])
		case setextLine.MatchString(line) && setextText(prev):
			addHeading(strings.TrimSpace(prev))
		}
		prev = line
	}
	return doc, sc.Err()
}

// setextText tells whether a line can be the text of a heading underlined
// by the next: a paragraph line, not a list item, table row or quote.
func setextText(line string) bool {
	t := strings.TrimSpace(line)
	if t == "" || strings.HasPrefix(line, "    ") {
		return false
	}
	for _, p := range []string{"- ", "* ", "+ ", "|", ">", "#"} {
		if strings.HasPrefix(t, p) {
			return false
		}
	}
	return true
}

// blankCodeSpans replaces the content of each `code span` by spaces of the
// same length, so that links inside code are not links and byte offsets
// stay those of the line.
func blankCodeSpans(line string) string {
	b := []byte(line)
	for i := 0; i < len(b); {
		if b[i] != '`' {
			i++
			continue
		}
		run := i
		for i < len(b) && b[i] == '`' {
			i++
		}
		ticks := line[run:i]
		end := strings.Index(line[i:], ticks)
		for end >= 0 && i+end+len(ticks) < len(b) && b[i+end+len(ticks)] == '`' {
			// A longer run of backticks does not close the span.
			next := strings.Index(line[i+end+len(ticks):], ticks)
			if next < 0 {
				end = -1
				break
			}
			end += len(ticks) + next
		}
		if end < 0 {
			continue
		}
		for j := i; j < i+end; j++ {
			b[j] = 'x'
		}
		i += end + len(ticks)
	}
	return string(b)
}

// headingSlug is the anchor GitHub gives a heading: its text without markup,
// lower case, with every character but letters, digits, '-', '_' and
// spaces dropped and each space turned into '-'.
func headingSlug(text string) string {
	text = inlineLink.ReplaceAllString(text, "$1")
	text = htmlTag.ReplaceAllString(text, "")
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(text)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
