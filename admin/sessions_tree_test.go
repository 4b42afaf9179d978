package admin

import (
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/scopestore/scopestore/scopes"
)

func TestDataTreeMasksSensitiveKeysAtAnyDepth(t *testing.T) {
	tree, err := dataTree([]byte(`{"b":1,"a":{"SSN":"123-45-6789","ok":"x","list":[{"cvv":123},{"iban":["DE89"]}]},"secret_token":{"deep":"s3"},"e":[],"n":null}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	nodes := tree.Nodes
	var flat strings.Builder
	var walk func(ns []treeNode)
	walk = func(ns []treeNode) {
		for _, n := range ns {
			flat.WriteString(n.Key + "=" + n.Kind + ":" + n.Text + ";")
			walk(n.Children)
		}
	}
	walk(nodes)
	got := flat.String()
	for _, secret := range []string{"123-45-6789", "123", "DE89", "s3"} {
		if strings.Contains(got, `"`+secret+`"`) || strings.Contains(got, ":"+secret+";") {
			t.Errorf("the tree holds %q: %s", secret, got)
		}
	}
	want := `b=value:1;a=object:;SSN=masked:••••;ok=string:x;list=array:;[0]=object:;cvv=masked:••••;[1]=object:;iban=masked:••••;` +
		`secret_token=masked:••••;e=array:;n=value:null;`
	if got != want {
		t.Errorf("tree\n%s\nwant, in stored order,\n%s", got, want)
	}
	if _, err := dataTree([]byte(`[1]`), nil); err == nil {
		t.Error("an array as data is accepted")
	}
}

func TestDataTreeMasksTheAppsSensitiveKeys(t *testing.T) {
	tree, err := dataTree([]byte(`{"DOB":"1970-01-01","user":{"dob":{"y":1970},"list":[{"Mrn":"M-42"}]},"name":"x","password":"pw"}`),
		[]string{"dob", "mrn"})
	if err != nil {
		t.Fatal(err)
	}
	got := flatText(treeNode{Kind: nodeObject, Children: tree.Nodes})
	want := `{"DOB":••••,"user":{"dob":••••,"list":[{"Mrn":••••}]},"name":"x","password":••••}`
	if got != want {
		t.Errorf("tree %s\nwant %s: the app's keys in any case and at any depth, and the built-in words", got, want)
	}
}

// A string is its own text, for templ to escape as HTML: not JSON, whose
// escapes (\u003c, \") would show on the page. JSON text, where the page
// shows JSON, keeps <, > and & too.
func TestDataTreeShowsStringsAsText(t *testing.T) {
	tree, err := dataTree([]byte(`{"note":"\u003cb\u003ebold\u003c/b\u003e \u0026 'quotes'","quote":"say \"hi\"\nbye","n":42,"s":"42",`+
		`"deep":`+strings.Repeat(`{"\u003ck>":`, maxTreeDepth+2)+`"<i>\u0026"`+strings.Repeat(`}`, maxTreeDepth+2)+`}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	nodes := tree.Nodes
	for i, want := range []treeNode{
		{Key: "note", Kind: nodeString, Text: `<b>bold</b> & 'quotes'`},
		{Key: "quote", Kind: nodeString, Text: "say \"hi\"\nbye"},
		{Key: "n", Kind: nodeValue, Text: "42"},
		{Key: "s", Kind: nodeString, Text: "42"},
	} {
		if got := nodes[i]; got.Key != want.Key || got.Kind != want.Kind || got.Text != want.Text {
			t.Errorf("%s is %s %q, want %s %q", want.Key, got.Kind, got.Text, want.Kind, want.Text)
		}
	}
	n := nodes[4]
	for n.Kind == nodeObject {
		n = n.Children[0]
	}
	if want := `{"<k>":"<i>&"}`; n.Kind != nodeValue || !strings.HasPrefix(n.Text, `{"<k>":`) || !strings.Contains(n.Text, want) {
		t.Errorf("the flattened member is %s %q, want JSON holding %s", n.Kind, n.Text, want)
	}
}

func TestDataTreeFlattensDeepNesting(t *testing.T) {
	deep := strings.Repeat(`{"a":`, maxTreeDepth+5) + `1` + strings.Repeat(`}`, maxTreeDepth+5)
	tree, err := dataTree([]byte(`{"x":`+deep+`}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	for n := tree.Nodes[0]; n.Kind == nodeObject; n = n.Children[0] {
		depth++
	}
	if depth > maxTreeDepth+1 {
		t.Errorf("the tree is %d levels deep", depth)
	}
}

func TestSeenHistoryIsBounded(t *testing.T) {
	h := newSeenHistory()
	now := time.Now()
	key := scopes.Key{App: "shop", Kind: scopes.Session, CFID: scopes.NewCFID()}
	for v := int64(1); v <= historyPerScope+5; v++ {
		sc := &scopes.Scope{Version: v, LastVisit: now, Data: []byte(`{}`)}
		h.observe(key, sc, "list", now)
		h.observe(key, sc, "list", now) // the same state again is no new entry
	}
	got := h.of(key)
	if len(got) != historyPerScope || got[0].Version != historyPerScope+5 || got[len(got)-1].Version != 6 {
		t.Fatalf("%d entries from version %d to %d", len(got), got[0].Version, got[len(got)-1].Version)
	}
	for i := range historyScopes + 10 {
		h.observe(scopes.Key{App: "shop", Kind: scopes.Session, CFID: strconv.Itoa(i)}, &scopes.Scope{Version: 1}, "list", now)
	}
	if len(h.byKey) != historyScopes || h.of(key) != nil {
		t.Errorf("%d scopes remembered; the least recently seen kept: %v", len(h.byKey), h.of(key) != nil)
	}
	h.forget(scopes.Key{App: "shop", Kind: scopes.Session, CFID: "20"})
	if h.of(scopes.Key{App: "shop", Kind: scopes.Session, CFID: "20"}) != nil {
		t.Error("forget kept the history")
	}
}

// flatText writes tree nodes as compact JSON, to compare trees.
func flatText(n treeNode) string {
	var b strings.Builder
	writeFlat(&b, n, false)
	return b.String()
}

func writeFlat(w io.StringWriter, n treeNode, named bool) {
	if named {
		_, _ = w.WriteString(jsonText(n.Key) + ":")
	}
	switch n.Kind {
	case nodeObject, nodeArray:
		open, close := "{", "}"
		if n.Kind == nodeArray {
			open, close = "[", "]"
		}
		_, _ = w.WriteString(open)
		for i, c := range n.Children {
			if i > 0 {
				_, _ = w.WriteString(",")
			}
			writeFlat(w, c, n.Kind == nodeObject)
		}
		_, _ = w.WriteString(close)
	case nodeString:
		_, _ = w.WriteString(jsonText(n.Text))
	default:
		_, _ = w.WriteString(n.Text)
	}
}

// jsonText writes s as a JSON string without HTML escaping.
func jsonText(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// deepScopeData is the scope of issue 12: 9,990 nested arrays around a
// 900 KB string, with a password beside them.
func deepScopeData() []byte {
	return []byte(`{"password":"hunter2","note":"<b>x</b>","deep":` + strings.Repeat("[", 9990) + `"` + strings.Repeat("x", 900_000) + `"` +
		strings.Repeat("]", 9990) + `}`)
}

// renderTree renders a data tree as the scope's page draws it.
func renderTree(tb testing.TB, tree dataTreeView) string {
	tb.Helper()
	var b strings.Builder
	if err := dataTreeList(tree.Nodes, tree.Count-len(tree.Nodes), 0).Render(context.Background(), &b); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

// A scope 9,990 arrays deep with a 900 KB string inside is drawn to
// maxTreeDepth, its deeper JSON cut, in a few kilobytes: it was 925 KB of
// HTML and seconds of CPU, copying the subtree at every level.
func TestDataTreeOfADeepScopeIsBounded(t *testing.T) {
	tree, err := dataTree(deepScopeData(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !tree.Cut || tree.Count != 3 {
		t.Errorf("cut %v, %d members: the tree does not say it leaves something out", tree.Cut, tree.Count)
	}
	depth, n := 0, tree.Nodes[2]
	for ; n.Kind == nodeArray; n = n.Children[0] {
		depth++
	}
	if depth > maxTreeDepth || n.Kind != nodeValue || len(n.Text) > maxTreeString || !strings.HasPrefix(n.Text, "[[[") {
		t.Errorf("%d levels drawn, then %s of %d bytes", depth, n.Kind, len(n.Text))
	}
	if want := 2*(9990-depth) + 900_002; n.Length != want {
		t.Errorf("the cut JSON says %d characters, want %d", n.Length, want)
	}
	html := renderTree(t, tree)
	if len(html) > 16<<10 {
		t.Errorf("the tree is %d bytes of HTML, want at most 16 KiB", len(html))
	}
	for _, want := range []string{"characters of JSON in all", "&lt;b&gt;x&lt;/b&gt;", "••••"} {
		if !strings.Contains(html, want) {
			t.Errorf("the tree lacks %q", want)
		}
	}
	if strings.Contains(html, "hunter2") {
		t.Error("the tree shows the password")
	}
}

// However many members the data has, the tree draws maxTreeNodes of them
// and maxTreeText of text: twice the members make no more HTML.
func TestDataTreeDrawsBoundedMembersAndText(t *testing.T) {
	render := func(members int) (dataTreeView, string) {
		var b strings.Builder
		b.WriteString("{")
		for i := range members {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"k` + strconv.Itoa(i) + `":{"s":"` + strings.Repeat("é", 100) + `","n":` + strconv.Itoa(i) + `}`)
		}
		b.WriteString("}")
		tree, err := dataTree([]byte(b.String()), nil)
		if err != nil {
			t.Fatal(err)
		}
		return tree, renderTree(t, tree)
	}
	tree, html := render(3_000)
	drawn, text := 0, 0
	var walk func(ns []treeNode)
	walk = func(ns []treeNode) {
		for _, n := range ns {
			drawn++
			text += len(n.Key)
			if n.Kind == nodeString {
				text += len(n.Text)
			}
			if n.Length > 0 && !utf8.ValidString(n.Text) {
				t.Errorf("a cut string is not UTF-8: %q", n.Text[len(n.Text)-4:])
			}
			walk(n.Children)
		}
	}
	walk(tree.Nodes)
	if drawn > maxTreeNodes || text > maxTreeText || tree.Count != 3_000 || !tree.Cut {
		t.Errorf("%d members and %d bytes of text drawn of %d members; cut %v", drawn, text, tree.Count, tree.Cut)
	}
	if !strings.Contains(html, `data-testid="tree-omitted"`) || !strings.Contains(html, "characters in all") {
		t.Error("the tree does not say what it left out")
	}
	if _, twice := render(6_000); len(twice) > len(html)+64 {
		t.Errorf("twice the members draw %d bytes of HTML, against %d", len(twice), len(html))
	}
}

// BenchmarkDataTreeDeepScope draws issue 12's deep scope: before the caps,
// 3.7 s and 9.1 GB allocated per view.
func BenchmarkDataTreeDeepScope(b *testing.B) {
	data := deepScopeData()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		tree, err := dataTree(data, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := dataTreeList(tree.Nodes, tree.Count-len(tree.Nodes), 0).Render(context.Background(), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
