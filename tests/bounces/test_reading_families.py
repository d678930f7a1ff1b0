"""Issue 16: the reading families, each on small emails and replies written here (not corpus copies).

Each test names the family and the layout or wording it stands for; the shared corpora are measured
as a whole in test_agreement.py and test_peers.py.
"""
import pytest

from deliverability.bounces.classify import classify, classify_record
from deliverability.bounces.reading import parse_message
from deliverability.bounces.rules import FAMILIES, rules_off
from deliverability.bounces.smtp import detect_stage, transcript_stages


def _email(headers: str, body: str) -> bytes:
    return (headers.strip() + "\n\n" + body).replace("\r\n", "\n").replace("\n", "\r\n").encode()


def _read(data: bytes):
    return [(r, classify_record(r)) for r in parse_message(data)]


DAEMON = "From: Mail Delivery System <MAILER-DAEMON@relay.example.net>\nTo: news@shop.example.com\n"


def _dsn(per_recipient: str, text: str = "Your message could not be delivered.\n", subject: str = "Undelivered Mail Returned to Sender") -> bytes:
    return _email(
        DAEMON + f"Subject: {subject}\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
        f"--b1\nContent-Type: text/plain\n\n{text}\n--b1\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; relay.example.net\n\n{per_recipient}\n"
        "--b1\nContent-Type: text/rfc822-headers\n\nFrom: news@shop.example.com\nTo: list@lists.example.com\n"
        "Subject: hello\n\n--b1--\n")


# --- family 1: the SMTP stage is the command the reply answered (RFC 5321) -------------------------
@pytest.mark.parametrize("text,stage", [
    ("mx.example.org failed after I sent the message.\nRemote host said: 554 no such user", "DATA"),  # qmail-remote
    ("mx.example.org does not like recipient.\nRemote host said: 550 5.1.1 no such user", "RCPT"),  # qmail-remote
    ("SMTP error from remote mail server after pipelined DATA: 550 unknown user", "DATA"),  # Exim
    ("SMTP error from remote mail server after end of data: 550 unknown user", "DATA"),  # Exim
    ("host mx.example.org said: 550 unknown user (in reply to end of DATA command)", "DATA"),  # Postfix
    ("host mx.example.org said: 550 unknown user (in reply to RCPT TO command)", "RCPT"),  # Postfix
    ("Connected to 192.0.2.9 but sender was rejected.\nRemote host said: 553 sorry", "MAIL"),  # qmail-remote
])
def test_stage_wordings_of_each_mta(text, stage):
    assert detect_stage(text) == stage


def test_a_data_reply_that_only_says_no_recipient_was_accepted_leaves_the_rcpt_failure():
    # Sendmail/Postfix pipelining: 550 to RCPT, then 554/503 to DATA because no recipient is left.
    for data_reply in ("503 5.5.1 Need RCPT (recipient)", "554 5.5.0 No recipients have been specified",
                       "554 5.5.1 Error: no valid recipients"):
        stages, first = transcript_stages(
            "... while talking to mx.example.org.:\n>>> RCPT To:<ann@example.org>\n"
            f"<<< 550 5.1.1 <ann@example.org>... User Unknown\n>>> DATA\n<<< {data_reply}\n")
        assert stages == {"ann@example.org": "RCPT"} and first == "RCPT", data_reply


def test_unknown_user_after_data_is_a_filter_whatever_said_it():
    for text in ("550 5.1.1 Recipient unknown", "550 User unknown", "554 Mailbox does not exist"):
        result = classify(text, stage="DATA")
        assert (result.category, result.hard) == ("policy_block", False), text


def test_microsoft_dbeb_at_rcpt_stays_literal():
    result = classify("550 5.4.1 Recipient address rejected: Access denied. [AM0PR01.prod.protection.outlook.com]",
                      stage="RCPT")
    assert result.category == "invalid_mailbox"


# --- family 2: which recipient --------------------------------------------------------------------
def test_original_recipient_is_reported_rather_than_the_rewritten_final_one():
    data = _dsn("Original-Recipient: rfc822;ann@example.org\nFinal-Recipient: rfc822;ann.smith@mailstore\n"
                "Action: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 mailbox full\n")
    [(record, result)] = _read(data)
    assert record.recipient == "ann@example.org" and result.category == "mailbox_full"


