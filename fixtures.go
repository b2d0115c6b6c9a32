// Package research is the root of the research module. It holds the recorded
// fixtures that the fixture server (package fixtureserver) serves, embedded so
// that `research demo` is self-contained.
package research

import "embed"

// Fixtures holds testdata/fixtures: recorded Hacker News, Wikipedia and arXiv
// responses, feeds, article pages and misbehaving documents around one demo
// question ("sparse attention for long documents"). URLs inside them are
// written as {{base}} and rewritten to the fixture server's address.
//
//go:embed testdata/fixtures
var Fixtures embed.FS
