"""A conversation's past states computed once per event, not once per policy per prediction.

Rasa 3.6's policies read a conversation as the list of its past states
(`Domain.states_for_tracker_history`): at each prediction the MemoizationPolicy once and the
RulePolicy twice replay every event of the conversation from its start — a fresh tracker
updated event by event, a state built before each action — after a pass over all the events
to drop the undone ones (`DialogueStateTracker.applied_events`). A turn costs more the longer
the conversation: under the baseline's load these two were 17 % of the Rasa process's samples
(issue 17, `make profile`).

Here a tracker keeps on itself what was computed for it, and the next call only goes through
the events added since:

- `applied_events`: the events seen and the applied list they gave. Recomputed from the start
  when the events are not those seen plus new ones at the end, or when a new event names a
  loop not named before (the loops' names change how earlier events are read).
- `states_for_tracker_history`: the applied events replayed so far, the replayed tracker at
  their end, and, before each action among them, what Rasa's loop reads of the tracker (its
  state, previous action, loop and follow-up action). The same loop as Rasa's then runs over
  these, on copies (the policies change the states they are given). When the applied events
  are not those replayed plus new ones — a loop run again drops the messages and actions since
  its previous run, an action or a message is undone — the replay goes on from a copy of the
  replayed tracker kept just before one of the last actions (SNAPSHOTS), or else from the
  start (a restart, a new session, another domain after a new model). And from the start
  when replaying gave a message already read another reading
  (`DefinePrevUserUtteredFeaturization` changes it in place), as Rasa's own replay would read
  it anew. `omit_unset_slots=True`, which no policy of config.yml asks, and the training's
  trackers (`TrackerWithCachedStates`, which cache states their own way) go to Rasa's method.

A tracker copy (`tracker.copy()`, a form's temporary tracker) starts with nothing kept. The
same states, lists and order as Rasa's methods: tests/test_dialogue_states.py compares them
after every event of every story and rule of the training data and the test stories, and of
the same conversations with undone actions, rewinds, restarts, sessions and loops thrown in.
Measured alone on those conversations (up to 37 events), the three calls of a prediction
take 4.4 times less time; under load, the share of Rasa's samples spent there went from
17 % to 5 % (35-turn conversations, docs/benchmarks.md).

Installed by `rasa_extensions/__init__.py`, imported by Rasa before it loads a model.
"""

from __future__ import annotations

import copy
import itertools
import operator
from dataclasses import dataclass, field
from typing import Any

from rasa.shared.core import constants
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

ORIGINAL_APPLIED_EVENTS = DialogueStateTracker.applied_events
ORIGINAL_STATES = Domain.states_for_tracker_history
_APPLIED = "_qp_applied_events"  # attributes set on the trackers
_REPLAY = "_qp_replay"
# How many snapshots of a replay are kept (the last actions'): enough to go back to a loop's
# previous execution, or to the message a rewind undoes, a few actions back.
SNAPSHOTS = 4


@dataclass
class _Applied:
    events: Any  # the tracker's `events` (a deque) when this was computed
    seen: int  # how many of its events were read
    last: Event | None  # the last of them
    loop_names: set[str]
    applied: list[Event]


@dataclass(frozen=True)
class _Point:
    """What Rasa's loop reads of the tracker just before one action."""

    hide_rule_turn: bool
    followup_action: str | None
    latest_action_name: str | None
    active_loop_name: str | None
    previous_action: dict[str, Any]
    state: State  # `get_active_state(tracker, omit_unset_slots=False)`, never handed out
    # The user's message the state was built from, and how it was to be read then: a later
    # `DefinePrevUserUtteredFeaturization` changes that in place on the message itself.
    message: UserUttered | None
    use_text: bool | None

    def still_holds(self) -> bool:
        return self.message is None or self.message.use_text_for_featurization == self.use_text


@dataclass
class _Replay:
    domain: Domain
    tracker: DialogueStateTracker  # the events of `replayed` applied to `init_copy()`
    replayed: list[Event] = field(default_factory=list)
    points: list[tuple[int, _Point]] = field(default_factory=list)  # (index in replayed, …)
    # Copies of `tracker` just before some of the last actions replayed, by their index.
    snapshots: dict[int, DialogueStateTracker] = field(default_factory=dict)

    def holds(self) -> bool:
        return all(point.still_holds() for _, point in self.points)


def applied_events(self: DialogueStateTracker) -> list[Event]:
    """`DialogueStateTracker.applied_events` of Rasa 3.6.21, going on from what it saw."""
    if type(self) is not DialogueStateTracker:  # the training's trackers cache their own way
        return ORIGINAL_APPLIED_EVENTS(self)
    events = self.events
    kept: _Applied | None = self.__dict__.get(_APPLIED)
    count = len(events)
    if (
        kept is None
        or kept.events is not events
        or count < kept.seen
        or (kept.seen and events[kept.seen - 1] is not kept.last)
    ):
        names = {e.name for e in events if isinstance(e, ActiveLoop) and e.name}
        applied = ORIGINAL_APPLIED_EVENTS(self)
    else:
        new = list(itertools.islice(events, kept.seen, None))
        names = kept.loop_names | {e.name for e in new if isinstance(e, ActiveLoop) and e.name}
        if names == kept.loop_names:
            applied = list(kept.applied)
            _apply(self, new, names, applied)
        else:
            applied = ORIGINAL_APPLIED_EVENTS(self)
    last = events[-1] if count else None
    self.__dict__[_APPLIED] = _Applied(events, count, last, names, applied)
    return list(applied)


