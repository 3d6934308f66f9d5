"""The claims audit, bounded: about 100 settings per page, drawn by hypothesis over every
control of every tab (training controls from a small pool of combinations — the defaults and
single controls at an extreme — so that the suite trains a handful of networks per page),
each opened as a link; every verdict made must pass its oracle (see
``benchmarks/audit_claims.py``, which runs the same check over 1,000 settings per page)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from benchmarks.audit_claims import (
    TRAINING_GROUPS,
    Setting,
    check,
    grid,
    oracles,
    render,
    training_pool,
)
from bnsim import verdict
from bnsim.ui.home import STEMS, lesson

EXAMPLES = 100
POOL = 4


def setting_strategy(stem: str):
    lsn = lesson(stem)
    pool = training_pool(stem, POOL, random.Random(f"bounded-{stem}"))
    view = [c for c in lsn.all_controls if c.group not in TRAINING_GROUPS]

    @st.composite
    def draw(data):
        values = dict(data(st.sampled_from(pool)))
        for c in view:
            if data(st.booleans()):
                values[c.key] = data(st.sampled_from(grid(c)))
        return Setting(stem, data(st.sampled_from([t.title for t in lsn.tabs])), values)

    return draw()


@pytest.mark.parametrize("stem", STEMS)
def test_every_claim_made_over_the_control_space_passes_its_oracle(stem):
    known = oracles()
    seen: dict[str, int] = {}

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(setting_strategy(stem))
    def one(s: Setting):
        r = render(s)
        for v in r.verdicts:
            seen[v.claim] = seen.get(v.claim, 0) + 1
        problems = check(r, known)
        assert not problems, f"{s.url()}\n" + "\n".join(problems)

    one()
    assert seen, f"{stem}: no claim was made in {EXAMPLES} settings"


def test_every_registered_claim_has_an_oracle():
    for stem in STEMS:
        lesson(stem)  # registers the lesson's claims
    ours = {c for c in verdict.CLAIMS if not c.startswith("test.")}  # tests register some too
    assert all(c.split(".")[0] in STEMS for c in ours), sorted(ours)
    missing = sorted(ours - set(oracles()))
    assert not missing, f"claims without an oracle: {missing}"


def test_docs_claims_md_lists_every_claim_as_registered():
    from benchmarks.audit_claims import DOCS, claims_doc

    assert DOCS.read_text(encoding="utf-8") == claims_doc(), (
        "docs/claims.md is out of date: run `python benchmarks/audit_claims.py --docs`")
    for claim in verdict.CLAIMS.values():
        if claim.id.startswith("test."):
            continue
        assert claim.words and claim.where and claim.test, f"{claim.id}: fill every field"


def test_each_claim_names_a_test_that_exists():
    from benchmarks.audit_claims import ROOT

    for claim in verdict.CLAIMS.values():
        if claim.id.startswith("test."):
            continue
        path = ""
        for ref in claim.test.replace(",", ";").split(";"):
            file, _, name = ref.strip().partition("::")
            path = file or path  # "::test_b" names a test of the file named before it
            assert path.startswith("tests/"), (claim.id, claim.test)
            source = (ROOT / path).read_text(encoding="utf-8")
            assert not name or f"def {name.split('[')[0]}" in source, (claim.id, ref)
