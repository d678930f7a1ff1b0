"""The account manager's first upload without dead ends (issue 19 items 1, 2, 4, 5 and the format names):
an upload that imported nothing says what to do and offers it; the same file again with other settings;
columns and status values mapped in words with a preview; errors name the user's file; deleting asks first."""
from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from deliverability.campaigns import services
from deliverability.campaigns.models import Campaign, Event, Recipient, SavedColumnMapping, Upload

NO_CAMPAIGN = b"email,status\n" + b"".join(b"user%d@acme-logistics.com,delivered\n" % i for i in range(60))
GERMAN = (b"Kontakt;Ergebnis;Zeit;Antwort\n"
          b"ana@acme.com;zugestellt;2026-11-02 09:00:00;250 2.0.0 OK\n"
          b"bob@acme.com;unzustellbar;2026-11-02 09:01:00;550 5.1.1 user unknown\n"
          b"carla@acme.com;zugestellt;2026-11-02 09:02:00;250 2.0.0 OK\n")


def post_upload(client, org, data: bytes, name: str, campaign: str = "", fmt: str = "auto"):
    return client.post(reverse("upload_new", args=[org.slug]),
                       {"file": SimpleUploadedFile(name, data), "campaign": campaign, "format": fmt})


def run_pending(org):
    for upload in Upload.objects.filter(organization=org, status=Upload.Status.PENDING):
        services.run_import(upload.pk)


def page_of(client, org, upload) -> str:
    return client.get(reverse("upload_detail", args=[org.slug, upload.pk])).content.decode()


@pytest.fixture
def manager(client, org_a, manager_a):
    client.force_login(manager_a)
    return manager_a


# --- Item 1: no dead end -------------------------------------------------------------------------

def test_an_upload_that_imported_nothing_is_not_a_success_and_says_what_to_do(client, org_a, manager):
    post_upload(client, org_a, NO_CAMPAIGN, "november.csv")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    assert upload.status == Upload.Status.FAILED
    assert upload.summary["nothing_imported"] and upload.summary["reasons"] == {"campaign": 60}
    assert "november.csv" in upload.error and "60 rows" in upload.error and "campaign name" in upload.error
    page = page_of(client, org_a, upload)
    assert "Nothing imported" in page and "Imported<" not in page
    assert 'id="progress-bar"' not in page  # no full bar for an import that stored nothing
    assert 'id="retry-form"' in page and 'name="campaign"' in page
    status = client.get(reverse("upload_status", args=[org_a.slug, upload.pk])).json()
    assert (status["status_label"], status["finished"]) == ("Nothing imported", True)


def test_the_campaign_named_on_the_page_imports_every_row(client, org_a, manager):
    post_upload(client, org_a, NO_CAMPAIGN, "november.csv")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    response = client.post(reverse("upload_detail", args=[org_a.slug, upload.pk]),
                           {"campaign": "November newsletter", "format": "auto", "map_0": "email",
                            "map_1": "event_type", "action": "import"})
    assert response.status_code == 302
    run_pending(org_a)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.DONE, upload.error
    assert Event.objects.filter(upload=upload, campaign__name="November newsletter").count() == 60


def test_a_campaign_named_for_a_retry_shows_only_once_its_import_is_done(client, org_a, manager):
    post_upload(client, org_a, NO_CAMPAIGN, "november.csv")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    client.post(reverse("upload_detail", args=[org_a.slug, upload.pk]), {"campaign": "Winter sale", "action": "import"})
    assert Campaign.objects.get(organization=org_a, name="Winter sale").awaiting_import
    assert "Winter sale" not in client.get(reverse("organization", args=[org_a.slug])).content.decode()
    run_pending(org_a)
    assert not Campaign.objects.get(organization=org_a, name="Winter sale").awaiting_import


