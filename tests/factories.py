"""Small factories for tests: plain functions, explicit arguments."""
from __future__ import annotations

from django.contrib.auth import get_user_model

from deliverability.accounts.models import Membership, Organization
from deliverability.campaigns.models import Campaign

PASSWORD = "correct-horse-battery-staple"


def make_user(username: str, *, is_staff: bool = False):
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@agency.test", password=PASSWORD, is_staff=is_staff
    )


def make_org(name: str, slug: str, timezone: str = "Europe/Madrid") -> Organization:
    return Organization.objects.create(name=name, slug=slug, timezone=timezone)


def make_membership(user, org: Organization, role: str) -> Membership:
    return Membership.objects.create(user=user, organization=org, role=role)


def make_campaign(org: Organization, name: str, **fields) -> Campaign:
    return Campaign.objects.create(organization=org, name=name, **fields)


def zip_bytes(members: dict[str, bytes | str]) -> bytes:
    """A zip archive holding ``members`` (name → content), as an upload would bring it."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()
