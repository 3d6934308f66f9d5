"""Every lecture moment writes all of its values into the address bar: the URL a lecturer
copies after pressing a preset opens, in a fresh session, exactly the same controls and tab."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bnsim.ui import covariate_shift, inside_layer, running_stats, testtime

ROOT = Path(__file__).resolve().parents[1]
PAGES = {  # page script: (its controls, its presets, the key of its tabs)
    "pages/1_Inside_a_BN_layer.py": (inside_layer.CONTROLS, inside_layer.PRESETS, "tab"),
    "pages/2_Covariate_shift.py": (covariate_shift.ALL, covariate_shift.PRESETS, "tab"),
    "pages/3_Running_statistics.py": (running_stats.CONTROLS, running_stats.PRESETS, "panel"),
    "pages/4_Train_vs_test.py": (testtime.CONTROLS, testtime.PRESETS, "tab"),
}
CASES = [(script, i, name) for script, (_, presets, _) in PAGES.items()
         for i, name in enumerate(presets)]


def _state(at, controls, tab_key) -> dict:
    values = {c.key: at.session_state[c.key] for c in controls if c.key in at.session_state}
    if tab_key in at.session_state:
        values[tab_key] = at.session_state[tab_key]
    return values


@pytest.mark.parametrize("script, index, name", CASES,
                         ids=[f"{Path(s).stem}-{i}" for s, i, _ in CASES])
def test_the_url_after_a_preset_reproduces_it(script, index, name):
    controls, presets, tab_key = PAGES[script]
    at = AppTest.from_file(str(ROOT / script), default_timeout=180)
    at.run()
    at.button(key=f"_preset_{index}").click().run()
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
