"""Red-team round 2 on /hooks/<esp>/<token>/: what a stranger (or a captured request) can send.

Each test sends what an attacker could send and checks the endpoint answers in plain words (4xx), never
a 500, stores nothing it should not, fetches nothing off Amazon SNS, and never echoes a secret.
Nothing here reaches the internet: fetching (urlopen) is replaced by a recorder that refuses.
"""
from __future__ import annotations

import base64
import json
import time

import pytest
from django.urls import reverse

from deliverability.webhooks import services, verify
from deliverability.webhooks.models import WebhookAudit, WebhookEndpoint, WebhookPayload

pytestmark = pytest.mark.django_db

TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-events"
SNS_CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem"


@pytest.fixture(autouse=True)
def no_network(settings, monkeypatch):
    """Every fetch is recorded and refused (OSError, as a network failure would be)."""
    settings.WEBHOOK_SNS_AUTO_CONFIRM = False
    fetched: list[str] = []

    def recorder(url, *args, **kwargs):
        fetched.append(url)
        raise OSError("no network in tests")

    monkeypatch.setattr(services, "urlopen", recorder)
    return fetched


def url(endpoint: WebhookEndpoint) -> str:
    return reverse("webhook", args=[endpoint.esp, endpoint.token])


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def sendgrid(org_a):
    private, public = verify.new_sendgrid_keys()
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="sendgrid", name="main", signing_key=public)
    endpoint.private = private
    return endpoint


@pytest.fixture
def postmark(org_a):
    return WebhookEndpoint.objects.create(organization=org_a, esp="postmark", name="pm", basic_user="pm-user",
                                          basic_password="pm-secret-password")


def post_postmark(client, endpoint, body: bytes, content_type="application/json"):
    return client.post(url(endpoint), data=body, content_type=content_type,
                       HTTP_AUTHORIZATION=basic("pm-user", "pm-secret-password"))


# --- timestamps that are numbers but not times -----------------------------------------------------
@pytest.mark.parametrize("stamp", ["inf", "-inf", "1e999", "nan", "9" * 400])
def test_a_signed_request_with_an_infinite_or_absurd_timestamp_is_refused_not_a_500(client, sendgrid, stamp):
    """The signature is valid (the ESP's key signed it), but the timestamp is no time: 403, audited."""
    body = b'[{"email": "ana@acme.example", "event": "delivered", "sg_event_id": "x1"}]'
    signature = verify.sign_sendgrid(sendgrid.private, stamp, body)
    response = client.post(url(sendgrid), data=body, content_type="application/json",
                           HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=signature,
                           HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=stamp)
    assert response.status_code == 403
    assert not WebhookPayload.objects.exists()


@pytest.mark.parametrize("stamp", ["inf", "1e999", "nan"])
def test_a_mailgun_hmac_over_an_infinite_timestamp_is_refused(client, org_a, stamp):
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="mailgun", name="mg", signing_key="key-abc123")
    body = json.dumps({"signature": {"timestamp": stamp, "token": "t" * 50,
                                     "signature": verify.mailgun_signature("key-abc123", stamp, "t" * 50)},
                       "event-data": {"event": "delivered", "recipient": "ana@acme.example", "id": "m1"}})
    assert client.post(url(endpoint), data=body, content_type="application/json").status_code == 403
    assert not WebhookPayload.objects.exists()


# --- bodies that are not what they claim ------------------------------------------------------------
@pytest.mark.parametrize("body", [
    b"[" * 200_000 + b"]" * 200_000,  # deeper than Python's recursion limit
    b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    b"\xff\xfe\x00[{}]",  # not UTF-8
    b"caf\xe9",  # Latin-1
    b"",
    b"null",
    b'"a string"',
    b"NaN",
], ids=["nested-arrays", "nested-objects", "utf16-bom", "latin1", "empty", "null", "string", "nan"])
def test_malformed_bodies_are_400_in_plain_words_and_not_stored(client, postmark, body):
    response = post_postmark(client, postmark, body)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert b"Traceback" not in response.content
    assert not WebhookPayload.objects.exists()


def test_a_form_content_type_on_a_mailgun_endpoint_with_garbage_is_400(client, org_a):
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="mailgun", name="mg", signing_key="key-abc123")
    for body in (b"%%%&&&===", b"\xff\xfe", b"[1, 2]"):
        response = client.post(url(endpoint), data=body, content_type="application/x-www-form-urlencoded")
        assert response.status_code in (400, 403), body
    assert not WebhookPayload.objects.exists()


