

def test_the_mx_names_the_product_when_text_and_mx_are_one_company():
    """GIVEN Google's "does not exist" text (read as Google Workspace) at a gmail.com address
    WHEN the MX is Gmail's consumer service THEN the answering vendor is Gmail."""
    from deliverability.verdicts.facts import RecipientFacts

    facts = RecipientFacts(email="a@gmail.com", domain="gmail.com", outcome="bounce",
                           bounce_vendor="google_workspace", mx_vendor="gmail")
    assert facts.answering_vendor == "gmail"
    other = RecipientFacts(email="a@x.com", domain="x.com", outcome="bounce",
                           bounce_vendor="google_workspace", mx_vendor="microsoft365")
    assert other.answering_vendor == "google_workspace"
