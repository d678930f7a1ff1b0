# Spanish as the agency's clients write figures in reports: 1.234 (Django's es follows the RAE's
# non-breaking space, which Spanish marketing reports rarely use). Everything else is Django's es.
THOUSAND_SEPARATOR = "."
