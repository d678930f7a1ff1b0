"""import_results, analyze and generate_demo on the command line."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from deliverability.accounts.models import Organization
from deliverability.campaigns.models import Event
from tests.campaigns.test_import import csv_bytes


def test_import_results_creates_the_org_and_prints_a_json_summary(db, tmp_path):
    path = tmp_path / "results.csv"
    path.write_bytes(csv_bytes())
    out, err = io.StringIO(), io.StringIO()
    call_command("import_results", str(path), "--org", "initech", "--json", "--no-enrich", stdout=out, stderr=err)
    document = json.loads(out.getvalue())
    assert document["organization"] == "initech"
    (result,) = document["files"]
    assert (result["status"], result["events"], result["format"]) == ("done", 6, "csv")
    assert "Created organisation 'initech'" in err.getvalue()
    assert Event.objects.filter(organization__slug="initech").count() == 6


def test_import_results_map_option_names_columns(db, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("Kontakt,Ergebnis,Zeit\nana@acme.com,delivered,2026-11-02T09:00:00Z\n")
    out = io.StringIO()
    call_command("import_results", str(path), "--org", "acme", "--campaign", "Herbst", "--map", "Kontakt=email",
                 "--map", "Ergebnis=event_type", "--map", "Zeit=occurred_at", "--json", "--no-enrich", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue())["files"][0]["events"] == 1


def test_import_results_status_option_gives_status_values_their_meaning(db, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Kontakt;Ergebnis\nana@acme.com;zugestellt\nbob@acme.com;unzustellbar\ncarla@acme.com;in Warteschlange\n")
    out = io.StringIO()
    call_command("import_results", str(path), "--org", "acme", "--campaign", "Herbst", "--map", "Ergebnis=event_type",
                 "--status", "zugestellt=delivered", "--status", "unzustellbar=bounce",
                 "--status", "in Warteschlange=ignore", "--json", "--no-enrich", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue())["files"][0]["events"] == 2
    assert sorted(Event.objects.values_list("type", flat=True)) == ["bounce", "delivered"]
    with pytest.raises(CommandError, match="expected VALUE=MEANING"):
        call_command("import_results", str(path), "--org", "acme", "--status", "zugestellt=maybe", stderr=io.StringIO())


def test_import_results_imports_again_a_file_that_imported_nothing_with_new_settings(db, tmp_path):
    path = tmp_path / "nocampaign.csv"
    path.write_text("email,status\nana@acme.com,delivered\nbob@acme.com,bounced\n")
    out = io.StringIO()
    with pytest.raises(CommandError):  # every row refused: no campaign
        call_command("import_results", str(path), "--org", "acme", "--json", "--no-enrich", stdout=out,
                     stderr=io.StringIO())
    assert json.loads(out.getvalue())["files"][0]["status"] == "failed"
    out = io.StringIO()
    call_command("import_results", str(path), "--org", "acme", "--campaign", "Autumn", "--json", "--no-enrich",
                 stdout=out, stderr=io.StringIO())
    report = json.loads(out.getvalue())["files"][0]
    assert (report["status"], report["events"], report["duplicate_file"]) == ("done", 2, False)


def test_import_results_reports_a_broken_file_and_fails(db, tmp_path):
    path = tmp_path / "junk.bin"
    path.write_bytes(b"\x00\x01\x02" * 1000)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_results", str(path), "--org", "acme", stdout=out, stderr=io.StringIO())
    assert "FAILED" in out.getvalue()


def test_analyze_prints_only_json_with_the_campaign_figures(db, tmp_path, capsys):
    from deliverability.campaigns.demo import write_demo_csv

    path = tmp_path / "demo.csv"
    write_demo_csv(path)
    call_command("analyze", str(path), "--json", "--recipients")
    document = json.loads(capsys.readouterr().out)
    november = next(c for c in document["campaigns"] if c["name"] == "November product update")
    for key in ("recipients", "delivered", "bounced", "reported_hard_bounce_rate", "estimated_invalid_rate", "b2b", "b2c", "by_verdict", "by_vendor"):
        assert key in november
    assert november["reported_hard_bounce_rate"] > november["estimated_invalid_rate"]
    assert {"campaign", "email", "verdict", "confidence", "category", "vendor", "evidence"} <= set(document["recipients"][0])
    assert not Organization.objects.filter(slug__startswith="analyze-").exists()  # the workspace is gone


def test_generate_demo_is_idempotent(db, capsys):
    call_command("generate_demo", "--org", "demo-client")
    first = Event.objects.count()
    call_command("generate_demo", "--org", "demo-client")
    assert Event.objects.count() == first > 1000