def test_a_campaign_named_with_an_upload_that_imports_nothing_stays_hidden(client, org_a, manager):
    """GIVEN an upload naming a new campaign on the page, whose every row is refused (no address)
    WHEN it is imported
    THEN it fails with what to do, and the campaign it named is kept for the retry but never shown:
    no empty campaign on the organisation's pages, never a moment when the upload counts as done."""
    seen = []
    data = b"email,status\n" + b"".join(b"person%d at acme,delivered\n" % i for i in range(5))
    post_upload(client, org_a, data, "broken.csv", campaign="Spring launch")
    upload = Upload.objects.get(organization=org_a)
    services.run_import(upload.pk, on_batch=lambda result: seen.append(
        Upload.objects.values_list("status", flat=True).get(pk=upload.pk)))
    upload.refresh_from_db()
    assert upload.status == Upload.Status.FAILED and upload.summary["nothing_imported"]
    assert Campaign.objects.get(organization=org_a, name="Spring launch").awaiting_import
    assert "Spring launch" not in client.get(reverse("organization", args=[org_a.slug])).content.decode()
    assert Upload.Status.DONE not in seen


def test_the_same_file_uploaded_again_with_a_campaign_replaces_the_failed_upload(client, org_a, manager):
    post_upload(client, org_a, NO_CAMPAIGN, "november.csv")
    run_pending(org_a)
    response = post_upload(client, org_a, NO_CAMPAIGN, "november (1).csv", campaign="November newsletter")
    upload = Upload.objects.get(organization=org_a)  # still one upload of this file
    assert response["Location"] == reverse("upload_detail", args=[org_a.slug, upload.pk])
    assert upload.status == Upload.Status.PENDING and upload.campaign.name == "November newsletter"
    assert upload.original_name == "november (1).csv"
    run_pending(org_a)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.DONE and upload.summary["events"] == 60
    assert "uploaded before" not in client.get(response["Location"]).content.decode()


def test_the_same_imported_file_with_other_settings_says_how_to_import_it_again(client, org_a, manager):
    post_upload(client, org_a, NO_CAMPAIGN, "november.csv", campaign="November")
    run_pending(org_a)
    response = post_upload(client, org_a, NO_CAMPAIGN, "november.csv", campaign="December")
    assert Upload.objects.filter(organization=org_a).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "with other settings" in page and "delete that import first" in page
    assert reverse("upload_delete", args=[org_a.slug, Upload.objects.get().pk]) in page


# --- Item 2: columns and status values ---------------------------------------------------------

def test_a_status_in_german_is_mapped_on_the_page_with_guesses_and_a_preview(client, org_a, manager):
    """GIVEN a German export whose status values we do not read WHEN the manager opens the failed upload
    THEN every column is preselected from its name or values (the address column too), the status values
    are listed to be given a meaning, the dropdowns speak in words once each, and the preview shows rows;
    WHEN the values are mapped THEN every row imports and the next file of that layout imports by itself."""
    post_upload(client, org_a, GERMAN, "export.csv", campaign="Herbst")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    assert upload.status == Upload.Status.FAILED
    page = page_of(client, org_a, upload)
    assert 'id="column-mapping"' in page and 'id="status-mapping"' in page and 'id="preview"' in page
    assert '<option value="email" selected>Email address</option>' in page  # "Kontakt", by its values
    assert '<option value="event_type" selected>' in page and '<option value="occurred_at" selected>' in page
    assert '<option value="diagnostic" selected>' in page
    select = page[page.index('name="map_0"'):page.index("</select>", page.index('name="map_0"'))]
    assert select.count('value="ignore"') == 1 and "event_type<" not in select and "occurred_at<" not in select
    assert ">zugestellt<" in page and ">unzustellbar<" in page
    assert "unknown status" in page  # the preview shows what happens to those rows now

    preview = client.post(reverse("upload_detail", args=[org_a.slug, upload.pk]), {
        "campaign": "Herbst", "format": "auto", "map_0": "email", "map_1": "event_type", "map_2": "occurred_at",
        "map_3": "diagnostic", "status_value_0": "zugestellt", "status_0": "delivered",
        "status_value_1": "unzustellbar", "status_1": "bounce", "action": "preview"}).content.decode()
    assert preview.count("<td>Delivered</td>") == 2 and "<td>Bounced (refused)</td>" in preview
    assert "2026-11-02 09:01" in preview and "Herbst" in preview
    assert Upload.objects.get(pk=upload.pk).status == Upload.Status.FAILED  # a preview imports nothing

    client.post(reverse("upload_detail", args=[org_a.slug, upload.pk]), {
        "campaign": "Herbst", "format": "auto", "map_0": "email", "map_1": "event_type", "map_2": "occurred_at",
        "map_3": "diagnostic", "status_value_0": "zugestellt", "status_0": "delivered",
        "status_value_1": "unzustellbar", "status_1": "bounce", "action": "import"})
    run_pending(org_a)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.DONE, upload.error
    assert sorted(Event.objects.filter(upload=upload).values_list("type", flat=True)) == ["bounce", "delivered", "delivered"]
    assert SavedColumnMapping.objects.filter(organization=org_a).count() == 1

    post_upload(client, org_a, GERMAN.replace(b"ana@", b"dora@"), "export-2.csv", campaign="Herbst")
    run_pending(org_a)
    second = Upload.objects.filter(organization=org_a).order_by("-id").first()
    assert second.status == Upload.Status.DONE, second.error
    assert Event.objects.filter(upload=second).count() == 3


