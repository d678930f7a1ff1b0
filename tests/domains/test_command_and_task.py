"""The management command and the Celery task, against the real loopback DNS server."""
import io
import json
import time

import pytest
from django.core.management import CommandError, call_command

from deliverability.domains.models import Domain
from deliverability.domains.tasks import enrich_domains_batch

pytestmark = pytest.mark.django_db


def run_command(*args, stdin_text=None):
    out, err = io.StringIO(), io.StringIO()
    kwargs = {"stdout": out, "stderr": err}
    if stdin_text is not None:
        kwargs["stdin"] = io.StringIO(stdin_text)
    call_command("enrich_domains", *args, **kwargs)
    return out.getvalue(), err.getvalue()


def test_json_output_is_one_object_per_domain_and_nothing_else(dns_server):
    out, err = run_command("northwind-freight.com", "gmail.com", "--json", "--nameserver", dns_server.nameserver)
    objects = [json.loads(line) for line in out.splitlines()]
    assert [o["domain"] for o in objects] == ["northwind-freight.com", "gmail.com"]
    first = objects[0]
    for key in ("domain", "kind", "mx_status", "mx", "vendor", "vendor_id", "vendors", "vendor_category", "provider"):
        assert key in first
    assert (first["vendor"], first["vendor_id"], first["vendor_category"], first["provider"]) == (
        "Proofpoint", "proofpoint", "security_gateway", "microsoft365")
    assert objects[1]["kind"] == "consumer"
    assert "resolved" in err  # progress and the summary go to stderr


def test_stdin_and_addresses(dns_server):
    out, _ = run_command("-", "--json", "--nameserver", dns_server.nameserver,
                         stdin_text="jane@Halden-Biotech.com\n# comment\n\nbellmark-insurance.com\n")
    assert [json.loads(line)["vendor_id"] for line in out.splitlines()] == ["mimecast", "cisco"]


def test_refresh_flag_resolves_fresh_domains_again(dns_server):
    run_command("gmail.com", "--nameserver", dns_server.nameserver)
    _, err = run_command("gmail.com", "--nameserver", dns_server.nameserver)
    assert "0 resolved, 0 unresolved, 1 fresh" in err
    _, err = run_command("gmail.com", "--refresh", "--nameserver", dns_server.nameserver)
    assert "1 resolved" in err


def test_invalid_names_are_reported_on_stderr(dns_server):
    out, err = run_command("localhost", "gmail.com", "--json", "--nameserver", dns_server.nameserver)
    assert len(out.splitlines()) == 1
    assert "invalid" in err


def test_plain_output(dns_server):
    out, _ = run_command("lumen-dental-group.com", "--nameserver", dns_server.nameserver)
    assert "proofpoint_essentials, microsoft365" in out


def test_nothing_to_do_is_an_error():
    with pytest.raises(CommandError):
        run_command("-", stdin_text="\n")


def test_task_enriches_a_batch(dns_settings):
    result = enrich_domains_batch.apply(args=[["gmail.com", "silentpeak-labs.com", "quillon-partners.com"]])
    assert result.successful()
    assert result.result["by_status"] == {"ok": 2, "timeout": 1}
    assert Domain.objects.get(name="quillon-partners.com").vendor_id == "microsoft365"


def test_task_is_safe_to_run_twice(dns_settings):
    enrich_domains_batch.apply(args=[["gmail.com"]])
    again = enrich_domains_batch.apply(args=[["gmail.com"]]).result
    assert (again["resolved"], again["skipped_fresh"]) == (0, 1)


def test_task_declaration():
    assert enrich_domains_batch.queue == "enrich"
    assert enrich_domains_batch.acks_late is True
    assert enrich_domains_batch.time_limit and enrich_domains_batch.soft_time_limit


@pytest.mark.worker
def test_task_through_a_real_worker(celery_worker, dns_server, transactional_db, worker_idle_at_teardown):
    result = enrich_domains_batch.apply_async(
        args=[["gmail.com", "bellmark-insurance.com"]], kwargs={"nameservers": [dns_server.nameserver]}
    )
    enriched = 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and enriched < 2:
        enriched = Domain.objects.filter(mx_status="ok").count()
        time.sleep(0.2)
    assert enriched == 2, celery_worker.log()[-2000:]
    # The task keeps no result; its end shows in the worker's log. It must be over before the flush.
    while time.monotonic() < deadline and f"{result.id}] succeeded" not in celery_worker.log():
        time.sleep(0.2)
    assert f"{result.id}] succeeded" in celery_worker.log()


def test_enqueue_enrichment_sends_batches_after_commit(dns_settings, transactional_db, settings):
    from django.db import transaction

    settings.CELERY_BROKER_URL = None  # the in-process path; the real-worker path is tested above

    from deliverability.domains.services import enqueue_enrichment
    from deliverability.taskqueue import wait_for_background_tasks

    with transaction.atomic():
        assert enqueue_enrichment(["gmail.com", "yahoo.com", "outlook.com"], batch_size=2) == 2
    wait_for_background_tasks()
    assert Domain.objects.filter(mx_status="ok").count() == 3