def test_an_x400_final_recipient_is_never_reported():
    data = _dsn("Final-Recipient: x400; /RFC-822=bob(a)example.org/ADMD= /C=GB/\nAction: failed\nStatus: 5.1.1\n")
    [(record, _)] = _read(data)
    assert record.recipient is None or "/" not in record.recipient
    data = _dsn("Original-Recipient: rfc822; bob@example.org\n"
                "Final-Recipient: x400; /RFC-822=bob(a)example.org/ADMD= /C=GB/\nAction: failed\nStatus: 5.1.1\n")
    assert _read(data)[0][0].recipient == "bob@example.org"


def test_the_senders_own_address_in_the_notice_prose_is_not_the_recipient():
    data = _email(DAEMON + "Subject: Mail delivery problem",
                  "Hello news@shop.example.com. Your message to the following recipient could not be delivered:\n\n"
                  "   carla@example.org: mailbox unavailable\n")
    assert [r.recipient for r, _ in _read(data)] == ["carla@example.org"]


def test_with_the_recipient_family_off_the_rewritten_address_comes_back():
    data = _dsn("Original-Recipient: rfc822;ann@example.org\nFinal-Recipient: rfc822;ann.smith@mailstore\n"
                "Action: failed\nStatus: 5.1.1\n")
    with rules_off("recipient"):
        assert _read(data)[0][0].recipient == "ann.smith@mailstore"


# --- family 3: delay warnings and 4.x.x are never hard --------------------------------------------
def test_a_plain_text_delay_warning_is_temporary():
    data = _email(DAEMON + "Subject: Warning: message 1abc delayed 24 hours",
                  "This message was created automatically by mail delivery software.\n"
                  "A message that you sent has not yet been delivered to one or more of its recipients.\n\n"
                  "  dan@example.org\n    Delay reason: SMTP error from remote mail server after RCPT TO:<dan@example.org>:\n"
                  "    450 4.1.1 <dan@example.org>: Recipient address rejected: unverified address\n\n"
                  "No action is required on your part. Delivery attempts will continue for some time.\n")
    [(record, result)] = _read(data)
    assert record.recipient == "dan@example.org" and record.action == "delayed"
    assert result.temporary and not result.hard


def test_a_dsn_delayed_action_is_never_hard_even_with_a_mailbox_status():
    data = _dsn("Final-Recipient: rfc822; eve@example.org\nAction: delayed\nStatus: 4.4.7\n"
                "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n", subject="Delivery Status Notification (Delay)")
    [(record, result)] = _read(data)
    assert record.action == "delayed" and result.temporary and not result.hard


def test_a_4xx_reply_naming_a_missing_mailbox_is_not_hard():
    result = classify("450 4.1.1 <x@example.org>: Recipient address rejected: User unknown in local recipient table")
    assert result.category == "invalid_mailbox" and not result.hard and result.temporary


def test_a_notice_that_gave_up_after_temporary_failures_is_a_failure():
    # qmail-send's final notice quotes the last (temporary) reply but the message is returned.
    data = _email(DAEMON + "Subject: failure notice",
                  "Hi. This is the qmail-send program at relay.example.net.\n"
                  "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
                  "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
                  "<fay@example.org>:\nSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"
                  "I'm not going to try again; this message has been in the queue too long.\n")
    [(record, result)] = _read(data)
    assert record.action == "failed" and not result.hard


# --- family 4: not bounces ------------------------------------------------------------------------
def test_a_challenge_response_request_is_no_bounce():
    data = _email("From: gus@example.org\nTo: news@shop.example.com\nSubject: Re: hello (verification needed)",
                  "I protect my inbox from spam. Please click the link below to verify that you are a human\n"
                  "and your message will be delivered: https://verify.example.net/c/123\n")
    results = _read(data)
    assert all(result.category == "auto_reply" for _, result in results)


def test_a_read_receipt_is_no_bounce():
    data = _email("From: hal@example.org\nTo: news@shop.example.com\nSubject: Read: hello\nMIME-Version: 1.0\n"
                  'Content-Type: multipart/report; report-type=disposition-notification; boundary="r"',
                  "--r\nContent-Type: text/plain\n\nYour message was read on Monday.\n--r\n"
                  "Content-Type: message/disposition-notification\n\nReporting-UA: mail.example.org\n"
                  "Final-Recipient: rfc822; hal@example.org\nDisposition: manual-action/MDN-sent-manually; displayed\n--r--\n")
    assert all(result.category == "auto_reply" for _, result in _read(data))