def test_the_body_limit_holds_whatever_the_declared_length(client, postmark, settings):
    settings.WEBHOOK_MAX_BYTES = 1000
    big = json.dumps([{"RecordType": "Delivery", "Recipient": f"a{i}@acme.example"} for i in range(100)]).encode()
    assert len(big) > 1000
    assert post_postmark(client, postmark, big).status_code == 413
    # A client lying about its length (smaller than the body) gets no more than the limit read.
    response = client.post(url(postmark), data=big, content_type="application/json",
                           HTTP_AUTHORIZATION=basic("pm-user", "pm-secret-password"), CONTENT_LENGTH="10")
    assert response.status_code == 400
    assert not WebhookPayload.objects.exists()


# --- tokens and ESPs ----------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["get", "head", "post"])
def test_a_token_is_404_under_another_esp_or_when_unknown_whatever_the_method(client, postmark, sendgrid, method):
    call = getattr(client, method)
    for esp, token in [("sendgrid", postmark.token), ("postmark", sendgrid.token), ("postmark", "x" * 32),
                       ("nosuchesp", postmark.token), ("postmark", postmark.token.upper())]:
        response = call(reverse("webhook", args=[esp, token]))
        assert response.status_code == 404, (esp, method)
    assert not WebhookAudit.objects.exists()  # a guessed token tells nobody anything, and floods no audit


def test_refusals_never_echo_or_store_the_credentials_tried_or_the_real_ones(client, postmark):
    body = b'{"RecordType": "Delivery", "Recipient": "ana@acme.example", "MessageID": "p1"}'
    tried = "Basic " + base64.b64encode(b"pm-user:guessed-password-123").decode()
    response = client.post(url(postmark), data=body, content_type="application/json", HTTP_AUTHORIZATION=tried)
    assert response.status_code == 403
    reasons = " ".join(WebhookAudit.objects.values_list("reason", flat=True))
    for secret in ("guessed-password-123", "pm-secret-password", postmark.token):
        assert secret not in reasons and secret not in response.content.decode()


def test_basic_auth_with_a_password_holding_a_colon_and_unicode_is_checked_whole(client, org_a):
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="postmark", name="pm", basic_user="u",
                                              basic_password="pa:ss")
    body = b'{"RecordType": "Delivery", "Recipient": "ana@acme.example", "MessageID": "p1"}'
    for header in (basic("u", "pa"), basic("u", "pa:s"), "Basic " + base64.b64encode("u:pa:ssé".encode()).decode(),
                   "Basic !!!", "Bearer pa:ss", "basic " + base64.b64encode(b"u:pa:ss").decode()[:-2]):
        response = client.post(url(endpoint), data=body, content_type="application/json", HTTP_AUTHORIZATION=header)
        assert response.status_code == 403, header
    assert client.post(url(endpoint), data=body, content_type="application/json",
                       HTTP_AUTHORIZATION=basic("u", "pa:ss")).status_code == 200


# --- Amazon SNS: nothing fetched that is not asked for by an allowed topic on an SNS host ------------
@pytest.fixture
def ses_fetching(org_a):
    """An SES endpoint without a trusted certificate: it would fetch SigningCertURL (SNS hosts only)."""
    return WebhookEndpoint.objects.create(organization=org_a, esp="ses", name="ses", topic_arns=TOPIC)


def test_a_foreign_topic_is_refused_before_any_certificate_is_fetched(client, ses_fetching, no_network):
    """Anyone who knows the URL must not make the server fetch anything: the TopicArn allow-list first."""
    message = {"Type": "Notification", "MessageId": "1", "TopicArn": "arn:aws:sns:us-east-1:999999999999:evil",
               "Message": "{}", "Timestamp": "2026-11-02T10:00:06.000Z", "SignatureVersion": "2",
               "Signature": base64.b64encode(b"x" * 256).decode(), "SigningCertURL": SNS_CERT_URL}
    response = client.post(url(ses_fetching), data=json.dumps(message), content_type="application/json")
    assert response.status_code == 403
    assert no_network == []
    assert "not allowed" in WebhookAudit.objects.get().reason


def test_a_message_of_no_sns_type_is_refused_before_any_fetch(client, ses_fetching, no_network):
    message = {"Type": "Whatever", "TopicArn": TOPIC, "SigningCertURL": SNS_CERT_URL}
    assert client.post(url(ses_fetching), data=json.dumps(message),
                       content_type="application/json").status_code == 403
    assert no_network == []


