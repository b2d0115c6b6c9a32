package feed

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/models"
)

// TestNonHTTPLinksDropped: an item whose link is javascript:, data:, file: or
// another scheme never gets it as its URL (it falls back to an http(s)
// alternative, else has none).
func TestNonHTTPLinksDropped(t *testing.T) {
	body := `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://example.org/</link>
<item><title>js</title><link>javascript:alert(1)</link><guid isPermaLink="false">g1</guid></item>
<item><title>data</title><link>data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;</link><guid isPermaLink="false">g2</guid></item>
<item><title>file</title><link>file:///etc/passwd</link><guid isPermaLink="false">g3</guid></item>
<item><title>vbscript with an http guid</title><link> JavaScript:alert(1)</link><guid>https://example.org/p/4</guid></item>
<item><title>relative</title><link>/p/5</link></item>
</channel></rss>`
	arts, err := Parse([]byte(body), "application/rss+xml", "https://example.org/feed.xml", models.Source{Name: "f"})
	require.NoError(t, err)
	require.Len(t, arts, 5)
	urls := map[string]string{}
	for _, a := range arts {
		urls[a.Title] = a.URL
	}
	assert.Empty(t, urls["js"])
	assert.Empty(t, urls["data"])
	assert.Empty(t, urls["file"])
	assert.Equal(t, "https://example.org/p/4", urls["vbscript with an http guid"])
	assert.Equal(t, "https://example.org/p/5", urls["relative"])
}

// TestFragmentItemsStayDistinct: a comment feed's items link to one post with
// different fragments and have distinct GUIDs: they are distinct items (and
// keep their fragments and distinct ids); a republished item (new GUID, same
// link) or two items without GUIDs on one URL are still one.
func TestFragmentItemsStayDistinct(t *testing.T) {
	body := `<?xml version="1.0"?><rss version="2.0"><channel><title>Comments on: A post</title><link>https://blog.example/post/</link>
<item><title>By: Ann</title><link>https://blog.example/post/#comment-713578640</link><guid isPermaLink="false">https://blog.example/?p=1#comment-713578640</guid><description>First comment.</description></item>
<item><title>By: Bob</title><link>https://blog.example/post/#comment-713578641</link><guid isPermaLink="false">https://blog.example/?p=1#comment-713578641</guid><description>Second comment, different text.</description></item>
<item><title>By: Bob (again)</title><link>https://blog.example/post/#comment-713578641</link><guid isPermaLink="false">republished-guid</guid><description>Second comment, different text.</description></item>
<item><title>No guid one</title><link>https://blog.example/other#a</link></item>
<item><title>No guid two</title><link>https://blog.example/other#b</link></item>
</channel></rss>`
	arts, err := Parse([]byte(body), "application/rss+xml", "https://blog.example/comments/feed", models.Source{Name: "c"})
	require.NoError(t, err)
	var titles, urls []string
	ids := map[string]bool{}
	for _, a := range arts {
		titles = append(titles, a.Title)
		urls = append(urls, a.URL)
		assert.False(t, ids[a.ID], "duplicate id %s", a.ID)
		ids[a.ID] = true
	}
	assert.Equal(t, []string{"By: Ann", "By: Bob", "No guid one"}, titles)
	assert.Equal(t, []string{"https://blog.example/post#comment-713578640", "https://blog.example/post#comment-713578641",
		"https://blog.example/other"}, urls)
}