# A Catalan export: most statuses are English words, two rows say "retornat-x", which we do not read.
PARTLY = (b"email,status,timestamp,campaign,response\n"
          b"ana@acme.com,delivered,2026-11-02T09:00:00Z,Tardor,250 OK\n"
          b"bob@acme.com,retornat-x,2026-11-02T09:01:00Z,Tardor,550 5.1.1 user unknown\n"
          b"carla@acme.com,delivered,2026-11-02T09:02:00Z,Tardor,250 OK\n"
          b"dora@globex.com,retornat-x,2026-11-02T09:03:00Z,Primavera,550 5.7.1 blocked\n")


def test_an_upload_with_rows_skipped_for_their_status_can_be_mapped_and_imported_again(client, org_a, manager):
    """GIVEN an upload that imported two rows and skipped two whose status value we do not read (one of them
    the only row of its campaign)
    WHEN the manager opens it THEN the page offers the mapping form beside the summary (a client sees none);
    WHEN the value is given a meaning and the file imported again
    THEN the upload holds the four events once each, no row is skipped, and nothing of the first import is left."""
    post_upload(client, org_a, PARTLY, "tardor.csv")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    assert upload.status == Upload.Status.DONE and upload.rows_skipped == 2
    assert services.can_import_again(upload)
    page = page_of(client, org_a, upload)
    assert 'id="retry-form"' in page and ">retornat-x<" in page and "Read the skipped rows" in page
    first_ids = set(Event.objects.filter(upload=upload).values_list("id", flat=True))
    assert len(first_ids) == 2

    response = client.post(reverse("upload_detail", args=[org_a.slug, upload.pk]), {
        "campaign": "", "format": "auto", "map_0": "email", "map_1": "event_type", "map_2": "occurred_at",
        "map_3": "campaign", "map_4": "diagnostic", "status_value_0": "delivered", "status_0": "delivered",
        "status_value_1": "retornat-x", "status_1": "bounce", "action": "import"})
    assert response.status_code == 302
    run_pending(org_a)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.DONE and upload.rows_skipped == 0, upload.error
    events = Event.objects.filter(organization=org_a)
    assert sorted(events.values_list("type", flat=True)) == ["bounce", "bounce", "delivered", "delivered"]
    assert not set(events.values_list("id", flat=True)) & first_ids  # the first import's rows went
    assert set(Campaign.objects.filter(organization=org_a).values_list("name", "awaiting_import")) == {
        ("Tardor", False), ("Primavera", False)}
    assert Recipient.objects.filter(organization=org_a).count() == 4
    assert not services.can_import_again(upload)
    assert 'id="retry-form"' not in page_of(client, org_a, upload)


def _reimport(client, org, upload, **fields):
    data = {"campaign": "", "format": "auto", "action": "import"} | fields
    response = client.post(reverse("upload_detail", args=[org.slug, upload.pk]), data)
    run_pending(org)
    upload.refresh_from_db()
    return response


def test_an_import_again_that_stores_nothing_leaves_no_empty_campaign_behind(client, org_a, manager):
    """GIVEN a finished upload that filled two campaigns WHEN it is imported again with every status left
    out THEN it fails with what to do, and neither campaign is left empty on the pages, nor any address."""
    post_upload(client, org_a, PARTLY, "tardor.csv")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    _reimport(client, org_a, upload, map_0="email", map_1="event_type", map_2="occurred_at", map_3="campaign",
              map_4="diagnostic", status_value_0="delivered", status_0="ignore", status_value_1="retornat-x",
              status_1="ignore")
    assert upload.status == Upload.Status.FAILED
    assert not Campaign.objects.filter(organization=org_a, awaiting_import=False).exists()
    assert not Event.objects.filter(organization=org_a).exists()
    assert not Recipient.objects.filter(organization=org_a).exists()


