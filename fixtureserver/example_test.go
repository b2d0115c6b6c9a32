package fixtureserver_test

import (
	"context"
	"fmt"

	"github.com/research-cli/research/fixtureserver"
	"github.com/research-cli/research/models"
)

// The demo and the end-to-end tests start the server, point a config at
// Sources and close it when done.
func ExampleStart() {
	ctx := context.Background()
	srv, err := fixtureserver.Start(ctx, fixtureserver.Options{Latency: fixtureserver.DemoLatency()})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	for _, src := range srv.Sources(models.KindHackerNews, models.KindArxiv) {
		fmt.Println(src.Name, src.Kind)
	}
	fmt.Println(len(srv.Sources(models.KindFeed)), "feeds, of which", len(srv.MisbehavingSources()), "misbehaving kinds exist")
	// Output:
	// hn hackernews
	// arxiv arxiv
	// 6 feeds, of which 5 misbehaving kinds exist
}
