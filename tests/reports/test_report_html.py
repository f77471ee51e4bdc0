"""The HTML session report, built from the report document and the pipeline's series."""

from __future__ import annotations

import re

import numpy as np
from reports_testutil import Analysed

from winkmon.pipeline.events import Verdict
from winkmon.pipeline.insights import split_sets
from winkmon.reports.html import render_session
from winkmon.reports.svg import Chart, thin

URL = re.compile(r"https?:|ftp:|//[\w.-]+\.\w|url\(|<script|<link|<img|<iframe|@import|src=", re.I)


def test_page_is_self_contained(analysed: Analysed) -> None:
    page = render_session(analysed.doc, analysed.result, analysed.info)
    assert page.startswith("<!DOCTYPE html>")
    assert URL.search(page) is None, URL.search(page)


def test_page_has_a_section_per_set_with_both_plots_and_every_rep(analysed: Analysed) -> None:
    res = analysed.result
    page = render_session(analysed.doc, res, analysed.info)
    sets = split_sets(res.reps)
    assert len(sets) == 2
    assert page.count('<section class="set"') == len(sets)
    assert page.count('<svg class="plot angle"') == len(sets)
    assert page.count('<svg class="plot depth"') == len(sets)
    assert page.count('<tr class="rep"') == len(res.reps)
    flex = [r for r in res.reps if r.verdict is Verdict.FLEXION]
    lost = [r for r in res.reps if r.verdict is Verdict.EXTENSION_LOST]
    assert flex and lost
    # each wink: a marker at its peak on the angle plot and at its onset on the depth plot
    assert page.count('<circle class="wink"') == 2 * len(flex)
    assert page.count('<circle class="lost"') == len(lost)
    for r in res.reps:
        assert f">rep {r.number}</text>" in page
    for s in analysed.doc["sets"]:
        for note in s["notes"]:
            assert note.replace("'", "&#x27;") in page
    assert "What to work on" in page and 'data-topic="fatigue"' in page
    assert "Sam" in page and "SIM-BMI270" in page and "26 November 2026" in page


def test_angle_line_is_coloured_by_zone(analysed: Analysed) -> None:
    page = render_session(analysed.doc, analysed.result, analysed.info)
    for cls in ("z-ext", "z-lost", "z-flex"):
        assert f'<polyline class="{cls}"' in page


def test_without_a_profile_the_page_says_so_and_draws_depth_only(analysed: Analysed) -> None:
    from winkmon.commands.report import report_document
    from winkmon.pipeline.model import AthleteModel
    from winkmon.recording import Recording
    from winkmon.session.offline import analyze_recording

    with Recording.open(analysed.session) as rec:
        res = analyze_recording(rec, AthleteModel.uncalibrated())
    doc = report_document(res, None, str(analysed.session))
    page = render_session(doc, res, analysed.info)
    assert '<svg class="plot angle"' not in page
    assert page.count('<svg class="plot depth"') == len(split_sets(res.reps)) > 0
    assert "no athlete profile" in page
    assert "What to work on" not in page  # no verdicts, no advice


def test_thin_keeps_extremes_and_gaps() -> None:
    t = np.arange(10_000) / 100.0
    y = np.sin(t)
    y[5000] = 7.0
    y[7000:7100] = np.nan
    tt, yy = thin(t, y, 200)
    assert len(tt) <= 400
    assert np.nanmax(yy) == 7.0
    assert np.isnan(yy).any()


def test_chart_maps_values_into_the_plot_and_depth_downwards() -> None:
    up = Chart(0.0, 10.0, -10.0, 10.0)
    down = Chart(0.0, 10.0, 0.0, 40.0, y_down=True)
    assert up.y(10.0) < up.y(-10.0)
    assert down.y(40.0) > down.y(0.0)
    assert up.x(0.0) == up.margin_left and up.x(10.0) == up.width_px - up.margin_right