OWN_CAMPAIGN = (b"email,status,grup\n"
                b"ana@acme.com,delivered,Newsletter\n"
                b"bob@acme.com,retornat-x,Newsletter\n"
                b"carla@acme.com,delivered,Launch\n")


def test_the_campaign_named_on_the_page_goes_when_an_import_again_no_longer_fills_it(client, org_a, manager):
    """GIVEN an upload whose rows went to the campaign named on the page ("Autumn"; its "grup" column unread)
    WHEN it is imported again with that column read as the campaign THEN its rows go to those campaigns and
    "Autumn", left empty, is gone."""
    post_upload(client, org_a, OWN_CAMPAIGN, "own.csv", campaign="Autumn")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    assert upload.status == Upload.Status.DONE and upload.rows_skipped == 1
    assert set(Event.objects.values_list("campaign__name", flat=True)) == {"Autumn"}
    _reimport(client, org_a, upload, campaign="Autumn", map_0="email", map_1="event_type", map_2="campaign",
              status_value_0="delivered", status_0="delivered", status_value_1="retornat-x", status_1="bounce")
    assert upload.status == Upload.Status.DONE and upload.rows_skipped == 0, upload.error
    assert set(Campaign.objects.filter(organization=org_a).values_list("name", flat=True)) == {"Newsletter", "Launch"}


KEPT = (b"email,status,timestamp,campaign,response\n"
        b"carla@acme.com,bounced,2026-11-02T09:00:00Z,Tardor,550 5.1.1 user unknown\n"
        b"dora@acme.com,retornat-x,2026-11-02T09:01:00Z,Tardor,550 5.7.1 blocked\n")


def test_a_manual_verdict_survives_importing_the_file_again(client, org_a, manager, staff):
    """GIVEN a verdict a staff member overrode WHEN its upload is imported again (its other rows mapped)
    THEN the address keeps its id and the override stands."""
    from deliverability.verdicts.analysis import analyze_upload
    from deliverability.verdicts.models import RecipientVerdict
    from deliverability.verdicts.services import set_override

    post_upload(client, org_a, KEPT, "kept.csv")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    analyze_upload(upload.pk)  # the test's transaction holds back the analysis the import announced
    carla = RecipientVerdict.objects.get(campaign__organization=org_a, email="carla@acme.com")
    set_override(carla, "filter_rejection", staff, note="checked by phone")
    _reimport(client, org_a, upload, map_0="email", map_1="event_type", map_2="occurred_at", map_3="campaign",
              map_4="diagnostic", status_value_0="bounced", status_0="bounce", status_value_1="retornat-x",
              status_1="bounce")
    assert upload.status == Upload.Status.DONE and upload.rows_skipped == 0, upload.error
    analyze_upload(upload.pk)
    again = RecipientVerdict.objects.get(campaign__organization=org_a, email="carla@acme.com")
    assert again.recipient_id == carla.recipient_id
    assert (again.override_verdict, again.override_note) == ("filter_rejection", "checked by phone")
    assert RecipientVerdict.objects.filter(campaign__organization=org_a, email="dora@acme.com").exists()


def test_no_import_again_while_the_upload_is_analysed_or_after_its_events_were_purged(client, org_a, manager):
    post_upload(client, org_a, PARTLY, "tardor.csv")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    Upload.objects.filter(pk=upload.pk).update(analysis_claim="someone", analyzed_at=None)
    upload.refresh_from_db()
    assert not services.can_import_again(upload)
    assert services.retry(upload, status_values={"retornat-x": "bounce"}) is False
    assert Upload.objects.get(pk=upload.pk).status == Upload.Status.DONE
    Upload.objects.filter(pk=upload.pk).update(analysis_claim="", analyzed_at=upload.created_at)
    Event.objects.filter(upload=upload).delete()  # what a retention purge does to an old campaign
    upload.refresh_from_db()
    assert not services.can_import_again(upload)


