package deliver_test

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/research-cli/research/deliver"
	"github.com/research-cli/research/digest"
)

// A title read off a feed must not notify a whole Slack or Mattermost channel,
// nor become a Slack control sequence or a disguised link, in the Slack payload.
func TestSlackPayloadCarriesNoMentionsOrControlSequences(t *testing.T) {
	// A mention Slack or Mattermost acts on: "@" at a word start followed by
	// a name, or Slack's "<!…>", "<@…>", "<#…>" and "<url|text>" forms.
	mention := regexp.MustCompile(`(^|[^\p{L}\p{N}_/])@[\p{L}\p{N}_]|<[!@#]|<https?:`)
	cases := []struct {
		name, title, source, url string
		keep                     string // must still be in the text
	}{
		{name: "at channel", title: "@channel outage: rotate your keys now", source: "hn", keep: "outage"},
		{name: "at here", title: "Breaking (@here)", source: "hn"},
		{name: "at all", title: "ping @all please", source: "hn"},
		{name: "at everyone", title: "@everyone look", source: "hn"},
		{name: "user mention", title: "thanks @alice.smith", source: "hn"},
		{name: "mention in source name", title: "ok", source: "@channel"},
		{name: "slack special mention", title: "<!channel> wake up", source: "hn"},
		{name: "slack user id", title: "<@U024BE7LH> look", source: "hn"},
		{name: "slack link with text", title: "<https://evil.example/x|Your bank>", source: "hn"},
		{name: "url with at path kept", title: "A post", source: "hn", url: "https://mastodon.example/@alice/1",
			keep: "https://mastodon.example/@alice/1"},
		{name: "mail address kept", title: "write to ops@example.org", source: "hn", keep: "ops@example.org"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := c.url
			if u == "" {
				u = "https://news.example/item/1"
			}
			d := &digest.Digest{GeneratedAt: time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC), New: 1, Fetched: 1,
				Topics: []digest.Topic{{Topic: "security", Fetched: 1, Sources: 1, Items: []digest.Item{
					{N: 1, ID: "a1", Title: c.title, URL: u, Source: c.source, Keyphrases: []string{}}}}}}
			r, err := digest.Render(d)
			require.NoError(t, err)
			m := &deliver.Message{Key: "k", Subject: d.Subject(), CreatedAt: d.GeneratedAt, New: 1, Markdown: r.Markdown}
			body, err := (&deliver.Webhook{Slack: true}).Payload(m)
			require.NoError(t, err)
			var p struct {
				Text string `json:"text"`
			}
			require.NoError(t, json.Unmarshal(body, &p))
			assert.NotRegexp(t, mention, p.Text)
			if c.keep != "" {
				assert.Contains(t, p.Text, c.keep)
			}
		})
	}
}