@pytest.mark.parametrize("cert_url", [
    SNS_CERT_URL + "\n",
    "https://sns.eu-west-1.amazonaws.com/a b.pem",
    "https://sns.eu-west-1.amazonaws.com/a\r\nHost: evil.example/x.pem",
    "https://sns.eu-west-1.amazonaws.com.evil.example/x.pem",
    "https://sns.eu-west-1.amazonaws.com@evil.example/x.pem",
    "https://evil.example/sns.eu-west-1.amazonaws.com/x.pem",
    "https://sns.eu-west-1.amazonaws.com:8443/x.pem",
    "file:///etc/passwd",
])
def test_signing_cert_urls_off_sns_are_never_fetched(ses_fetching, no_network, cert_url):
    with pytest.raises(verify.Refused):
        services.sns_certificate(ses_fetching, {"SigningCertURL": cert_url})
    assert no_network == []


def test_a_fetch_failure_of_any_kind_is_a_refusal_not_a_500(ses_fetching, monkeypatch):
    def invalid(url, *args, **kwargs):
        raise ValueError("http.client.InvalidURL is a ValueError")

    monkeypatch.setattr(services, "urlopen", invalid)
    with pytest.raises(verify.Refused):
        services.sns_certificate(ses_fetching, {"SigningCertURL": SNS_CERT_URL})


@pytest.fixture
def ses(org_a):
    private, certificate = verify.new_sns_certificate()
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="ses", name="ses", topic_arns=TOPIC,
                                              sns_certificate=certificate)
    endpoint.private = private
    return endpoint


@pytest.mark.parametrize("subscribe_url", [
    "javascript:alert(document.cookie)",
    "https://evil.example/?Action=ConfirmSubscription&Token=x",
    "https://sns.eu-west-1.amazonaws.com.evil.example/?Action=ConfirmSubscription&Token=x",
    "http://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=x",
])
def test_a_signed_confirmation_with_a_foreign_subscribe_url_is_neither_fetched_nor_linked(
        client, ses, staff, settings, no_network, subscribe_url):
    """Even signed by the trusted certificate, a SubscribeURL off SNS is not fetched (SSRF) and the
    integration page offers no link to it (a javascript: link would run in the manager's session)."""
    settings.WEBHOOK_SNS_AUTO_CONFIRM = True
    confirmation = verify.sign_sns({
        "Type": "SubscriptionConfirmation", "MessageId": "c-1", "TopicArn": TOPIC, "Token": "tok",
        "Message": "You have chosen to subscribe.", "Timestamp": "2026-11-02T10:00:06.000Z",
        "SubscribeURL": subscribe_url, "SigningCertURL": SNS_CERT_URL}, ses.private)
    assert client.post(url(ses), data=json.dumps(confirmation), content_type="application/json").status_code == 200
    assert no_network == []
    client.force_login(staff)
    page = client.get(reverse("integrations", args=[ses.organization.slug])).content.decode()
    assert subscribe_url not in page
    assert 'href="javascript:' not in page


def test_a_signed_confirmation_on_sns_is_fetched_once_with_auto_confirm(client, ses, settings, no_network):
    settings.WEBHOOK_SNS_AUTO_CONFIRM = True
    good = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=tok"
    confirmation = verify.sign_sns({
        "Type": "SubscriptionConfirmation", "MessageId": "c-1", "TopicArn": TOPIC, "Token": "tok",
        "Message": "You have chosen to subscribe.", "Timestamp": "2026-11-02T10:00:06.000Z",
        "SubscribeURL": good, "SigningCertURL": SNS_CERT_URL}, ses.private)
    assert client.post(url(ses), data=json.dumps(confirmation), content_type="application/json").status_code == 200
    assert no_network == [good]  # the recorder refused it (no network): the link is offered by hand instead
    ses.refresh_from_db()
    assert ses.pending_subscribe_url == good


# --- the secrets on the integration page ---------------------------------------------------------------
def test_signing_keys_are_never_rendered_back_nor_audited(client, org_a, manager_a):
    client.force_login(manager_a)
    page_url = reverse("integrations", args=[org_a.slug])
    client.post(page_url, {"esp": "mailgun", "name": "mg", "signing_key": "key-TOPSECRET-111"})
    endpoint = WebhookEndpoint.objects.get(organization=org_a)
    client.post(reverse("integration_rotate", args=[org_a.slug, endpoint.pk]), {"signing_key": "key-TOPSECRET-222"})
    page = client.get(page_url).content.decode()
    assert "TOPSECRET" not in page
    audit = " ".join(f"{a.reason} {a.endpoint_name}" for a in WebhookAudit.objects.all())
    assert "TOPSECRET" not in audit
    from deliverability.accounts.models import AuditEvent

    assert not any("TOPSECRET" in json.dumps([e.summary, e.detail], default=str) for e in AuditEvent.objects.all())


