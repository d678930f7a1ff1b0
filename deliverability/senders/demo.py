"""The demo client's sending setup (`make run`): domains, selectors, IPs, then one real check
against the loopback zones (devtools/data/demo_zones.txt, "the demo client's own sending side")."""
from __future__ import annotations

from deliverability.accounts.models import Organization

from .models import SenderCheck, SenderProfile, SendingDomain, SendingIp
from .services import check_organization


def setup_demo_senders(org: Organization) -> int:
    """Create the demo sender settings once; check them when never checked. Returns results stored."""
    SenderProfile.objects.get_or_create(organization=org, defaults={"esps": ["sendgrid"]})
    if not SendingDomain.objects.filter(organization=org).exists():
        SendingDomain.objects.create(organization=org, name="news.brightwave-supplies.com", role="from",
                                     selectors=["s1", "s2"])
        SendingDomain.objects.create(organization=org, name="em.brightwave-supplies.com", role="return_path")
        SendingIp.objects.create(organization=org, address="203.0.113.45", dedicated=True)
        SendingIp.objects.create(organization=org, address="203.0.113.46", dedicated=True)
    if SenderCheck.objects.filter(organization=org).exists():
        return 0
    return len(check_organization(org))
