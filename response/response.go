// Package response runs the response protocols of confirmed violation
// cases: each step owed by one actor with an absolute deadline, its state
// (pending → done, or overdue → done_late or missed), escalation, the
// heavier protocol on repeated cases, and the guarantors' scorecard.
//
// It is an event-sourced state machine free of HTTP and SQL: every change is
// a Transition (a ledger.TypeAction record with canonical bytes and the
// notifications it calls for), and the state is exactly the fold of the
// transitions applied so far. A restarted server rebuilds the Engine from
// the stored transitions with Apply, and the scheduler's Due(now) then yields
// precisely the deadline transitions not yet stored: none missed, none twice.
package response

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/vocab"
)

// State is where one step of a run stands.
type State string

const (
	Pending   State = "pending"   // before its deadline, not yet done
	Done      State = "done"      // done by its deadline
	Overdue   State = "overdue"   // past its deadline, not done (escalated)
	DoneLate  State = "done_late" // done after its deadline
	Missed    State = "missed"    // still undone at the cutoff, or when the case closed while overdue
	Ended     State = "ended"     // not yet due when the case was closed as remedied
	Cancelled State = "cancelled" // open when the case was withdrawn: the obligation is void
)

// Final reports whether no transition leaves the state.
func (s State) Final() bool { return s != Pending && s != Overdue }

// Triggers: why a run started.
const (
	TriggerConfirmed = "confirmed" // the case's commitment protocol, on confirmation
	TriggerOverdue   = "overdue"   // escalation.on_overdue names this protocol
	TriggerRepeated  = "repeated"  // escalation.repeated: N cases within a period
)

// Closures of a case, as compliance names them.
const (
	Remedied  = "remedied"
	Withdrawn = "withdrawn"
)

// Case is what the engine needs of a confirmed violation case (compliance
// owns the case itself). Closure and Closed are set by Engine.Close, and
// must be empty in Confirm's input.
type Case struct {
	ID         string    `json:"id"`
	Commitment string    `json:"commitment"`
	Party      string    `json:"party,omitempty"` // attributed party, "joint" or "unattributed"
	Confirmed  time.Time `json:"confirmed"`
	Closure    string    `json:"closure,omitempty"`
	Closed     time.Time `json:"closed,omitzero"`
	// Paused is when an open dispute paused the case's deadlines (zero:
	// running). Set by Engine.Pause, cleared by Engine.Resume.
	Paused time.Time `json:"paused,omitzero"`
	// Pauses counts the pauses so far: it numbers their records.
	Pauses int `json:"pauses,omitempty"`
}

// Run is one protocol started for one case.
type Run struct {
	ID         string    `json:"id"` // case id "/" protocol id
	Case       string    `json:"case"`
	Commitment string    `json:"commitment"`
	Party      string    `json:"party,omitempty"`
	Protocol   string    `json:"protocol"`
	Trigger    string    `json:"trigger"`
	Cases      []string  `json:"cases,omitempty"` // the cases counted, for a repeated trigger
	Started    time.Time `json:"started"`
	Cutoff     time.Time `json:"cutoff,omitzero"` // zero: the protocol has none
	Steps      []*Step   `json:"steps"`
}

// Step is one actor's obligation within a run. A protocol step whose actor
// is a group or all_guarantors becomes one Step per state (Via keeps the
// actor the protocol named), so that each state's record is its own.
type Step struct {
	Key      string           `json:"key"` // protocol step id "/" actor: unique within the run
	ID       string           `json:"id"`
	Actor    string           `json:"actor"`
	Via      string           `json:"via,omitempty"`
	Action   vocab.ActionKind `json:"action"`
	Deadline time.Time        `json:"deadline"`
	State    State            `json:"state"`
	// OverdueAt is the deadline passed (set when the step became overdue).
	OverdueAt time.Time `json:"overdue_at,omitzero"`
	// Done is the action recorded (done or done_late).
	Done *Action `json:"done,omitempty"`
	// Closed is when the step became missed, ended or cancelled.
	Closed time.Time `json:"closed,omitzero"`
}

// Action is what an actor did for a step, and who recorded it.
type Action struct {
	Kind      vocab.ActionKind `json:"kind"`
	Statement string           `json:"statement,omitempty"` // what was done, in the actor's words
	Reference string           `json:"reference,omitempty"` // a document: URL, note number, hash
	By        string           `json:"by"`                  // the principal who recorded it
	At        time.Time        `json:"at"`
}

// Transition kinds.
const (
	KindCaseConfirmed = "case_confirmed"
	KindRunStarted    = "run_started"
	KindStepDone      = "step_done"
	KindStepDoneLate  = "step_done_late"
	KindStepOverdue   = "step_overdue"
	KindStepMissed    = "step_missed"
	KindStepEnded     = "step_ended"
	KindStepCancelled = "step_cancelled"
	KindCaseClosed    = "case_closed"
	KindCasePaused    = "case_paused"
	KindCaseResumed   = "case_resumed"
)

