"""Issue 19, the account manager's first upload in a real browser (Debian Chromium), at 1400 px and 390 px:
a client organisation created on its page with its first invitation; a file with no campaign column
uploaded with the campaign left blank ends in "Nothing imported" with the way on right there, and imports
once a campaign is named; a German export is mapped (columns preselected, status values given a meaning,
the preview read) and imported; the weekly digest subscription is confirmed with its address; deleting an
upload and removing a member show what goes and ask first.
No page of the journey scrolls sideways; screenshots are kept in test-artifacts/upload-journey/."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError

from deliverability.accounts.models import Membership, Organization
from deliverability.campaigns.models import Event, Upload
from tests.browser.test_client_portal_browser import _drain
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1400, 390)
NO_CAMPAIGN = "email,status\n" + "".join(f"user{i}@acme-logistics.com,delivered\n" for i in range(58)) + \
    "kim@acme-logistics.com,bounced\nlee@acme-logistics.com,bounced\n"
GERMAN = ("Kontakt;Ergebnis;Zeit;Antwort\n"
          "ana@northwind-freight.com;zugestellt;2026-11-02 09:00:00;250 2.0.0 OK\n"
          "bob@northwind-freight.com;unzustellbar;2026-11-02 09:01:00;550 5.1.1 user unknown\n"
          "carla@northwind-freight.com;zugestellt;2026-11-02 09:02:00;250 2.0.0 OK\n"
          "dan@northwind-freight.com;in Warteschlange;2026-11-02 09:03:00;\n")


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) button[type=submit]")  # not the header's language switch
    page.wait_for_load_state()


def _overflow(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


# The elements sticking out on the right (those inside a scrolling box do not move the page).
CULPRITS_JS = """() => [...document.querySelectorAll('body *')].filter(el => {
  const r = el.getBoundingClientRect();
  return r.width && r.right > window.innerWidth + 1 && !el.parentElement.closest('.scroll-x');
}).slice(0, 8).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + String(el.className)
  + ' right=' + Math.round(el.getBoundingClientRect().right))"""


def _check(page, artifacts, name: str, width: int) -> None:
    """No sideways scrolling at this width; a full-page screenshot kept."""
    folder = artifacts / "upload-journey"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    assert _overflow(page) <= 1, f"{name} at {width} px overflows by {_overflow(page)} px: {page.evaluate(CULPRITS_JS)}"


def _wait_finished(page, selector: str) -> None:
    """The upload page polls its status and reloads when the import (and its analysis) is done."""
    _drain()
    for _ in range(3):
        try:
            page.reload()
            break
        except PlaywrightError:  # the page's own poll reloaded it at the same moment (ERR_ABORTED)
            page.wait_for_load_state()
    page.wait_for_selector(selector, timeout=30_000)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_account_managers_first_upload(live_server, browser, artifacts, tmp_path, width):
    make_user("account-manager", is_staff=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    base = live_server.url
    _login(page, base, "account-manager")

    # A client organisation, on its own page, with its first invitation.
    page.click("#new-organization a")
    page.fill("input[name=name]", "Lumen Analytics")
    page.select_option("select[name=timezone]", "Europe/Berlin")
    page.fill("input[name=invite_email]", "maria@lumen.example")
    page.select_option("select[name=invite_role]", "manager")
    _check(page, artifacts, "1-new-organisation", width)
    page.click("#organization-form button[type=submit]")
    page.wait_for_selector("#invite-url")
    assert "/invitations/lumen-analytics/" in page.locator("#invite-url").inner_text()
    assert page.locator("#email-printed").count() == 0  # the test server keeps mail, it does not print it
    _check(page, artifacts, "2-members-with-invitation-link", width)
    org = Organization.objects.get(slug="lumen-analytics")
    assert org.timezone == "Europe/Berlin"

    # The first upload: no campaign column, campaign left blank.
    page.goto(f"{base}/o/lumen-analytics/uploads/new/")
    format_options = page.locator("select[name=format] option").all_inner_texts()
    assert "Amazon SES notifications (JSON)" in format_options and "ses" not in format_options
    path = tmp_path / "november-results.csv"
    path.write_text(NO_CAMPAIGN)
    page.set_input_files("input[name=file]", str(path))
    _check(page, artifacts, "3-upload-form", width)
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#progress")
    _wait_finished(page, "#upload-error")
    assert page.locator("#status-label").inner_text() == "Nothing imported"
    assert page.locator("#progress-bar").count() == 0
    assert "november-results.csv" in page.locator("#upload-error").inner_text()
    assert "type a campaign name" in page.locator("#upload-error").inner_text()
    _check(page, artifacts, "4-nothing-imported", width)

    # The way on, right there: name the campaign, read the preview, import.
    page.fill("#retry-form input[name=campaign]", "November newsletter")
    page.click("#retry-form button[value=preview]")
    page.wait_for_selector("#preview table")
    assert "November newsletter" in page.locator("#preview").inner_text()
    page.click("#retry-form button[value=import]")
    _wait_finished(page, "#progress[data-finished='1']")
    upload = Upload.objects.get(organization=org)
    assert upload.status == Upload.Status.DONE and Event.objects.filter(upload=upload).count() == 60
    assert "November newsletter" in page.inner_text("main")
    _check(page, artifacts, "5-imported", width)

    # A German export: columns preselected from names and values, status values given a meaning.
    page.goto(f"{base}/o/lumen-analytics/uploads/new/")
    german = tmp_path / "Export Kampagne.csv"
    german.write_text(GERMAN)
    page.set_input_files("input[name=file]", str(german))
    page.fill("#upload-form input[name=campaign]", "Herbst")
    page.click("#upload-form button[type=submit]")
    _wait_finished(page, "#retry-form")
    assert page.locator("#column-mapping select").nth(0).input_value() == "email"  # "Kontakt", by its values
    assert page.locator("#column-mapping select").nth(1).input_value() == "event_type"
    first = page.locator("#column-mapping select").nth(0).locator("option").all_inner_texts()
    assert first.count("Not used") == 1 and "Email address" in first and not any(re.search(r"_", o) for o in first)
    meanings = page.locator("#status-mapping select")
    assert meanings.count() == 3
    _check(page, artifacts, "6-map-columns-and-statuses", width)
    # Every select whole on screen, not clipped by a scrolling table (new-user trial at 390 px).
    clipped = page.evaluate("""() => [...document.querySelectorAll('#column-mapping select, #status-mapping select')]
      .filter(s => { const r = s.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth
                     || r.right > s.closest('fieldset').getBoundingClientRect().right + 1; }).length""")
    assert clipped == 0, f"{clipped} selects clipped at {width} px"
    for value, meaning in (("zugestellt", "delivered"), ("unzustellbar", "bounce"), ("in Warteschlange", "ignore")):
        page.select_option(f"#status-mapping tr:has(label:text-is('{value}')) select", meaning)
    page.click("#retry-form button[value=preview]")
    page.wait_for_selector("#preview table")
    preview = page.locator("#preview").inner_text()
    assert "Delivered" in preview and "Bounced (refused)" in preview and "unknown status" not in preview
    _check(page, artifacts, "7-preview", width)
    page.click("#retry-form button[value=import]")
    _wait_finished(page, "#progress[data-finished='1']")
    german_upload = Upload.objects.get(organization=org, original_name="Export Kampagne.csv")
    assert german_upload.status == Upload.Status.DONE
    assert Event.objects.filter(upload=german_upload).count() == 3

    # The weekly digest: subscribing says where and when it will come.
    page.goto(f"{base}/o/lumen-analytics/weekly/")
    page.click("button:has-text('Email me this review every Monday')")
    page.wait_for_selector(".message")
    assert "emailed to account-manager@agency.test every Monday" in page.inner_text("main")
    assert page.locator("button:has-text('Stop the weekly digest email')").count() == 1
    page.goto(f"{base}/o/lumen-analytics/uploads/{german_upload.pk}/")

    # Deleting asks first and counts what goes.
    page.click("#delete-upload a")
    page.wait_for_selector("#delete-confirm")
    assert "3 events" in page.locator("#removes-events").inner_text()
    _check(page, artifacts, "8-delete-confirmation", width)
    page.click("#delete-confirm button[type=submit]")
    page.wait_for_load_state()
    assert not Upload.objects.filter(pk=german_upload.pk).exists()

    # Removing a member asks first too.
    member = make_user("maria")
    Membership.objects.create(user=member, organization=org, role="manager")
    page.goto(f"{base}/staff/o/lumen-analytics/members/")
    page.click("#member-table tr:has-text('maria') form.danger button")
    page.wait_for_selector("#remove-confirm")
    assert "Remove maria from Lumen Analytics?" in page.inner_text("h1")
    _check(page, artifacts, "9-remove-member-confirmation", width)
    page.click("#remove-confirm button[type=submit]")
    page.wait_for_load_state()
    assert not Membership.objects.filter(user=member, organization=org).exists()
    assert not errors, errors
    context.close()
