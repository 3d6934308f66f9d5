"""The live chart (``bnsim.ui.live``): what it sends to the browser, and that it keeps its
identity when its figure changes (so the browser redraws in place instead of remounting)."""

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from bnsim.network import ACTIVATIONS, activation
from bnsim.ui import live


def test_figure_spec_drops_the_template_and_keeps_data_layout_frames():
    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=np.array([1.0, np.nan, np.inf])),
                    layout=dict(height=321), frames=[dict(name="a", data=[dict(y=[1])])])
    spec = json.loads(live.figure_spec(fig))
    assert set(spec) == {"data", "layout", "frames"}
    assert "template" not in spec["layout"] and spec["layout"]["height"] == 321
    assert spec["frames"][0]["name"] == "a"
    y = spec["data"][0]["y"]  # numpy arrays travel as Plotly's typed arrays; NaN/inf survive
    assert np.array_equal(np.frombuffer(base64.b64decode(y["bdata"]), y["dtype"]),
                          [1.0, np.nan, np.inf], equal_nan=True)
    plain = json.loads(live.figure_spec({"data": [{"y": [1.0, float("nan")]}], "layout": {}}))
    assert plain["data"][0]["y"] == [1.0, None]  # a dict figure: NaN becomes a gap


def _unpacked(p):
    return np.frombuffer(base64.b64decode(p["bdata"]), {"f8": "<f8", "i4": "<i4"}[p["dtype"]])


def test_packed_arrays_round_trip():
    packed = live._packed({"a": np.array([0.1, -2.5]), "b": [np.array([3, 4])], "c": 7,
                           "big": np.array([2**31 + 5]), "grid": np.eye(2),
                           "n": np.int64(3), "x": np.float64(np.nan), "rev": np.arange(4)[::-1]})
    assert packed["a"]["dtype"] == "f8" and _unpacked(packed["a"]).tolist() == [0.1, -2.5]
    assert packed["b"][0]["dtype"] == "i4" and _unpacked(packed["b"][0]).tolist() == [3, 4]
    assert packed["big"]["dtype"] == "f8" and _unpacked(packed["big"])[0] == 2**31 + 5
    assert _unpacked(packed["rev"]).tolist() == [3, 2, 1, 0]  # a strided view
    assert packed["grid"] == [[1.0, 0.0], [0.0, 1.0]]
    assert packed["c"] == 7 and packed["n"] == 3 and packed["x"] is None
    json.dumps(packed, allow_nan=False)


def test_frontend_and_plotly_js_are_served_from_the_packages():
    html = (live.FRONTEND / "index.html").read_text()
    assert "streamlit:componentReady" in html and "Plotly.react" in html
    assert (live.PLOTLY_JS_DIR / "plotly.min.js").stat().st_size > 1_000_000


def _script():
    import streamlit as st

    from bnsim.ui.live import live_chart

    k = st.slider("k", 0, 10, 1)
    live_chart({"data": [{"type": "scatter", "y": [0, k, 1]}], "layout": {"height": 200}},
               key="chart", preview={"slider": "k", "beta": 0.5, "traces": []})


def test_the_chart_keeps_its_identity_when_the_figure_changes():
    at = AppTest.from_function(_script).run()
    assert not at.exception
    first = at.get("component_instance")[0].proto
    at.slider[0].set_value(7).run()
    second = at.get("component_instance")[0].proto
    assert first.id == second.id  # same element: the browser redraws it in place
    spec = [json.loads(json.loads(p.json_args)["spec"]) for p in (first, second)]
    assert spec[0]["data"][0]["y"] == [0, 1, 1] and spec[1]["data"][0]["y"] == [0, 7, 1]
    args = json.loads(second.json_args)
    assert json.loads(args["preview"])["slider"] == "k"
    assert args["plotly_js"] == "../bnsim.ui.live.plotly_js/plotly.min.js"


def test_the_space_of_a_chart_is_its_layout_height_plus_the_frame_margin():
    from bnsim.ui.live import FRAME_MARGIN, figure_spec, reserved_height
    assert reserved_height(figure_spec({"data": [], "layout": {"height": 400}})) == (
        400 + FRAME_MARGIN)
    assert reserved_height(figure_spec({"data": [], "layout": {}})) == 450 + FRAME_MARGIN


def test_affine_recipe_ops_gaps_and_range():
    """The "affine" recipe's arithmetic (the browser's, mirrored): op 0 the fixed value (NaN a
    gap), 1 γ·base, 2 γ·base + β, 3 g(γ·base + β) with g as bnsim.network; the range from the
    listed traces' finite values and the spec's bounds, padded."""
    from bnsim.network import activation

    base = np.array([-1.5, 0.25, 2.0])
    trace = {"trace": 0, "attr": "x", "op": np.array([0, 1, 2, 3, 0], dtype=np.int32),
             "at": np.array([0, 1, 2, 0, 0], dtype=np.int32),
             "fixed": np.array([7.0, np.nan, np.nan, np.nan, np.nan])}
    for act in ("sigmoid", "tanh", "relu"):
        recipe = {"kind": "affine", "base": base, "activation": act, "traces": [trace]}
        (got,) = live.affine_values(recipe, 2.0, -0.5)
        want = [7.0, 0.5, 3.5, float(activation(act, np.array(-3.5))[()]), np.nan]
        np.testing.assert_array_equal(got, want)
    spec = {"lo": -1.0, "hi": 1.0, "pad": 0.5, "rel": 0.1, "span": 10.0, "traces": [0]}
    assert live.affine_range(spec, [got]) == [-1.0 - 1.5, 7.0 + 1.5]  # NaN ignored, span ≥ 10
    spec = {**spec, "span": 0.0, "traces": []}
    assert live.affine_range(spec, [got]) == pytest.approx([-1.7, 1.7])


@pytest.mark.browser
def test_the_browsers_activation_is_the_networks(browser):
    """The live chart's JavaScript ``act`` (its in-browser previews draw g(z̃) with it) gives
    ``bnsim.network.activation``'s values: the activation is written once in Python and the
    browser's copy is held to it (tanh and exp may differ in the last bit)."""
    page = browser.new_page()
    try:
        page.goto((live.FRONTEND / "index.html").as_uri())
        x = np.concatenate([np.linspace(-40.0, 40.0, 401), [-1e300, -0.0, 1e-300, 710.0]])
        for name in ACTIVATIONS:
            got = np.array(page.evaluate("([n, xs]) => xs.map(x => act(n, x))",
                                         [name, x.tolist()]))
            np.testing.assert_allclose(got, activation(name, x), rtol=1e-14, atol=1e-15)
    finally:
        page.close()