SLASHED = (b"email,status,date,campaign\n"
           b"ana@acme.com,delivered,02/11/2026 09:00,Tardor\n"
           b"bob@acme.com,bounced,03/11/2026 09:05,Tardor\n")


def test_slash_dates_are_read_as_the_organisation_writes_them_and_the_user_can_say_otherwise(client, org_a, manager):
    """GIVEN an organisation in Barcelona and a file whose dates do not show their order (02/11/2026)
    WHEN it is imported THEN they are read day first (2 November), the page says so and why, and offers to
    import it again; WHEN the manager says they are month first THEN the same rows land on 11 February, once."""
    org_a.timezone = "Europe/Madrid"
    org_a.save()
    post_upload(client, org_a, SLASHED, "tardor.csv")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    assert sorted(e.occurred_at.date().isoformat() for e in Event.objects.filter(upload=upload)) == [
        "2026-11-02", "2026-11-03"]
    page = page_of(client, org_a, upload)
    assert 'id="dates-read"' in page and "02/11/2026 were read day first" in page and "Europe/Madrid" in page
    assert "name no time zone" in page
    assert 'id="retry-form"' in page and 'name="dates"' in page
    assert "Read the skipped rows" not in page and "If the dates were read in the wrong order" in page

    preview = client.post(reverse("upload_detail", args=[org_a.slug, upload.pk]), {
        "campaign": "", "format": "auto", "dates": "month_first", "map_0": "email", "map_1": "event_type",
        "map_2": "occurred_at", "map_3": "campaign", "action": "preview"}).content.decode()
    assert "2026-02-11" in preview and "2026-11-02" not in preview  # the preview reads them as chosen
    client.post(reverse("upload_detail", args=[org_a.slug, upload.pk]), {
        "campaign": "", "format": "auto", "dates": "month_first", "map_0": "email", "map_1": "event_type",
        "map_2": "occurred_at", "map_3": "campaign", "action": "import"})
    run_pending(org_a)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.DONE, upload.error
    assert sorted(e.occurred_at.date().isoformat() for e in Event.objects.filter(organization=org_a)) == [
        "2026-02-11", "2026-03-11"]
    page = page_of(client, org_a, upload)
    assert "read month first" in page and "As chosen when it was imported" in page
    assert '<option value="month_first" selected>' in page  # the choice shown, and still open to change


def test_a_finished_upload_without_fixable_skips_offers_no_reimport(client, org_a, manager, viewer_a):
    """Rows skipped for a bad address (nothing to map) or no rows skipped: no form; a client never gets one."""
    bad = b"email,status,campaign\nana@acme.com,delivered,X\nnot an address,delivered,X\n"
    post_upload(client, org_a, bad, "bad.csv")
    post_upload(client, org_a, PARTLY, "tardor.csv")
    run_pending(org_a)
    bad_upload, partly = Upload.objects.filter(organization=org_a).order_by("id")
    assert bad_upload.rows_skipped == 1 and not services.can_import_again(bad_upload)
    assert 'id="retry-form"' not in page_of(client, org_a, bad_upload)
    client.force_login(viewer_a)
    assert 'id="retry-form"' not in page_of(client, org_a, partly)
    response = client.post(reverse("upload_detail", args=[org_a.slug, partly.pk]), {"action": "import"})
    assert response.status_code in (403, 404)
    assert Upload.objects.get(pk=partly.pk).status == Upload.Status.DONE


def test_a_field_chosen_twice_or_no_address_column_is_refused_with_the_reason(client, org_a, manager):
    post_upload(client, org_a, GERMAN, "export.csv", campaign="Herbst")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    url = reverse("upload_detail", args=[org_a.slug, upload.pk])
    page = client.post(url, {"format": "auto", "map_0": "email", "map_1": "occurred_at", "map_2": "occurred_at",
                             "map_3": "ignore", "action": "import"}).content.decode()
    assert "is chosen for more than one column" in page and "Date and time" in page
    page = client.post(url, {"format": "auto", "map_0": "ignore", "map_1": "event_type", "action": "import"}).content.decode()
    assert "Choose the column that holds the email addresses" in page
    assert Upload.objects.get(pk=upload.pk).status == Upload.Status.FAILED


