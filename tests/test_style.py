"""The shared figure style: readable on a projector in both themes."""

import pytest

from bnsim.figures import style


def _luminance(hex_color: str) -> float:
    rgb = [int(hex_color.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("theme", sorted(style.BACKGROUNDS))
@pytest.mark.parametrize("concept", sorted(style.COLORS))
def test_every_concept_colour_has_aa_graphics_contrast_in_both_themes(concept, theme):
    assert contrast(style.COLORS[concept], style.BACKGROUNDS[theme]) >= 3.0


def test_contrast_helper_against_known_values():
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


def test_projector_fonts_and_decade_ticks():
    lay = style.layout(xaxis=dict(type="log"), yaxis=dict(title="y"))
    assert lay["font"]["size"] >= 16 and lay["legend"]["font"]["size"] >= 16
    assert lay["xaxis"]["tickfont"]["size"] >= 16 and lay["xaxis"]["dtick"] == 1
    assert "dtick" not in lay["yaxis"]
