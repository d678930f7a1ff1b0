"""The translation catalogues (issue 23): complete, compiled, and the language each reader gets.

`makemessages` runs on a copy of the sources (the repository's catalogues are not rewritten) and every
Catalan and Spanish entry it leaves must be translated and not fuzzy: a new user-facing string arrives
with its translations or this test fails. It needs GNU gettext (xgettext, msgmerge, msgfmt); without
them it is skipped, which STRICT_SKIPS=1 (CI) turns into a failure.
"""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from deliverability.accounts.models import Organization, Profile
from tests.factories import PASSWORD, make_membership, make_org, make_user

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("ca", "es")
GETTEXT = all(shutil.which(tool) for tool in ("xgettext", "msgmerge", "msgfmt"))
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|%[sd]|\{[a-z_]+\}|%\{[^}]+\}")


def _catalogue(language: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """The sources and catalogues copied aside, and makemessages run there with the project's command."""
    if not GETTEXT:
        pytest.skip("GNU gettext (xgettext, msgmerge, msgfmt) is missing: apt-get install gettext")
    copy = tmp_path_factory.mktemp("messages")
    for name in ("deliverability", "templates", "locale"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    result = subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "ca", "-l", "es"], cwd=copy,
                            capture_output=True, text=True, timeout=300,
                            env={"DEBUG": "1", "PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite:///:memory:"})
    assert result.returncode == 0, result.stderr
    return copy


@pytest.mark.parametrize("language", LANGUAGES)
def test_makemessages_leaves_no_untranslated_and_no_fuzzy_entry(extracted, language):
    po = polib.pofile(str(extracted / "locale" / language / "LC_MESSAGES" / "django.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} {language} entries untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} {language} entries fuzzy, e.g. {fuzzy[:5]}"
    assert len(po) > 900  # the whole product: chrome and content


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_keeps_the_placeholders_of_its_source(language):
    """msgfmt --check compares %-formats only for entries it flags python-format; named {…} and plotly's
    %{…} are checked here, with every %(name)s again."""
    po = polib.pofile(str(_catalogue(language)))
    def names(text):
        return set(PLACEHOLDER.findall(text))

    wrong = []
    for entry in po.translated_entries():
        if entry.msgid_plural:
            # the singular may leave the count out ("the first row"), as natural text does
            ok = (names(entry.msgstr_plural[0]) <= names(entry.msgid)
                  and names(entry.msgstr_plural[1]) == names(entry.msgid_plural))
        else:
            ok = names(entry.msgstr) == names(entry.msgid)
        if not ok:
            wrong.append(entry.msgid[:80])
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_there_and_fresh(language):
    """`make setup` and `make test` compile the catalogues; run `make messages` after editing a .po."""
    po, mo = _catalogue(language), _catalogue(language).with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `make messages`"
    assert mo.stat().st_mtime >= po.stat().st_mtime, f"{mo} is older than its .po: run `make messages`"
    with translation.override(language):
        assert translation.gettext("Weekly review") != "Weekly review"


def test_the_translation_door_imports_only_django_translation_and_month_names():
    tree = ast.parse((ROOT / "deliverability" / "i18n.py").read_text())
    django_imports = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                      and node.module and node.module.startswith("django")}
    django_imports |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                       for alias in node.names if alias.name.startswith("django")}
    assert django_imports == {"django.utils.translation", "django.utils.dates"}


# --- Whose language ---------------------------------------------------------------------------------


def _lang(response) -> str:
    return re.search(r'<html lang="([a-z-]+)"', response.content.decode()).group(1)


