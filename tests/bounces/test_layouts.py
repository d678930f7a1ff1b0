"""Bounce layouts and evidence rules added for the agreement bar, each on a small hand-written email."""
from deliverability.bounces import classify
from deliverability.bounces.classify import classify_record
from deliverability.bounces.reading import parse_message
from deliverability.bounces.smtp import clean_diagnostic, transcript_stages


def _email(headers: str, body: str) -> bytes:
    return (headers.strip() + "\r\n\r\n" + body).replace("\r\n", "\n").replace("\n", "\r\n").encode()


BOUNCE_HEADERS = "From: MAILER-DAEMON@mx.example.net\nTo: sender@example.com\nSubject: Returned mail"


# --- evidence for "unknown user" -------------------------------------------------------------
def test_unknown_user_with_an_address_status_or_at_rcpt_is_a_missing_mailbox():
    assert classify("550 5.1.1 User unknown").category == "invalid_mailbox"
    assert classify("550 User unknown", stage="RCPT").category == "invalid_mailbox"


def test_unknown_user_echoing_the_rcpt_argument_is_a_missing_mailbox():
    assert classify("550 <gone@example.org>: User unknown").category == "invalid_mailbox"
    assert classify("550 5.0.0 <gone@example.org>... User unknown").category == "invalid_mailbox"


def test_a_quoted_unknown_user_reply_with_nothing_to_back_it_is_unconfirmed():
    for text in ("550 Unknown user gone@example.org", "550 : User unknown", "550 5.0.0 No such user"):
        result = classify(text)
        assert (result.category, result.signature, result.hard) == ("policy_block", "user_unknown_unconfirmed", False)


def test_the_reporting_mtas_own_directory_lookup_stays_literal():
    # No SMTP reply code: the local delivery agent itself says the user is not in its directory.
    assert classify("User some.name not listed in Domino Directory").category == "invalid_mailbox"


# --- SMTP transcripts -------------------------------------------------------------------------
def test_transcript_attributes_a_reply_to_the_last_command():
    stages, first = transcript_stages(">>> DATA\n<<< 550 Unknown user gone@example.jp\n")
    assert stages == {"gone@example.jp": "DATA"} and first == "DATA"


def test_pipelined_rcpt_replies_after_data_are_not_data_replies():
    text = ">>> DATA\n<<< 550 5.1.1 <gone@example.org>... User Unknown\n<<< 503 5.0.0 Need RCPT (recipient)\n"
    assert transcript_stages(text) == ({}, None)


# --- wrappers and layouts ---------------------------------------------------------------------
def test_ses_wrapped_reply_reads_the_remote_servers_words():
    text = "smtp; 5.1.0 - Unknown address error 550-'5.7.1 <a@example.com>... Access denied' (delivery attempts: 0)"
    assert clean_diagnostic(text) == "550 5.7.1 <a@example.com>... Access denied"


def test_reason_printed_before_the_recipient_list():
    body = "------- Failure Reasons --------\n\nUser not listed in public Name & Address Book\ngone@example.com\n"
    (record,) = parse_message(_email(BOUNCE_HEADERS, body))
    assert record.recipient == "gone@example.com"
    assert "not listed" in record.diagnostic
    assert classify_record(record).category == "invalid_mailbox"


def test_a_helpdesk_address_in_prose_is_not_a_recipient():
    body = ("I'm sorry to have to inform you that your message could not be delivered.\n"
            "For further assistance, please contact <help@isp.example>\n\n"
            "<gone@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1\n"
            "    <gone@example.org>: Recipient address rejected: User unknown (in reply to RCPT TO command)\n")
    (record,) = parse_message(_email(BOUNCE_HEADERS, body))
    assert record.recipient == "gone@example.org"
    assert (record.status, record.stage) == ("5.1.1", "RCPT")


def test_x_unix_exit_status_is_a_mailer_error_not_a_reply_code():
    body = ("--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.jp\n\n"
            "Final-Recipient: RFC822; user@example.jp\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: X-Unix; 255\n\n--B--\n")
    headers = BOUNCE_HEADERS + "\nContent-Type: multipart/report; report-type=delivery-status; boundary=B"
    (record,) = parse_message(_email(headers, body))
    assert record.reply_code is None
    assert classify_record(record).category == "technical"


def test_dsn_fields_inside_a_text_part_are_read():
    body = ("--B\nContent-Type: text/plain\n\nThe following addresses had delivery problems\n"
            " --B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
            "Final-Recipient: rfc822;gone@example.org\nAction: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n--B--\n")
    headers = BOUNCE_HEADERS + "\nContent-Type: multipart/report; report-type=delivery-status; boundary=B"
    (record,) = parse_message(_email(headers, body))
    assert (record.recipient, record.status) == ("gone@example.org", "5.1.1")


