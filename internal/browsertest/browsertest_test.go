package browsertest

import (
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
)

// The two switches the browser tests rely on must really work: JavaScript off keeps page
// scripts from running, and axe-core finds a violation when there is one.
func TestJavaScriptSwitchAndAxe(t *testing.T) {
	page := "data:text/html," + url.PathEscape(`<!doctype html><html lang="en"><head><title>t</title></head>`+
		`<body><main><h1>x</h1><input type="text"><script>document.title = "ran"</script></main></body></html>`)
	for _, off := range []bool{false, true} {
		b := Start(t, Options{JavaScriptOff: off, Name: "selftest"})
		b.Run("open", chromedp.Navigate(page))
		title := Value(b, "title", chromedp.Title())
		if ran := title == "ran"; ran == off {
			t.Fatalf("JavaScriptOff=%v: the page script ran=%v", off, ran)
		}
		if off {
			continue
		}
		found := false
		for _, v := range b.Axe() {
			found = found || v.ID == "label"
		}
		if !found {
			t.Fatal("axe-core did not report the unlabelled input")
		}
	}
}