@pytest.mark.django_db
def test_the_browser_decides_until_the_user_chooses_and_the_browser_is_never_saved(client):
    org = make_org("Lumen Analytics", "lumen")
    user = make_user("marta")
    make_membership(user, org, "viewer")
    client.login(username="marta", password=PASSWORD)
    page = client.get(reverse("organization", args=[org.slug]), HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    assert _lang(page) == "es" and "Campañas" in page.content.decode()
    assert not Profile.objects.filter(user=user).exists()  # a language read from the browser is not saved

    # The switcher on every page: a POST to set_language, saved to the profile.
    assert 'action="/i18n/setlang/"' in page.content.decode() and 'name="language"' in page.content.decode()
    client.post(reverse("set_language"), {"language": "ca", "next": "/"})
    assert Profile.objects.get(user=user).language == "ca"
    page = client.get(reverse("organization", args=[org.slug]), HTTP_ACCEPT_LANGUAGE="es")
    assert _lang(page) == "ca" and "Campanyes" in page.content.decode()


@pytest.mark.django_db
def test_the_organisations_language_comes_before_the_browser_and_after_the_users_choice(client):
    org = make_org("Lumen Analytics", "lumen")
    org.language = "ca"
    org.save()
    user = make_user("jordi")
    make_membership(user, org, "viewer")
    client.login(username="jordi", password=PASSWORD)
    assert _lang(client.get(reverse("organization", args=[org.slug]), HTTP_ACCEPT_LANGUAGE="en")) == "ca"
    assert _lang(client.get(reverse("glossary"), HTTP_ACCEPT_LANGUAGE="en")) == "ca"  # outside the organisation too
    Profile.objects.create(user=user, language="es")
    client.logout()
    client.login(username="jordi", password=PASSWORD)
    assert _lang(client.get(reverse("organization", args=[org.slug]), HTTP_ACCEPT_LANGUAGE="en")) == "es"


@pytest.mark.django_db
def test_demo_organisations_have_no_language_and_english_stays_english(client):
    assert Organization._meta.get_field("language").default == ""
    org = make_org("Lumen Analytics", "lumen")
    user = make_user("ann")
    make_membership(user, org, "viewer")
    client.login(username="ann", password=PASSWORD)
    page = client.get(reverse("organization", args=[org.slug]), HTTP_ACCEPT_LANGUAGE="en-GB")
    assert _lang(page) == "en" and "Campaigns" in page.content.decode()


# --- Mail in the recipient's language ---------------------------------------------------------------


@pytest.mark.django_db
def test_invitation_mail_is_in_the_organisations_language_and_a_reset_in_the_users(client, settings, monkeypatch):
    from deliverability.accounts.invitations import invite

    settings.CELERY_BROKER_URL = None
    org = make_org("Lumen Analytics", "lumen")
    org.language = "es"
    org.save()
    staff = make_user("staff", is_staff=True)
    with translation.override("en"):
        invite(org, "nueva@lumen.example", "viewer", staff)
    message = mail.outbox[-1]
    assert message.subject == "Tu acceso a Lumen Analytics en Deliverability Review"
    assert "Te invita a ver" in message.body or "te invita a ver" in message.body
    assert "Lector (solo consulta)" in message.body

    user = make_user("pere")
    user.email = "pere@lumen.example"
    user.save()
    Profile.objects.create(user=user, language="ca")
    from deliverability.accounts.forms import QueuedPasswordResetForm
    from deliverability.accounts.tasks import send_account_mail

    form = QueuedPasswordResetForm({"email": "pere@lumen.example"})
    assert form.is_valid()
    sent = []
    import deliverability.taskqueue as taskqueue

    # The mail is rendered in the request and sent by a task: the rendered subject and body are read
    # where they are handed to the queue, then sent for real through the task.
    monkeypatch.setattr(taskqueue, "dispatch", lambda task, *args: sent.append(args))
    with translation.override("en"):
        form.save(domain_override="review.example", use_https=True)
    subject, body, _to, _html = sent[0]
    assert subject == "Tria una contrasenya nova per a Deliverability Review"
    assert "ha demanat restablir la contrasenya" in body
    send_account_mail(subject, body, ["pere@lumen.example"])
    assert mail.outbox[-1].subject == subject
