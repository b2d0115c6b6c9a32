// Package jobs runs digests as jobs on River (github.com/riverqueue/river):
// one job per (digest, period), unique however many workers fire the
// schedule; delivery as a job kind of its own, retried with backoff; the
// schedules' fan-out on a queue of its own; a killed worker's jobs rescued by
// the others. The same job code runs on SQLite (one machine, the digest
// store's own file, no service) and on PostgreSQL (many workers on many
// machines); see docs/scale-out.md.
package jobs

import "time"

// Queues. The fan-out has its own so that it never waits behind digests.
const (
	QueueSchedule = "schedule"
	QueueDigest   = "digest"
	QueueDelivery = "delivery"
)

// Job kinds, as stored in the queue's table.
const (
	KindSchedule = "research_schedule"
	KindDigest   = "research_digest"
	KindDelivery = "research_delivery"
)

// DigestArgs is one digest of one period: research its topics, select what
// is new, record it and queue its deliveries. Unique by (Digest, Period).
type DigestArgs struct {
	// Digest names the digest: "digest" for digest.topics, a group's name, or
	// "name/topic" for a per-topic digest.
	Digest string   `json:"digest" river:"unique"`
	Topics []string `json:"topics"`
	// Period is the schedule slot this digest is for (also its scheduled time).
	Period time.Time `json:"period" river:"unique"`
}

// Kind is the job kind.
func (DigestArgs) Kind() string { return KindDigest }

// DeliveryArgs is one digest of the outbox to hand to one target. Unique by
// (DigestID, Target). The digest's bodies are in the store's outbox, written
// in the same transaction as the digest job's completion and this job's insert.
type DeliveryArgs struct {
	DigestID int64  `json:"digest_id" river:"unique"`
	Target   string `json:"target" river:"unique"`
	// Digest, Period and Key say which digest it is, for logs and research jobs.
	Digest string    `json:"digest"`
	Period time.Time `json:"period"`
	Key    string    `json:"key"`
}

// Kind is the job kind.
func (DeliveryArgs) Kind() string { return KindDelivery }

// ScheduleArgs fires one schedule for one slot: it inserts the digest jobs
// of that slot. Unique by (Schedule, Slot), so that a leader change (which
// runs the schedule on start) can neither skip nor double a period.
type ScheduleArgs struct {
	Schedule string    `json:"schedule" river:"unique"`
	Slot     time.Time `json:"slot" river:"unique"`
}

// Kind is the job kind.
func (ScheduleArgs) Kind() string { return KindSchedule }