def test_an_address_column_headed_contact_imports_without_asking(client, org_a, manager):
    post_upload(client, org_a, b"Contact,status\nana@acme.com,delivered\nbob@acme.com,bounced\n", "crm.csv",
                campaign="Autumn")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    assert upload.status == Upload.Status.DONE, upload.error
    assert Event.objects.filter(upload=upload).count() == 2


# --- Item 4: the user's file name --------------------------------------------------------------

def _broken_zip() -> bytes:
    return b"PK\x03\x04" + b"\x00" * 200


def _zip_of_binary() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner.csv", bytes(range(256)) * 10)
    return buffer.getvalue()


@pytest.mark.parametrize("data", [bytes(range(256)) * 64, b"{\"not\": \"an export\"}", _broken_zip(),
                                  b"\n\n\n", _zip_of_binary()], ids=["binary", "json", "broken-zip", "blank-lines", "zip-of-binary"])
def test_errors_name_the_users_file_never_the_stored_copy(client, org_a, manager, data):
    post_upload(client, org_a, data, "Résultats novembre.csv", campaign="Autumn")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    assert upload.status == Upload.Status.FAILED
    page = page_of(client, org_a, upload)
    assert "Résultats novembre.csv" in upload.error, upload.error
    assert upload.sha256[:12] not in upload.error and upload.sha256[:12] not in page


def test_an_excel_workbook_says_how_to_get_the_csv(client, org_a, manager):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    post_upload(client, org_a, buffer.getvalue(), "November results.xlsx", campaign="Autumn")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    assert upload.status == Upload.Status.FAILED
    assert "'November results.xlsx' is an Excel workbook" in upload.error and "save it as CSV" in upload.error


# --- Item 5: deleting asks first ---------------------------------------------------------------

def _imported(client, org):
    post_upload(client, org, b"email,status\nana@acme.com,delivered\nbob@globex.com,bounced\n", "a.csv",
                campaign="Autumn")
    run_pending(org)
    return Upload.objects.get(organization=org)


def test_deleting_an_upload_asks_first_and_counts_what_goes(client, org_a, manager):
    upload = _imported(client, org_a)
    post_upload(client, org_a, b"email,status\nana@acme.com,open\n", "opens.csv", campaign="Winter")
    run_pending(org_a)
    url = reverse("upload_delete", args=[org_a.slug, upload.pk])
    assert f'href="{url}"' in page_of(client, org_a, upload)  # a link to the confirmation, not a one-click button
    page = client.get(url).content.decode()
    assert "2 events" in page and "1 address that no other upload names" in page
    assert "1 campaign left with nothing in it: Autumn" in page and "1 address also named by another upload stays" in page
    assert Upload.objects.filter(pk=upload.pk).exists()  # the page removed nothing
    assert client.post(url).status_code == 302
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert list(Recipient.objects.filter(organization=org_a).values_list("email", flat=True)) == ["ana@acme.com"]
    assert not Campaign.objects.filter(organization=org_a, name="Autumn").exists()


@pytest.mark.parametrize("status", [Upload.Status.PENDING, Upload.Status.RUNNING])
def test_a_running_import_cannot_be_deleted(client, org_a, manager, status):
    upload = _imported(client, org_a)
    Upload.objects.filter(pk=upload.pk).update(status=status)
    page = page_of(client, org_a, upload)
    assert reverse("upload_delete", args=[org_a.slug, upload.pk]) not in page
    assert "can be deleted once it has finished" in page
    response = client.post(reverse("upload_delete", args=[org_a.slug, upload.pk]))
    assert response.status_code == 409 and "still running" in response.content.decode()
    assert Upload.objects.filter(pk=upload.pk).exists() and Event.objects.filter(upload=upload).count() == 2


# --- Item 12: formats in words -------------------------------------------------------------------

def test_formats_are_named_in_words_on_the_upload_pages(client, org_a, manager):
    page = client.get(reverse("upload_new", args=[org_a.slug])).content.decode()
    assert ">Amazon SES notifications (JSON)<" in page and ">Bounce emails (.eml, mbox)<" in page
    assert ">ses<" not in page and ">dsn<" not in page
    upload = _imported(client, org_a)
    page = page_of(client, org_a, upload)
    assert "read as Spreadsheet (CSV), one row per event" in page
    assert "<li>Bounced (refused): 1</li>" in page and "<li>Delivered: 1</li>" in page and "<li>bounce:" not in page
    organisation = client.get(reverse("organization", args=[org_a.slug])).content.decode()
    assert "<td>Spreadsheet (CSV), one row per event</td>" in organisation and "<td>csv</td>" not in organisation