def _apply(
    tracker: DialogueStateTracker, events: list[Event], loop_names: set[str], applied: list[Event]
) -> None:
    """The loop of Rasa's `applied_events` over `events`, going on from `applied`."""
    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)


def _point(domain: Domain, tracker: DialogueStateTracker, hide_rule_turn: bool) -> _Point:
    message = tracker.latest_message
    return _Point(
        hide_rule_turn,
        tracker.followup_action,
        tracker.latest_action_name,
        tracker.active_loop_name,
        domain._get_prev_action_sub_state(tracker),
        domain.get_active_state(tracker, omit_unset_slots=False),
        message,
        message.use_text_for_featurization if message else None,
    )


def _snapshot(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A copy of a replayed tracker such that replaying events on one leaves the other as it
    was: what events change in place (the slots, the loop) is copied, the rest is shared, and
    events replace it rather than change it. Its events are not kept: nothing of the replay
    reads them (only the rewinding events do, and they are never among the applied ones)."""
    copied = copy.copy(tracker)
    copied.slots = copy.copy(tracker.slots)
    for name, slot in copied.slots.items():
        copied.slots[name] = copy.copy(slot)
    copied.active_loop = copy.copy(tracker.active_loop)
    copied.events = tracker._create_events([])
    return copied


def _common_length(one: list[Event], other: list[Event]) -> int:
    for index, (a, b) in enumerate(zip(one, other, strict=False)):
        if a is not b:
            return index
    return min(len(one), len(other))


def _kept(domain: Domain, tracker: DialogueStateTracker, applied: list[Event]) -> _Replay | None:
    """What was replayed for `tracker`, brought back to where it still holds for its applied
    events `applied`: all of it when they extend it, else up to the last snapshot before they
    differ (a loop's later execution drops the messages and actions since its previous
    one), else nothing."""
    replay: _Replay | None = tracker.__dict__.get(_REPLAY)
    if replay is None or replay.domain is not domain:
        return None
    if len(applied) >= len(replay.replayed) and all(map(operator.is_, applied, replay.replayed)):
        return replay
    common = _common_length(applied, replay.replayed)
    start = max((index for index in replay.snapshots if index <= common), default=None)
    if start is None:
        return None
    replay.tracker = _snapshot(replay.snapshots[start])
    del replay.replayed[start:]
    replay.points = [(index, point) for index, point in replay.points if index < start]
    replay.snapshots = {i: kept for i, kept in replay.snapshots.items() if i <= start}
    return replay


def _go_on(domain: Domain, replay: _Replay, applied: list[Event]) -> None:
    """Replay the events of `applied` beyond those replayed, a point before each action."""
    for event in applied[len(replay.replayed) :]:
        if isinstance(event, ActionExecuted):
            index = len(replay.replayed)
            replay.points.append((index, _point(domain, replay.tracker, event.hide_rule_turn)))
            if index not in replay.snapshots:
                replay.snapshots[index] = _snapshot(replay.tracker)
                for old in sorted(replay.snapshots)[:-SNAPSHOTS]:
                    del replay.snapshots[old]
        replay.tracker.update(event)
        replay.replayed.append(event)


def _replay(domain: Domain, tracker: DialogueStateTracker) -> _Replay:
    applied = tracker.applied_events()
    replay = _kept(domain, tracker, applied)
    if replay is not None:
        _go_on(domain, replay, applied)
        if replay.holds():
            return replay
        # Replaying the new events gave an earlier message another reading (Rasa's own replay
        # does the same, then reads it anew from the start): so does this one.
    replay = _Replay(domain, tracker.init_copy())
    tracker.__dict__[_REPLAY] = replay
    _go_on(domain, replay, applied)
    return replay


def _copy(state: State) -> State:
    return {name: dict(sub_state) for name, sub_state in state.items()}  # type: ignore[misc]


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """`Domain.states_for_tracker_history` of Rasa 3.6.21 over the points kept: one before each
    action of the applied events, then one at their end (what `generate_all_prior_trackers`
    yields)."""
    if omit_unset_slots or type(tracker) is not DialogueStateTracker:
        return ORIGINAL_STATES(self, tracker, True, ignore_rule_only_turns, rule_only_data)
    replay = _replay(self, tracker)
    points = [point for _, point in replay.points] + [_point(self, replay.tracker, False)]
    states: list[State] = []
    last_ml_action_sub_state = None
    turn_was_hidden = False
    for point in points:
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = point.previous_action
            if not point.followup_action and point.latest_action_name != point.active_loop_name:
                turn_was_hidden = point.hide_rule_turn
            if turn_was_hidden:
                continue

        state = _copy(point.state)
        if ignore_rule_only_turns:
            self._remove_rule_only_features(state, rule_only_data)
            if states:
                self._substitute_rule_only_user_input(state, states[-1])
            if last_ml_action_sub_state:
                state[constants.PREVIOUS_ACTION] = dict(last_ml_action_sub_state)
        states.append(self._clean_state(state))
    return states


def install() -> None:
    """Replace Rasa's methods (idempotent)."""
    DialogueStateTracker.applied_events = applied_events  # type: ignore[method-assign]
    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]
