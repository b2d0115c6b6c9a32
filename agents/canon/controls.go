package canon

import "github.com/research-cli/research/internal/textsafe"

// StripControls removes from s everything that lets text read off the network
// drive a terminal or disguise itself: escape sequences whole, C0 controls but
// tab and newline, DEL, C1 controls and the Unicode bidi controls; a CR
// becomes a newline and invalid UTF-8 becomes U+FFFD. It is the project's one
// sanitiser, textsafe.Strip, under the name the agents have always called.
func StripControls(s string) string { return textsafe.Strip(s) }

// isControl reports the characters StripControls drops.
func isControl(r rune) bool { return textsafe.IsControl(r) }
