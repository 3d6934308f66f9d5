"""Every lecture moment writes all of its values into the address bar: the URL a lecturer
copies after pressing a preset opens, in a fresh session, exactly the same controls and tab."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bnsim.ui import covariate_shift, inside_layer, running_stats, testtime
from bnsim.ui.controls import preset_key

ROOT = Path(__file__).resolve().parents[1]
PAGES = {  # page script: (its controls, its presets, the key of its tabs)
    f"pages/{script}": (lesson.all_controls, lesson.all_presets, lesson.tab_key)
    for script, lesson in (("1_Inside_a_BN_layer.py", inside_layer.LESSON),
                           ("2_Covariate_shift.py", covariate_shift.LESSON),
                           ("3_Running_statistics.py", running_stats.LESSON),
                           ("4_Train_vs_test.py", testtime.LESSON))
}
CASES = [(script, name) for script, (_, presets, _) in PAGES.items() for name in presets]


def _state(at, controls, tab_key) -> dict:
    values = {c.key: at.session_state[c.key] for c in controls if c.key in at.session_state}
    if tab_key in at.session_state:
        values[tab_key] = at.session_state[tab_key]
    return values


@pytest.mark.parametrize("script, name", CASES,
                         ids=[f"{Path(s).stem}-{preset_key(n)}" for s, n in CASES])
def test_the_url_after_a_preset_reproduces_it(script, name):
    controls, presets, tab_key = PAGES[script]
    at = AppTest.from_file(str(ROOT / script), default_timeout=180)
    at.run()
    at.button(key=preset_key(name)).click().run()
    assert not at.exception, name
    pressed = _state(at, controls, tab_key)
    assert len(pressed) >= len(controls), f"{name}: not every control exists after the preset"
    url = {k: at.query_params[k] for k in at.query_params}
    fresh = AppTest.from_file(str(ROOT / script), default_timeout=180)
    fresh.query_params.update(url)
    fresh.run()
    assert not fresh.exception, name
    assert _state(fresh, controls, tab_key) == pressed, (name, url)
    preset = presets[name]
    if preset.tab is not None:
        assert fresh.session_state[tab_key] == preset.tab
