package models

import "sort"

// RankedItem is one entry of a result as a reader sees it: an article, its
// place in the ranking, and the articles folded under it.
type RankedItem struct {
	// N is the item's 1-based number, the one citations use.
	N       int
	Article Article
	// Rank is the article's ranking entry; Ranked is false when the analysis
	// did not rank it (or did not run).
	Rank   RankedArticle
	Ranked bool
	// Duplicates are near-copies of the article (an analysis "duplicate" group
	// or a ranking entry's duplicate_of), best ranked first.
	Duplicates []Article
	// SameStory are other articles telling the same story ("same_story" group).
	SameStory []Article
}

// RankedView is a result's articles in reading order, duplicates folded,
// computed once (Result.View) and shared by everything that lists articles:
// the reports, the digest, the orchestrator's final order.
type RankedView struct {
	Items []RankedItem
	// cite maps every article id, folded ones included, to its item's N.
	cite map[string]int
}

// Cite is the number of the item an article id was folded into, 0 when the
// id is not in the result.
func (v *RankedView) Cite(id string) int { return v.cite[id] }

// Ordered returns the result's articles in reading order: the analysis'
// ranking when it ran (articles it did not rank last), else newest first;
// ties keep the result's order. r is not modified.
func (r *Result) Ordered() []Article {
	arts := append([]Article(nil), r.Articles...)
	if r.Analysis != nil && len(r.Analysis.Ranking) > 0 {
		pos := make(map[string]int, len(r.Analysis.Ranking))
		for i, e := range r.Analysis.Ranking {
			if _, dup := pos[e.ID]; !dup {
				pos[e.ID] = i
			}
		}
		at := func(id string) int {
			if p, ok := pos[id]; ok {
				return p
			}
			return len(pos)
		}
		sort.SliceStable(arts, func(i, j int) bool { return at(arts[i].ID) < at(arts[j].ID) })
		return arts
	}
	sort.SliceStable(arts, func(i, j int) bool { return arts[i].Published.After(arts[j].Published) })
	return arts
}

// DuplicateGroups maps each article in a duplicate group (an analysis
// "duplicate" group, or a ranking entry's duplicate_of, chains and overlaps
// merged) to its group's id, the smallest id of the group.
func (r *Result) DuplicateGroups() map[string]string {
	group := map[string]string{}
	if r.Analysis == nil {
		return group
	}
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			return x
		}
		root := find(p)
		parent[x] = root
		return root
	}
	union := func(a, b string) {
		ra, rb := find(a), find(b)
		if ra == rb {
			return
		}
		// The smaller id becomes the root, so the result does not depend on map order.
		if rb < ra {
			ra, rb = rb, ra
		}
		parent[ra] = ra
		parent[rb] = ra
	}
	for _, g := range r.Analysis.Groups {
		if g.Kind != GroupDuplicate || len(g.IDs) < 2 {
			continue
		}
		for _, id := range g.IDs[1:] {
			union(g.IDs[0], id)
		}
	}
	for _, e := range r.Analysis.Ranking {
		if e.DuplicateOf != "" && e.DuplicateOf != e.ID {
			union(e.DuplicateOf, e.ID)
		}
	}
	for id := range parent {
		group[id] = find(id)
	}
	return group
}

// View arranges the result for reading: articles in order (Ordered), each
// duplicate folded under the best-ranked article of its group, each article
// of a same-story group beside the group's first listed article.
func (r *Result) View() *RankedView {
	v := &RankedView{cite: map[string]int{}}
	rank := map[string]RankedArticle{}
	same := map[string]int{} // article id -> same-story group index
	if an := r.Analysis; an != nil {
		for _, e := range an.Ranking {
			if _, dup := rank[e.ID]; !dup {
				rank[e.ID] = e
			}
		}
		for gi, g := range an.Groups {
			if g.Kind == GroupSameStory && len(g.IDs) > 1 {
				for _, id := range g.IDs {
					if _, ok := same[id]; !ok {
						same[id] = gi
					}
				}
			}
		}
	}
	dups := r.DuplicateGroups()
	byDup := map[string]int{} // duplicate group -> item index
	bySame := map[int]int{}   // same-story group -> item index
	for _, a := range r.Ordered() {
		if g, ok := dups[a.ID]; ok {
			if at, ok := byDup[g]; ok {
				v.Items[at].Duplicates = append(v.Items[at].Duplicates, a)
				v.cite[a.ID] = v.Items[at].N
				continue
			}
		}
		if g, ok := same[a.ID]; ok {
			if at, ok := bySame[g]; ok {
				v.Items[at].SameStory = append(v.Items[at].SameStory, a)
				v.cite[a.ID] = v.Items[at].N
				continue
			}
		}
		e, ranked := rank[a.ID]
		at := len(v.Items)
		v.Items = append(v.Items, RankedItem{N: at + 1, Article: a, Rank: e, Ranked: ranked})
		v.cite[a.ID] = at + 1
		if g, ok := dups[a.ID]; ok {
			byDup[g] = at
		}
		if g, ok := same[a.ID]; ok {
			bySame[g] = at
		}
	}
	return v
}

// AlsoReportedBy names the other sources that carried the item's article or
// one of its duplicates, in first-seen order.
func (it *RankedItem) AlsoReportedBy() []string {
	seen := map[string]bool{it.Article.Source: true}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range it.Article.AlsoIn {
		add(s)
	}
	for _, d := range it.Duplicates {
		add(d.Source)
		for _, s := range d.AlsoIn {
			add(s)
		}
	}
	return out
}
