//go:build race

package store_test

// raceEnabled: race-instrumented helper processes start slowly, so the
// process test runs fewer rounds.
const raceEnabled = true
