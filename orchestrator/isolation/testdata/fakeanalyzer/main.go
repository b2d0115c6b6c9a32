// Command fakeanalyzer is a minimal analyzer for the isolation tests and
// benchmarks, built without the race detector: "echo" answers every request
// with a valid report ranking its articles in order; "alloc" allocates memory
// without bound (to test the memory limit).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

type request struct {
	Version  int    `json:"version"`
	Query    string `json:"query"`
	Articles []struct {
		ID     string `json:"id"`
		Source string `json:"source"`
	} `json:"articles"`
}

type ranked struct {
	ID          string   `json:"id"`
	Score       float64  `json:"score"`
	Keywords    []string `json:"keywords"`
	DuplicateOf string   `json:"duplicate_of"`
}

type report struct {
	Version int    `json:"version"`
	Query   string `json:"query"`
	Stats   struct {
		Articles int            `json:"articles"`
		BySource map[string]int `json:"by_source"`
		ByDay    map[string]int `json:"by_day"`
	} `json:"stats"`
	Ranking  []ranked `json:"ranking"`
	Keywords []any    `json:"keywords"`
	Summary  []any    `json:"summary"`
	Groups   []any    `json:"groups"`
}

func main() {
	mode := "echo"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "alloc":
		var keep [][]byte
		for {
			b := make([]byte, 8<<20)
			for i := range b {
				b[i] = byte(i)
			}
			keep = append(keep, b)
		}
	case "echo":
		var req request
		if err := json.NewDecoder(bufio.NewReader(os.Stdin)).Decode(&req); err != nil {
			fmt.Fprintln(os.Stderr, "fakeanalyzer: invalid request:", err)
			os.Exit(2)
		}
		var rep report
		rep.Version, rep.Query = 1, req.Query
		rep.Stats.Articles = len(req.Articles)
		rep.Stats.BySource, rep.Stats.ByDay = map[string]int{}, map[string]int{}
		rep.Ranking = make([]ranked, 0, len(req.Articles))
		for i, a := range req.Articles {
			rep.Stats.BySource[a.Source]++
			rep.Ranking = append(rep.Ranking, ranked{ID: a.ID, Score: float64(len(req.Articles) - i), Keywords: []string{}})
		}
		rep.Keywords, rep.Summary, rep.Groups = []any{}, []any{}, []any{}
		w := bufio.NewWriter(os.Stdout)
		if err := json.NewEncoder(w).Encode(&rep); err != nil || w.Flush() != nil {
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "fakeanalyzer: unknown mode", mode)
		os.Exit(1)
	}
}
