package arxiv

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNonHTTPLinksDropped: an entry's javascript: alternate or PDF link is
// never kept; its http id stands in for the abstract.
func TestNonHTTPLinksDropped(t *testing.T) {
	body := `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <entry>
    <id>http://arxiv.org/abs/2611.09902v1</id>
    <title>A paper</title>
    <summary>Abstract.</summary>
    <link href="javascript:alert(1)" rel="alternate" type="text/html"/>
    <link title="pdf" href="data:application/pdf;base64,JVBERi0=" rel="related" type="application/pdf"/>
  </entry>
</feed>`
	arts, err := Parse([]byte(body), "arxiv")
	require.NoError(t, err)
	require.Len(t, arts, 1)
	assert.Equal(t, "https://arxiv.org/abs/2611.09902", arts[0].URL)
	assert.Empty(t, arts[0].PDFURL)
}
