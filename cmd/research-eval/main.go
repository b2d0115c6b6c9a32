// Command research-eval measures the analyzer on public benchmark data
// (../shared/corpus): keyphrases on Inspec, summaries on BBC News, ranking on
// Cranfield; and writes synthetic requests for performance measurements.
package main

import (
	"errors"
	"flag"
	"time"

	"fmt"
	"github.com/research-cli/research/analysis/eval"
	"github.com/research-cli/research/internal/corpus"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "synth" {
		return runSynth(args[1:], stdout, stderr)
	}
	return runEval(args, stdout, stderr)
}

func runEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("research-eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	corpusDir := fs.String("corpus", "", "the corpus directory (default: ../shared/corpus beside the module root)")
	only := fs.String("only", "", "run one evaluation: demo, keyphrases, summaries or ranking")
	every := fs.Int("every", 1, "ranking: evaluate every n-th judged query")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	want := func(name string) bool { return *only == "" || *only == name }
	// The demo set is in the repository, so it runs without the corpus.
	if want("demo") {
		start := time.Now()
		root, err := corpus.ModuleRoot(".")
		if err == nil {
			var r eval.DemoResult
			r, err = eval.Demo(root)
			if err == nil {
				fmt.Fprintf(stdout, "demo  research demo capture, %d articles, hand-judged 0-3 (%s)\n", r.Articles, since(start))
				fmt.Fprintf(stdout, "  nDCG@5  analyzer %.4f   plain BM25 %.4f\n", r.NDCG5, r.BaseNDCG5)
				fmt.Fprintf(stdout, "  nDCG@10 analyzer %.4f   plain BM25 %.4f\n", r.NDCG10, r.BaseNDCG10)
				fmt.Fprintf(stdout, "  set keyphrases: %s\n", strings.Join(r.Keywords, " · "))
			}
		}
		if err != nil {
			fmt.Fprintf(stdout, "demo  skipped: %v\n", err)
		}
		if *only == "demo" {
			return 0
		}
	}
	dir := *corpusDir
	if dir == "" {
		found, err := eval.FindCorpus(".")
		if err != nil {
			fmt.Fprintf(stdout, "skipped: corpus not found (%v)\n", err)
			return 0
		}
		dir = found
	} else if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		fmt.Fprintf(stdout, "skipped: corpus not found at %s\n", dir)
		return 0
	}
	if want("keyphrases") {
		start := time.Now()
		r, err := eval.Keyphrases(dir)
		if err != nil {
			return fail(stdout, stderr, "keyphrases", err)
		}
		fmt.Fprintf(stdout, "keyphrases  Inspec dev, %d docs, %.2f gold per doc, Porter-stemmed exact match (%s)\n", r.Docs, r.GoldPerDoc, since(start))
		fmt.Fprintf(stdout, "  @5   P %.4f  R %.4f  F1 %.4f\n", r.At5.P, r.At5.R, r.At5.F)
		fmt.Fprintf(stdout, "  @10  P %.4f  R %.4f  F1 %.4f\n", r.At10.P, r.At10.R, r.At10.F)
		fmt.Fprintf(stdout, "  folds by id parity  even (%d) F1@5 %.4f F1@10 %.4f   odd (%d) F1@5 %.4f F1@10 %.4f\n",
			r.Folds[0].Docs, r.Folds[0].F1At5, r.Folds[0].F1At10, r.Folds[1].Docs, r.Folds[1].F1At5, r.Folds[1].F1At10)
		fmt.Fprintf(stdout, "  one article per request  article list F1@5 %.4f F1@10 %.4f   set list F1@5 %.4f F1@10 %.4f\n",
			r.Single.ArticleF1At5, r.Single.ArticleF1At10, r.Single.SetF1At5, r.Single.SetF1At10)
	}
	if want("summaries") {
		start := time.Now()
		r, err := eval.Summaries(dir)
		if err != nil {
			return fail(stdout, stderr, "summaries", err)
		}
		fmt.Fprintf(stdout, "summaries  BBC News dev, %d docs, k = reference length (%s)\n", r.Docs, since(start))
		fmt.Fprintf(stdout, "  %-22s %-8s %-8s %-8s %-8s\n", "system", "sent-F1", "R1-F1", "R2-F1", "R2-R")
		for _, row := range []struct {
			name string
			s    eval.SummaryScores
		}{{"analyzer, query=title", r.TitleQuery}, {"analyzer, no query", r.NoQuery}, {"Lead-k", r.Lead}} {
			fmt.Fprintf(stdout, "  %-22s %-8.4f %-8.4f %-8.4f %-8.4f\n", row.name, row.s.Sentence.F, row.s.Rouge1.F, row.s.Rouge2.F, row.s.Rouge2.R)
		}
		for k, name := range []string{"even", "odd"} {
			f := r.Folds[k]
			fmt.Fprintf(stdout, "  fold %-4s (%d)  sent-F1 / R2-F1  query=title %.4f / %.4f  no query %.4f / %.4f  Lead-k %.4f / %.4f\n",
				name, f.Docs, f.TitleQuery.Sentence.F, f.TitleQuery.Rouge2.F, f.NoQuery.Sentence.F, f.NoQuery.Rouge2.F, f.Lead.Sentence.F, f.Lead.Rouge2.F)
		}
	}
	if want("ranking") {
		start := time.Now()
		r, err := eval.Ranking(dir, *every)
		if err != nil {
			return fail(stdout, stderr, "ranking", err)
		}
		fmt.Fprintf(stdout, "ranking  Cranfield dev, %d judged queries, 1,400 docs (%s)\n", r.Queries, since(start))
		fmt.Fprintf(stdout, "  nDCG@10  analyzer (BM25F, stemmed) %.4f   plain BM25, no stemming %.4f\n", r.NDCG10, r.Baseline)
		fmt.Fprintf(stdout, "  folds by judged-query position  even (%d) %.4f (BM25 %.4f)   odd (%d) %.4f (BM25 %.4f)\n",
			r.Folds[0].Queries, r.Folds[0].NDCG10, r.Folds[0].Baseline, r.Folds[1].Queries, r.Folds[1].NDCG10, r.Folds[1].Baseline)
	}
	return 0
}

func since(t time.Time) string { return time.Since(t).Round(10 * time.Millisecond).String() }

func fail(stdout, stderr io.Writer, what string, err error) int {
	if errors.Is(err, eval.ErrNoCorpus) {
		fmt.Fprintf(stdout, "skipped: corpus not found (%v)\n", err)
		return 0
	}
	fmt.Fprintf(stderr, "research-eval: %s: %v\n", what, err)
	return 1
}