@pytest.mark.parametrize("big_first", [True, False], ids=["other-upload-smaller", "this-upload-smaller"])
def test_the_deletion_counts_are_the_same_whichever_side_drives_them(client, org_a, manager, big_first):
    """GIVEN two uploads sharing two addresses and one campaign WHEN either is described for deletion (the
    larger one is probed from the smaller's side) THEN the counts are exact and match what deletion removes."""
    big = b"email,status,campaign\n" + b"".join(b"u%d@acme.com,delivered,Shared\n" % i for i in range(12)) + \
        b"solo@acme.com,bounced,Only big\n"
    small = b"email,status,campaign\nu0@acme.com,open,Shared\nu1@acme.com,click,Only small\nnew@acme.com,open,Only small\n"
    for data, name in ((big, "big.csv"), (small, "small.csv")) if big_first else ((small, "small.csv"), (big, "big.csv")):
        post_upload(client, org_a, data, name)
        run_pending(org_a)
    big_upload = Upload.objects.get(organization=org_a, original_name="big.csv")
    small_upload = Upload.objects.get(organization=org_a, original_name="small.csv")
    seen = services.describe_deletion(big_upload)
    assert (seen.events, seen.recipients, seen.recipients_kept) == (13, 11, 2)
    assert (seen.campaigns_removed, seen.campaigns_changed) == (["Only big"], ["Shared"])
    seen = services.describe_deletion(small_upload)
    assert (seen.events, seen.recipients, seen.recipients_kept) == (3, 1, 2)
    assert (seen.campaigns_removed, seen.campaigns_changed) == (["Only small"], ["Shared"])
    before = Recipient.objects.filter(organization=org_a).count()
    services.delete_upload(big_upload)
    assert before - Recipient.objects.filter(organization=org_a).count() == 11


def test_a_large_upload_is_described_from_the_import_summaries(client, org_a, manager, monkeypatch):
    """GIVEN an upload above the exact-count limit (lowered here) WHEN its deletion is described THEN the
    page reads the import summaries: its events as imported, the addresses it was the first to bring as
    an upper bound, a campaign kept when another upload names it; and says the address count is a bound."""
    first = b"email,status,campaign\n" + b"".join(b"u%d@acme.com,delivered,Shared\n" % i for i in range(5))
    second = b"email,status,campaign\nu0@acme.com,open,Shared\n" + \
        b"".join(b"n%d@acme.com,bounced,Only second\n" % i for i in range(3))
    for data, name in ((first, "first.csv"), (second, "second.csv")):
        post_upload(client, org_a, data, name)
        run_pending(org_a)
    monkeypatch.setattr(services, "DELETION_EXACT_LIMIT", 2)
    upload = Upload.objects.get(organization=org_a, original_name="second.csv")
    seen = services.describe_deletion(upload)
    assert seen.estimated and (seen.events, seen.recipients) == (4, 3)
    assert (seen.campaigns_removed, seen.campaigns_changed) == (["Only second"], ["Shared"])
    page = client.get(reverse("upload_delete", args=[org_a.slug, upload.pk])).content.decode()
    assert "at most 3 addresses it was the first to bring" in page


def test_a_hubspot_export_in_the_users_time_zone_is_read_in_the_organisations(client, org_a, manager):
    """GIVEN an organisation in Barcelona and HubSpot's UI export ("Sent At (Your time zone)", times without a
    zone) WHEN it is imported THEN 09:00 is 09:00 in Barcelona (07:00 UTC in October), and the page says how
    the times were read."""
    org_a.timezone = "Europe/Madrid"
    org_a.save()
    export = (b"Recipient,Sent At (Your time zone),Delivered,Opened,Clicked,Bounce,Bounce Reason,Not Sent Reason,"
              b"Spam Report,Unsubscribed\n"
              b"ana@acme.com,2026-10-01 09:00,Yes,No,No,No,,,No,No\n"
              b"bob@acme.com,2026-10-01 09:00,No,No,No,Yes,550 5.1.1 User unknown,,No,No\n")
    post_upload(client, org_a, export, "hubspot.csv", campaign="Tardor")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    assert upload.status == Upload.Status.DONE, upload.error
    assert {e.occurred_at.isoformat() for e in Event.objects.filter(upload=upload)} == {"2026-10-01T07:00:00+00:00"}
    assert upload.summary["dates"] == {"times_in_zone": "Europe/Madrid"}, upload.summary
    page = page_of(client, org_a, upload)
    assert 'id="dates-read"' in page and "read in the organisation's time zone (Europe/Madrid)" in page
    assert "name no time zone" not in page