def test_a_multipart_whose_boundary_header_broke_is_read_as_text():
    body = ("--OUTER\nContent-Type: multipart/alternative;\nboundary=\"INNER\"\n\n--INNER\nContent-Type: text/plain\n\n"
            "Error: Invalid user address\n550 5.1.1 <gone@example.org>... No such user here\n--INNER--\n--OUTER--\n")
    headers = BOUNCE_HEADERS + "\nContent-Type: multipart/mixed; boundary=OUTER"
    records = parse_message(_email(headers, body))
    assert records[0].recipient == "gone@example.org"
    assert records[0].reply_code == 550


def test_a_mailbox_status_in_a_reply_to_the_greeting_is_an_ip_refusal():
    assert classify("421 4.2.1 Service refused, please try later", stage="CONNECT").category == "reputation_block"


def test_uri_blocklists_judge_the_content():
    assert classify("550-REJECTED - Blacklisted URL in message. See http://lookup.uribl.com").category == "spam_content"


def test_a_weak_error_word_does_not_beat_a_policy_status_class():
    assert classify("554 5.7.0 Header error").category == "policy_block"


def test_gmail_explanation_above_the_response_marker_is_part_of_the_reason():
    headers = ("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nTo: sender@example.com\n"
               "X-Failed-Recipients: list@groups.example.com\nSubject: Delivery Status Notification (Failure)")
    body = ("\n** Message not delivered **\n\nYou're sending this from a different address or alias using the "
            "'Send mail as' feature. The settings for your 'Send mail as' account are misconfigured or out of date. "
            "Check those settings and try resending.\n\nLearn more here: https://support.google.com/mail/?p=CustomFromDenied"
            "\n\nThe response was:\n\nUnspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability\n")
    (record,) = parse_message(_email(headers, body))
    assert record.recipient == "list@groups.example.com"
    assert "Send mail as" in record.diagnostic and "AUTH capability" in record.diagnostic
    assert "https://" not in record.diagnostic
    assert classify_record(record).category == "sender_rejected"


def test_mailing_list_refusing_a_non_member_refuses_the_sender():
    headers = ("From: list-admin@example.org\nTo: poster@example.com\nSubject: You poster@example.com are not member\n"
               "X-MLServer: fml [fml 4.0.3 release]\nList-Subscribe: <mailto:list-ctl@example.org?body=subscribe>")
    body = "You are not a member of this mailing list <list@example.org>.\n\nIf you know the general guide of this list...\n"
    (record,) = parse_message(_email(headers, body))
    assert record.recipient == "list@example.org"
    assert classify_record(record).category == "sender_rejected"


def test_not_a_member_wording_without_list_headers_is_not_a_list_refusal():
    headers = "From: friend@example.org\nTo: me@example.com\nSubject: hello"
    (record,) = parse_message(_email(headers, "You are not a member of this mailing list <list@example.org>.\n"))
    assert record.recipient is None


def test_a_reply_before_any_command_answers_the_greeting():
    text = "... while talking to mx03.example.org.:\n<<< 554 IP=192.0.2.254 - A problem occurred. (BL)\n"
    assert transcript_stages(text) == ({}, "CONNECT")


def test_the_last_host_tried_decides_the_transcript_stage():
    text = ("... while talking to gw.example.net.:\n<<< 450 busy - please try later\n"
            "... while talking to mx.example.net.:\n>>> DATA\n<<< 551 not our user\n")
    assert transcript_stages(text)[1] == "DATA"


def test_permanent_refusal_of_the_greeting_with_no_named_cause_refuses_the_client():
    result = classify("554 IP=192.0.2.254 - A problem occurred. (Ask your postmaster for help.)", status="5.5.0",
                      stage="CONNECT")
    assert result.category == "reputation_block"
    # A temporary greeting refusal stays technical (a busy server), and so does one naming a system cause.
    assert classify("421 4.3.2 System not accepting network messages", stage="CONNECT").category == "technical"
    assert classify("554 5.3.0 Internal server error", stage="CONNECT").category == "technical"


def test_sendmail_summary_line_takes_the_server_reply_of_its_session():
    body = ("   ----- Transcript of session follows -----\nWhile talking to mailin1.example.org:\n"
            ">>> MAIL From:<sender@example.com>\n"
            "<<< 501 <sender@example.com>... no access from mail server [192.0.2.55] which is an open relay.\n"
            "554 <gone@example.org>... Remote protocol error\n")
    (record,) = parse_message(_email(BOUNCE_HEADERS, body))
    assert record.recipient == "gone@example.org"
    assert record.stage == "MAIL" and "no access from mail server" in record.diagnostic
    assert classify_record(record).category == "reputation_block"


def test_a_recipient_line_with_its_own_server_reply_keeps_it():
    body = ("While talking to mx.example.org:\n>>> RCPT To:<gone@example.org>\n<<< 550 <gone@example.org>... User unknown\n"
            "550 <gone@example.org>... User unknown\n")
    (record,) = parse_message(_email(BOUNCE_HEADERS, body))
    assert classify_record(record).category == "invalid_mailbox"


def test_client_listed_as_open_relay_is_a_reputation_block_not_relaying():
    assert classify("550 Mail from host [192.0.2.5] which is an open relay is refused").category == "reputation_block"
    assert classify("554 5.7.1 <a@example.org>: Relay access denied").category == "policy_block"