// Transition is the record of one change: a ledger entry of type
// ledger.TypeAction. Its ID is derived from what changed (never from a
// counter or the wall clock), so the same change computed twice — by two
// servers, or before and after a restart — has the same ID and the same
// bytes, and a store that keeps record ids unique stores it once.
type Transition struct {
	ID     string    `json:"id"`
	Kind   string    `json:"kind"`
	At     time.Time `json:"at"`
	Case   string    `json:"case"`
	Run    string    `json:"run,omitempty"`
	Step   string    `json:"step,omitempty"` // Step.Key
	Actor  string    `json:"actor,omitempty"`
	Reason string    `json:"reason,omitempty"`
	// Exactly one of the following, by Kind.
	Confirmed *Case   `json:"confirmed_case,omitempty"` // case_confirmed
	Started   *Run    `json:"started_run,omitempty"`    // run_started: the run as it starts
	Action    *Action `json:"action,omitempty"`         // step_done, step_done_late
	Closure   string  `json:"closure,omitempty"`        // case_closed
	Pause     *Pause  `json:"pause,omitempty"`          // case_resumed
	// Notify says who must be told: one notification per intent.
	Notify []Intent `json:"notify,omitempty"`
}

// Pause is a period during which a case's deadlines stood still: on
// resumption every pending deadline and the cutoff move by its length.
type Pause struct {
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
}

// Intent is one notification a transition calls for: To is an actor id
// (a guarantor, a party or "mission"); the notifier sends the transition to
// that actor's subscriptions with the idempotency key Transition.ID "#" To.
type Intent struct {
	To    string `json:"to"`
	Event string `json:"event"`
}

// Notification events.
const (
	EventAssigned   = "step_assigned"  // a step is owed by you
	EventOverdue    = "step_overdue"   // your step passed its deadline
	EventEscalation = "escalation"     // someone's step is overdue (on_overdue: notify_all)
	EventRecorded   = "step_recorded"  // an action was recorded
	EventMissed     = "step_missed"    // your step is missed
	EventClosed     = "case_closed"    // the case closed; your open steps ended
	EventConfirmed  = "case_confirmed" // a case was confirmed against a commitment you are party to
	EventPaused     = "case_paused"    // a dispute paused the deadlines of your steps
	EventResumed    = "case_resumed"   // the deadlines run again, moved by the pause
)

// Canonical returns the transition's RFC 8785 bytes: what the ledger's
// digest covers.
func (t *Transition) Canonical() ([]byte, error) {
	return pactwatch.CanonicalJSON(t)
}

// LedgerEntry returns the transition's ledger entry under the salt. The
// record has no public projection here: what of a guarantor's record is
// published is the report's decision, not the engine's.
func (t *Transition) LedgerEntry(salt []byte) (ledger.Entry, error) {
	b, err := t.Canonical()
	if err != nil {
		return ledger.Entry{}, err
	}
	return ledger.NewEntry(ledger.TypeAction, t.ID, t.At, b, salt, nil, nil), nil
}

// ParseTransition decodes a stored transition (the inverse of Canonical).
func ParseTransition(b []byte) (Transition, error) {
	var t Transition
	if err := json.Unmarshal(b, &t); err != nil {
		return Transition{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "transition", "not a transition: %v", err)
	}
	if t.ID == "" || t.Kind == "" || t.Case == "" {
		return Transition{}, pactwatch.FieldErrorf(pactwatch.EINVALID, "transition", "id, kind and case are required")
	}
	return t, nil
}

// Errors of recording and closing, wrapped in *pactwatch.Error (errors.Is).
var (
	ErrNotYourStep  = errors.New("step owed by another actor") // EFORBIDDEN
	ErrCaseClosed   = errors.New("case closed")                // ECONFLICT
	ErrAlreadyDone  = errors.New("step already done")          // ECONFLICT
	ErrStepClosed   = errors.New("step missed or ended")       // ECONFLICT
	ErrUnknownStep  = errors.New("no such step")               // ENOTFOUND
	ErrUnknownCase  = errors.New("no such case")               // ENOTFOUND
	ErrBadReplay    = errors.New("transition does not fit")    // EINVALID (Apply)
	ErrConfirmClash = errors.New("case confirmed differently") // ECONFLICT
	ErrPaused       = errors.New("case paused or not paused")  // ECONFLICT (Pause, Resume)
)

func errf(code string, field string, sentinel error, format string, args ...any) error {
	e := pactwatch.FieldErrorf(code, field, format, args...)
	e.Err = sentinel
	return e
}
