"""`manage.py makemessages -l ca -l es` with the project's settings (issue 23), so every run writes the same
catalogues: only the product's sources (not var/, tests/, bench/, docs/, static/), file names without line
numbers (a moved line does not rewrite the catalogue), and no obsolete entries kept.

Existing translations are preserved (Django merges with msgmerge); fuzzy guesses are made by msgmerge for
new strings close to old ones, and the completeness test (tests/i18n/test_catalogues.py) fails on them
until a translator checks each one.
"""
from django.core.management.commands import makemessages

IGNORE = ["var/*", "tests/*", "bench/*", "docs/*", "static/*", "test-artifacts/*", "locale/*", "node_modules/*"]


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]

    def handle(self, *args, **options):
        options["ignore_patterns"] = [*(options.get("ignore_patterns") or []), *IGNORE]
        options["no_obsolete"] = True
        if not options.get("add_location"):
            options["add_location"] = "file"
        return super().handle(*args, **options)
