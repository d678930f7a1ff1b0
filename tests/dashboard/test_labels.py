"""The verdict chips take their colours from the vocabulary, like the charts."""
from django.template import Context, Template

from deliverability.dashboard.figures import VERDICT_COLOURS
from deliverability.verdicts.vocabulary import VerdictKind


def test_every_verdict_chip_has_the_colour_of_its_chart_bars():
    css = Template("{% load labels %}{% verdict_styles %}").render(Context())
    for verdict in VerdictKind:
        assert f".v-{verdict} {{ border-color: {VERDICT_COLOURS[verdict]}; }}" in css
