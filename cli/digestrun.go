package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/research-cli/research/digest"
	"github.com/research-cli/research/internal/textsafe"
	"github.com/research-cli/research/store"
)

// digestRun is what researching one digest needs: the code shared by
// `research digest` (one shot) and the worker's digest job.
type digestRun struct {
	ios   IO
	p     *pipeline
	obs   *topicObserver
	st    store.Digests // nil: nothing was sent yet (a dry run without a store)
	nsrc  int
	debug bool
	// verbose prints each source's progress to stderr.
	verbose bool
}

// research runs each topic through the pipeline, in order, with what was
// already sent for it; a topic's error stops the run.
func (r *digestRun) research(ctx context.Context, topics []string) ([]digest.Input, error) {
	inputs := make([]digest.Input, 0, len(topics))
	for _, topic := range topics {
		in, err := r.topic(ctx, topic)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, in)
	}
	return inputs, nil
}

// topic runs one topic through the pipeline, with what was already sent for
// it when there is a store, reporting its progress on stderr.
func (r *digestRun) topic(ctx context.Context, topic string) (digest.Input, error) {
	in := digest.Input{Topic: topic}
	if r.st != nil {
		if last, ok, err := r.st.LastRun(ctx, topic); err != nil {
			return in, err
		} else if ok {
			in.LastRun = last.StartedAt
		}
		seen, err := r.st.SeenFilter(ctx, topic)
		if err != nil {
			return in, err
		}
		in.Seen = seen
	}
	prog := newProgress(r.ios, r.verbose || r.debug, r.nsrc)
	prog.stage = fmt.Sprintf("%s: fetching %d sources", textsafe.Line(topic), r.nsrc)
	r.obs.set(prog)
	prog.line("topic %q:", textsafe.Line(topic))
	in.StartedAt = time.Now()
	prog.begin()
	run, err := r.p.orch.Run(ctx, topic)
	prog.end()
	if err != nil {
		return in, fmt.Errorf("topic %q: %w", topic, err)
	}
	if err := ctx.Err(); err != nil {
		return in, fmt.Errorf("topic %q: %w", topic, err)
	}
	in.FinishedAt = time.Now()
	if r.debug && run.Analysis.StderrTail != "" {
		fmt.Fprintf(r.ios.Err, "--- research-analyze stderr (tail), topic %q ---\n%s\n---\n", textsafe.Line(topic), textsafe.Strip(run.Analysis.StderrTail))
	}
	in.Result = &run.Result
	return in, nil
}
