#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deliverability.settings")
    from django.core.management import execute_from_command_line

    from deliverability.env import ConfigError

    try:
        execute_from_command_line(sys.argv)
    except ConfigError as exc:
        # A bad or missing environment variable: one line naming it (README "Bad values stop start-up with
        # a message naming the variable"), not a traceback through settings.py.
        sys.stderr.write(f"Configuration error: {exc}\n")
        sys.exit(2)
