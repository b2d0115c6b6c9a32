package cli

import "github.com/spf13/cobra"

// NewRootForTest is the command tree Main runs, for tests that walk it.
func NewRootForTest(ios IO) *cobra.Command { return newRoot(ios) }
