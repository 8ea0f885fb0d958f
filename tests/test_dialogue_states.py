"""rasa_extensions/dialogue_states.py inside the Rasa runtime (.venv-rasa): the past states of a
conversation, computed once per event, are exactly Rasa's.

Every conversation the training data and the test stories describe (stories and rules, as
Rasa's own generator builds them for training), then the same conversations with events
thrown in at random (undone actions, rewound messages, restarts, new sessions, loops started,
stopped and rejected, a loop run again, a message given another reading), are fed one event at
a time to one tracker; after each event, its applied events and its states — for the
MemoizationPolicy (rule-only turns ignored, with and without rule-only slots and loops) and for
the RulePolicy — are compared with Rasa's own methods on a fresh tracker of the same events.
The probe also counts the three ways a call goes on (from the end of what was replayed, from a
snapshot before a change, from the start), so none is left untested.
"""

from __future__ import annotations

from rasa_runtime import in_rasa_runtime

PROBE = """
import collections, json, random, sys
from rasa.shared.core import constants
from rasa.shared.core.events import (ActionExecuted, ActionExecutionRejected, ActionReverted,
    ActiveLoop, DefinePrevUserUtteredFeaturization, Restarted, SessionStarted,
    UserUtteranceReverted)
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter
import rasa_extensions
from rasa_extensions import dialogue_states

assert DialogueStateTracker.applied_events is dialogue_states.applied_events

ways = collections.Counter()
kept = dialogue_states._kept
def counted(domain, tracker, applied):
    before = tracker.__dict__.get(dialogue_states._REPLAY)
    length = len(before.replayed) if before else 0
    replay = kept(domain, tracker, applied)
    if before is not None and replay is None:
        ways["start"] += 1
    elif before is not None:
        ways["snapshot" if len(replay.replayed) < length else "end"] += 1
    return replay
dialogue_states._kept = counted

importer = TrainingDataImporter.load_from_config(
    "config.yml", "domain.yml", ["data", "tests/test_stories.yml"])
domain = importer.get_domain()
stories = [list(t.events) for t in
           TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0).generate()]
forms = list(domain.form_names)
rule_only = {constants.RULE_ONLY_SLOTS: [slot.name for slot in domain.slots][:4],
             constants.RULE_ONLY_LOOPS: forms[:1]}
READINGS = [(True, None), (True, rule_only), (False, None)]  # (ignore_rule_only_turns, …)

def disrupted(events, rng):
    out = []
    for event in events:
        out.append(event)
        draw = rng.random()
        if draw < 0.03: out.append(ActionReverted())
        elif draw < 0.06: out.append(UserUtteranceReverted())
        elif draw < 0.07: out.append(Restarted())
        elif draw < 0.08: out.append(SessionStarted())
        elif draw < 0.10: out.append(ActiveLoop(rng.choice(forms + [None, "boucle_inconnue"])))
        elif draw < 0.12: out.append(ActionExecutionRejected(rng.choice(forms)))
        elif draw < 0.14: out.append(DefinePrevUserUtteredFeaturization(rng.random() < 0.5))
        elif draw < 0.17: out.append(ActionExecuted(rng.choice(forms)))
    return out

rng = random.Random(2026)
conversations = stories + [disrupted(events, rng) for events in stories for _ in range(4)]
checked, different = 0, []
for number, events in enumerate(conversations):
    tracker = DialogueStateTracker(f"c{number}", domain.slots)
    for step, event in enumerate(events):
        tracker.update(event)
        fresh = DialogueStateTracker.from_events(f"c{number}", list(tracker.events), domain.slots)
        ours = [id(e) for e in tracker.applied_events()]
        if ours != [id(e) for e in dialogue_states.ORIGINAL_APPLIED_EVENTS(fresh)]:
            different.append(["applied_events", number, step])
        for ignore, rule_only_data in READINGS:
            ours = domain.states_for_tracker_history(tracker, False, ignore, rule_only_data)
            rasa = dialogue_states.ORIGINAL_STATES(domain, fresh, False, ignore, rule_only_data)
            checked += 1
            if ours != rasa:
                different.append(["states", number, step, ignore, rule_only_data is not None])
print(json.dumps({"stories": len(stories), "conversations": len(conversations),
                  "events": sum(map(len, conversations)), "checked": checked,
                  "different": different[:10], "ways": ways}))
"""


def test_past_states_are_exactly_rasas_after_every_event():
    found = in_rasa_runtime(PROBE)
    assert isinstance(found, dict)
    assert found["stories"] >= 30
    assert found["events"] > 2000
    assert found["checked"] > 3 * 2000
    assert found["different"] == []
    # Each way a call goes on was taken many times.
    assert min(found["ways"].get(way, 0) for way in ("end", "snapshot", "start")) >= 20, found
