package admin

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

func TestDataTreeMasksSensitiveKeysAtAnyDepth(t *testing.T) {
	nodes, err := dataTree([]byte(`{"b":1,"a":{"SSN":"123-45-6789","ok":"x","list":[{"cvv":123},{"iban":["DE89"]}]},"secret_token":{"deep":"s3"},"e":[],"n":null}`), nil)
	if err != nil {
		t.Fatal(err)
	}
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
	nodes, err := dataTree([]byte(`{"DOB":"1970-01-01","user":{"dob":{"y":1970},"list":[{"Mrn":"M-42"}]},"name":"x","password":"pw"}`),
		[]string{"dob", "mrn"})
	if err != nil {
		t.Fatal(err)
	}
	got := flatText(treeNode{Kind: nodeObject, Children: nodes})
	want := `{"DOB":••••,"user":{"dob":••••,"list":[{"Mrn":••••}]},"name":"x","password":••••}`
	if got != want {
		t.Errorf("tree %s\nwant %s: the app's keys in any case and at any depth, and the built-in words", got, want)
	}
}

// A string is its own text, for templ to escape as HTML: not JSON, whose
// escapes (\u003c, \") would show on the page. JSON text, where the page
// shows JSON, keeps <, > and & too.
func TestDataTreeShowsStringsAsText(t *testing.T) {
	nodes, err := dataTree([]byte(`{"note":"\u003cb\u003ebold\u003c/b\u003e \u0026 'quotes'","quote":"say \"hi\"\nbye","n":42,"s":"42",`+
		`"deep":`+strings.Repeat(`{"<k>":`, maxTreeDepth+2)+`"<i>&"`+strings.Repeat(`}`, maxTreeDepth+2)+`}`), nil)
	if err != nil {
		t.Fatal(err)
	}
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
	nodes, err := dataTree([]byte(`{"x":`+deep+`}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	for n := nodes[0]; n.Kind == nodeObject; n = n.Children[0] {
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
