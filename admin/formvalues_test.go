package admin_test

import (
	"net/url"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// browserForm returns what a browser would submit for the form matched by
// selector as the page shows it: text and hidden inputs, ticked checkboxes
// and radios, each select's chosen option.
func browserForm(t *testing.T, p page, selector string) url.Values {
	t.Helper()
	form := p.doc.Find(selector)
	if form.Length() != 1 {
		t.Fatalf("%d forms match %q\n%s", form.Length(), selector, p.body)
	}
	v := url.Values{}
	form.Find("input").Each(func(_ int, in *goquery.Selection) {
		name, _ := in.Attr("name")
		if name == "" {
			return
		}
		value, _ := in.Attr("value")
		switch in.AttrOr("type", "text") {
		case "checkbox", "radio":
			if _, on := in.Attr("checked"); on {
				if value == "" {
					value = "on"
				}
				v.Add(name, value)
			}
		case "submit", "button":
		default:
			v.Add(name, value)
		}
	})
	form.Find("select").Each(func(_ int, sel *goquery.Selection) {
		name, _ := sel.Attr("name")
		opt := sel.Find("option[selected]").First()
		if opt.Length() == 0 {
			opt = sel.Find("option").First()
		}
		v.Add(name, opt.AttrOr("value", opt.Text()))
	})
	return v
}
