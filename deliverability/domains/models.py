"""Recipient domains. Enrichment fields (MX, vendor, kind) are added by the enrichment work."""
from django.db import models


class Domain(models.Model):
    name = models.CharField(max_length=253, unique=True)  # the address's own domain, punycode, lower case

    def __str__(self) -> str:
        return self.name