def test_endpoint_names_and_refusal_reasons_are_escaped(client, org_a, staff):
    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="ses", name="<script>alert(1)</script>",
                                              topic_arns=TOPIC, sns_certificate=verify.new_sns_certificate()[1])
    message = {"Type": "Notification", "TopicArn": "<img src=x onerror=alert(2)>", "SigningCertURL": SNS_CERT_URL}
    assert client.post(url(endpoint), data=json.dumps(message), content_type="application/json").status_code == 403
    client.force_login(staff)
    page = client.get(reverse("integrations", args=[org_a.slug])).content.decode()
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)" in page


def test_a_replayed_signed_sendgrid_request_is_stored_once_and_stale_ones_refused(client, sendgrid, settings):
    body = b'[{"email": "ana@acme.example", "event": "delivered", "sg_event_id": "r1", "timestamp": 1793613605}]'
    stamp = str(int(time.time()))
    headers = {"HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": verify.sign_sendgrid(sendgrid.private, stamp, body),
               "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": stamp}
    for _ in range(3):
        assert client.post(url(sendgrid), data=body, content_type="application/json", **headers).status_code == 200
    assert WebhookPayload.objects.count() == 1
    settings.WEBHOOK_TIMESTAMP_TOLERANCE = -1  # the same request once the window has passed
    assert client.post(url(sendgrid), data=body, content_type="application/json", **headers).status_code == 403


@pytest.mark.parametrize("topic", [["arn"], {"a": 1}, 12, None, True])
def test_a_topic_of_the_wrong_json_type_is_refused_not_a_500(client, ses, topic):
    message = {"Type": "Notification", "TopicArn": topic, "Message": "{}", "SigningCertURL": SNS_CERT_URL}
    assert client.post(url(ses), data=json.dumps(message), content_type="application/json").status_code == 403
    assert not WebhookPayload.objects.exists()


def test_a_nul_character_in_an_event_does_not_poison_the_endpoints_imports(client, postmark):
    """JSON may carry \\u0000 (a remote server's reply, an ESP tag set by the sender); PostgreSQL text and
    jsonb hold no NUL: the request is stored or refused, and the endpoint's next requests still import."""
    bodies = [
        b'{"RecordType": "Bounce", "ID": 1, "MessageID": "n1", "Type": "HardBounce", "Email": "ana@acme.example", '
        b'"BouncedAt": "2026-11-02T10:00:05Z", "Description": "bad\\u0000reply", "Details": "550 5.1.1 x\\u0000y", '
        b'"Tag": "camp\\u0000aign"}',
        b'{"RecordType": "Delivery", "MessageID": "n2", "Recipient": "bob@acme.example", '
        b'"DeliveredAt": "2026-11-02T10:00:06Z", "Tag": "November"}',
    ]
    for body in bodies:
        assert post_postmark(client, postmark, body).status_code in (200, 400)
    services.import_pending(postmark.pk, analyse=False)  # a run that failed would put both back, again and again
    from deliverability.campaigns.models import Event

    assert Event.objects.filter(recipient__email="bob@acme.example").exists()
    assert not WebhookPayload.objects.filter(status__in=("pending", "importing")).exists()


@pytest.mark.parametrize("address", ["ana@acme.example", "ana+news@acme.example", "josé@acme.example"])
def test_erasure_finds_the_address_however_the_stored_body_spells_it(org_a, address):
    """Bodies are kept as received: a Mailgun legacy form writes ana%40acme.example, a JSON encoder may
    write jos\\u00e9; erasure must remove them all, and leave the payloads of other addresses."""
    from urllib.parse import urlencode

    endpoint = WebhookEndpoint.objects.create(organization=org_a, esp="mailgun", name="mg", signing_key="k")
    other = WebhookEndpoint.objects.create(organization=org_a, esp="postmark", name="pm")
    shouted = address.upper() if address.isascii() else address  # percent-encoded É is not é in any case
    bodies = [(endpoint, urlencode({"event": "bounced", "recipient": shouted, "code": "550"})),
              (other, json.dumps({"RecordType": "Bounce", "Email": address})),
              (other, json.dumps({"RecordType": "Bounce", "Email": address}, ensure_ascii=False) + " "),
              (other, json.dumps({"RecordType": "Bounce", "Email": "bob@acme.example"}))]
    for n, (where, body) in enumerate(bodies):
        WebhookPayload.objects.create(endpoint=where, organization=org_a, body=body, body_sha256=f"{n:064d}",
                                      status="imported")
    assert services.erase_payloads(org_a, address) == 3
    assert list(WebhookPayload.objects.values_list("body", flat=True)) == [bodies[3][1]]


