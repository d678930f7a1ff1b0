"""Write verdicts/_catalogue.py: the data files' client sentences as gettext_noop calls, for makemessages."""
from django.core.management.base import BaseCommand

from deliverability.verdicts.catalogue import MODULE, data_sentences, render_module


class Command(BaseCommand):
    help = "Regenerate deliverability/verdicts/_catalogue.py from the data files (run before makemessages)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="exit 1 if the module is stale, write nothing")

    def handle(self, *args, check=False, **options):
        text = render_module()
        current = MODULE.read_text(encoding="utf-8") if MODULE.exists() else ""
        if check:
            if current != text:
                self.stderr.write(f"{MODULE} is stale: run manage.py content_catalogue")
                raise SystemExit(1)
            return
        if current != text:
            MODULE.write_text(text, encoding="utf-8")
        self.stdout.write(f"{MODULE.name}: {len(data_sentences())} sentences")
