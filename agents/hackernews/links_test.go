package hackernews

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNonHTTPLinksDropped: a story whose url is not http(s) keeps its
// discussion as its link; a javascript:, data: or file: URL never becomes one.
func TestNonHTTPLinksDropped(t *testing.T) {
	body := `{"hits":[
	 {"objectID":"1","title":"js","url":"javascript:alert(document.cookie)","author":"a","created_at_i":1700000000},
	 {"objectID":"2","title":"data","url":"data:text/html;base64,PHNjcmlwdD4=","author":"a","created_at_i":1700000000},
	 {"objectID":"3","title":"file","url":"file:///etc/passwd","author":"a","created_at_i":1700000000},
	 {"objectID":"4","title":"web","url":"https://example.org/post/","author":"a","created_at_i":1700000000}
	]}`
	arts, err := Parse([]byte(body), "hn")
	require.NoError(t, err)
	require.Len(t, arts, 4)
	for _, a := range arts[:3] {
		assert.Equal(t, a.DiscussionURL, a.URL, a.Title)
	}
	assert.Equal(t, "https://example.org/post", arts[3].URL)
}