def test_a_basic_auth_password_is_shown_once_after_creation_and_rotation_then_masked(client, org_a, manager_a,
                                                                                     viewer_a):
    client.force_login(manager_a)
    page_url = reverse("integrations", args=[org_a.slug])
    client.post(page_url, {"esp": "postmark", "name": "Transactional"})
    endpoint = WebhookEndpoint.objects.get(organization=org_a)
    assert endpoint.basic_password in client.get(page_url).content.decode()  # the page right after creation
    again = client.get(page_url).content.decode()
    assert endpoint.basic_password not in again and f"{endpoint.basic_user}:••••••••@testserver" in again
    client.post(reverse("integration_rotate", args=[org_a.slug, endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.basic_password in client.get(page_url).content.decode()
    assert endpoint.basic_password not in client.get(page_url).content.decode()
    client.force_login(viewer_a)  # a viewer never sees the page at all
    assert client.get(page_url).status_code == 403


HOSTILE = "<img src=x onerror=alert(7)>"


def test_untrusted_payload_text_is_escaped_on_every_page_it_reaches(client, postmark, staff):
    """A bounce's diagnostic is written by a remote server, a Tag by whoever sends: both reach the campaign,
    recipient, upload, search and recovery pages after a real import and analysis; none renders a tag."""
    postmark.campaign_label = "Tag"
    postmark.save()
    body = json.dumps({"RecordType": "Bounce", "ID": 42, "MessageID": "x1", "Type": "HardBounce", "TypeCode": 1,
                       "Email": "ana@acme.example", "BouncedAt": "2026-11-02T10:00:05Z", "Tag": HOSTILE,
                       "Description": f"550 5.1.1 {HOSTILE} user unknown",
                       "Details": f"smtp; 550 5.7.1 <script>alert(8)</script> {HOSTILE} blocked"}).encode()
    assert post_postmark(client, postmark, body).status_code == 200
    upload = services.import_pending(postmark.pk)
    from deliverability.campaigns.models import Campaign, Recipient

    campaign = Campaign.objects.get(organization=postmark.organization)
    assert campaign.name == HOSTILE  # stored as sent
    recipient = Recipient.objects.get(email="ana@acme.example")
    slug = postmark.organization.slug
    client.force_login(staff)
    pages = [reverse("organization", args=[slug]), reverse("campaign", args=[slug, campaign.pk]),
             reverse("campaign_recipient", args=[slug, campaign.pk, recipient.pk]),
             reverse("upload_detail", args=[slug, upload.pk]), reverse("search", args=[slug]) + "?q=ana",
             reverse("recovery_exports", args=[slug, campaign.pk]), reverse("sender_health", args=[slug]),
             reverse("integrations", args=[slug])]
    shown = []
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert "<img src=x" not in html and "<script>alert(8)" not in html, page
        shown.append("&lt;img src=x" in html)
    assert shown[1] and shown[2]  # the campaign's name and the recipient's diagnostic were on the pages


def test_other_content_types_are_read_as_json_or_refused_never_a_500(client, org_a, postmark):
    mailgun = WebhookEndpoint.objects.create(organization=org_a, esp="mailgun", name="mg", signing_key="key-abc123")
    boundary = "----x"
    multipart = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"event\"\r\n\r\nbounced\r\n"
                 f"--{boundary}--\r\n").encode()
    response = client.post(url(mailgun), data=multipart, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code in (400, 403)
    body = b'{"RecordType": "Delivery", "MessageID": "ct1", "Recipient": "ana@acme.example"}'
    for content_type in ("text/plain", "application/xml", "application/json; charset=latin-1"):
        assert post_postmark(client, postmark, body, content_type=content_type).status_code == 200
    assert WebhookPayload.objects.filter(endpoint=postmark).count() == 1  # one body, stored once
