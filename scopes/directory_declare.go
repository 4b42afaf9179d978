package scopes

import "time"

// declareAction is the audit action of an app's own declaration of its
// settings.
const declareAction = "app.settings.declare"

// An app that declares settings which change on every request would write
// the config store and the audit log each time: its changes are limited to
// declarationBurst at once, refilled at one every declarationEvery. A
// declaration that changes nothing costs nothing and is not counted.
const (
	declarationBurst = 10
	declarationEvery = 6 * time.Second
)

// takeDeclaration spends one of app's setting changes, on this instance;
// false means too many.
func (d *Directory) takeDeclaration(app string) bool {
	b, _ := d.declarations.LoadOrStore(app, &bucket{})
	return b.(*bucket).take(1/declarationEvery.Seconds(), declarationBurst, d.Now())
}