def test_a_zip_whose_files_were_read_in_different_orders_says_which_and_offers_the_choice(client, org_a, manager):
    """GIVEN a zip of two exports, one whose dates show day first (13/11/2026) and one whose dates do not
    WHEN it is imported by an organisation in UTC THEN each file is read in its own order, and the page shows
    the guessed one, names its file, says the files differ, and offers to import again."""
    org_a.timezone = "UTC"
    org_a.save()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tardor.csv", SLASHED.replace(b"02/11/2026", b"13/11/2026"))
        archive.writestr("hivern.csv", b"email,status,date,campaign\ncy@acme.com,delivered,02/11/2026 09:00,Hivern\n")
    post_upload(client, org_a, buffer.getvalue(), "exports.zip")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    assert upload.status == Upload.Status.DONE, upload.error
    assert sorted(e.occurred_at.date().isoformat() for e in Event.objects.filter(upload=upload)) == [
        "2026-02-11", "2026-11-03", "2026-11-13"]
    page = page_of(client, org_a, upload)
    assert "02/11/2026 were read month first" in page
    assert "not all read in the same order" in page and "about hivern.csv" in page
    assert 'id="retry-form"' in page
    response = client.post(reverse("upload_detail", args=[org_a.slug, upload.pk]), {
        "campaign": "", "format": "auto", "dates": "day_first", "action": "import"})
    assert response.status_code in (200, 302), response.status_code
    run_pending(org_a)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.DONE, upload.error
    assert sorted(e.occurred_at.date().isoformat() for e in Event.objects.filter(organization=org_a)) == [
        "2026-11-02", "2026-11-03", "2026-11-13"]  # the user's order, for every file (both agree with it)


def test_times_without_a_zone_can_be_said_to_be_local_and_the_file_imported_again(client, org_a, manager):
    """GIVEN a Barcelona organisation's spreadsheet whose times name no zone WHEN imported THEN they are read as
    UTC and the page says so and offers the choice; WHEN the manager says they are local times THEN 09:05 in
    the file is 09:05 in Barcelona (08:05 UTC in November), once, and the page says how they were read."""
    org_a.timezone = "Europe/Madrid"
    org_a.save()
    sheet = b"email,status,date,campaign\nana@acme.com,delivered,2026-11-05 09:05,Tardor\n"
    post_upload(client, org_a, sheet, "tardor.csv")
    run_pending(org_a)
    upload = Upload.objects.get(organization=org_a)
    assert Event.objects.get(upload=upload).occurred_at.isoformat() == "2026-11-05T09:05:00+00:00"
    page = page_of(client, org_a, upload)
    assert "read as UTC" in page and "If they are local times" in page and 'name="times"' in page
    url = reverse("upload_detail", args=[org_a.slug, upload.pk])
    fields = {"campaign": "", "format": "auto", "times": "local", "map_0": "email", "map_1": "event_type",
              "map_2": "occurred_at", "map_3": "campaign"}
    preview = client.post(url, {**fields, "action": "preview"}).content.decode()
    assert "2026-11-05 09:05" in preview  # shown in the organisation's zone, as in the file
    client.post(url, {**fields, "action": "import"})
    run_pending(org_a)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.DONE, upload.error
    assert [e.occurred_at.isoformat() for e in Event.objects.filter(organization=org_a)] == ["2026-11-05T08:05:00+00:00"]
    page = page_of(client, org_a, upload)
    assert "read as local time in the organisation's time zone (Europe/Madrid)" in page and "read as UTC" not in page
    assert '<option value="local" selected>' in page