def test_a_sieve_reject_sent_as_an_mdn_stays_a_bounce():
    data = _email("From: Mail Delivery Subsystem <postmaster@example.org>\nTo: news@shop.example.com\n"
                  "Subject: Automatically rejected mail\nMIME-Version: 1.0\n"
                  'Content-Type: multipart/report; report-type=disposition-notification; boundary="r"',
                  "--r\nContent-Type: text/plain\n\nYour message to <ida@example.org> was automatically rejected:\n"
                  "Quota exceeded\n--r\nContent-Type: message/disposition-notification\n\n"
                  "Final-Recipient: rfc822; ida@example.org\nDisposition: automatic-action/MDN-sent-automatically; deleted\n--r--\n")
    [(record, result)] = _read(data)
    assert record.recipient == "ida@example.org" and result.category == "mailbox_full"


def test_a_refusal_that_mentions_a_whitelist_is_still_a_bounce():
    data = _email(DAEMON + "Subject: Undeliverable",
                  "<jo@example.org>: host mx.example.org said: 550 5.7.1 Blocked. Ask the recipient to add you to"
                  " their whitelist (in reply to RCPT TO command)\n")
    [(record, result)] = _read(data)
    assert record.recipient == "jo@example.org" and result.category != "auto_reply"


# --- family 5: missing-mailbox wordings without an enhanced status ---------------------------------
@pytest.mark.parametrize("text", [
    "550 Mailbox does not exist", "554 sorry, that recipient is not our customer", "550 BAD_RECIPIENT",
    "550 no mailbox by that name is currently available", "550 Benutzer unbekannt",
    "550 Die Adresse existiert nicht", "554 Le destinataire n'existe pas", "550 Adresse inconnue",
    "550 El usuario no existe", "550 Usuário desconhecido", "550 Utente sconosciuto",
    "550 Gebruiker onbekend", "550 Skrzynka nie istnieje",
])
def test_missing_mailbox_wordings_are_invalid_mailbox_whatever_the_code(text):
    result = classify(text)
    assert (result.category, result.hard) == ("invalid_mailbox", True), (text, result.rule)


def test_a_domain_that_does_not_exist_is_not_a_missing_mailbox():
    assert classify("550 The domain example.org does not exist").category == "invalid_domain"


def test_with_the_wording_family_off_a_bare_554_stays_unconfirmed():
    with rules_off("wording"):
        assert classify("554 Mailbox does not exist").category != "invalid_mailbox"


# --- family 6: a failure notice always yields a record ---------------------------------------------
def test_a_mailer_daemon_notice_with_no_readable_recipient_yields_a_low_confidence_record():
    data = _email(DAEMON + "Subject: Delivery failure\nX-Failed-Recipients: kim@example.org",
                  "The message could not be delivered.\n")
    [(record, _)] = _read(data)
    assert record.recipient == "kim@example.org" and record.action == "failed"


def test_screen_names_without_a_domain_take_the_reporting_systems_domain():
    data = _email("From: Mail Delivery Subsystem <MAILER-DAEMON@webmail.example.net>\nTo: news@shop.example.com\n"
                  "Subject: Mail Delivery Problem",
                  "Your mail to the following recipients could not be delivered because they do not accept it:\n"
                  "\tlee123\n")
    [(record, _)] = _read(data)
    assert record.recipient == "lee123@webmail.example.net" and record.confidence == "low"


def test_every_family_can_be_switched_off_and_back():
    for family in FAMILIES:
        with rules_off(family):
            classify("550 5.1.1 user unknown")
    with pytest.raises(ValueError), rules_off("no-such-family"):
        pass


# Wordings from Sisimai's reason phrase lists that had no rule here (phrases.json, family "wording").
@pytest.mark.parametrize("text,stage,category", [
    ("550 Sorry, no mail box available for this user", "RCPT", "invalid_mailbox"),
    ("550 Address not present in directory", "RCPT", "invalid_mailbox"),
    ("554 Line limit exceeded", None, "message_too_large"),
    ("550 Sender not pre-approved by the list owner", None, "sender_rejected"),
    ("554 Mail forwarding loop for someone@example.org", None, "technical"),
    ("550 This account is protected by a sender whitelist", None, "policy_block"),
    ("550 Blank From: addresses are not allowed. Please provide a valid From.", None, "sender_rejected"),
])
def test_sisimai_phrase_wordings(text, stage, category):
    assert classify(text, stage=stage).category == category
