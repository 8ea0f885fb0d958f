"""Flow scenarios: conversations written in YAML by territory advisors (tests/flows/*.yml),
played against the real assistant over Rasa's REST channel, with a French report.

- `model`    — what a scenario is (steps, expectations), independent of YAML;
- `loader`   — reading and validating the files, with precise French errors;
- `assistant` — talking to Rasa's REST channel and reading its answers;
- `checks`   — evaluating a step's expectations against an answer;
- `execute`  — playing a scenario, step by step;
- `report`   — the console report and the HTML report;
- `cli`      — `qp flows test [FICHIERS]`.
"""
