# Django's ca formats already read as Catalan writes them (1.234, 11,2, dd/mm/aaaa, Monday first);
# this module exists so every language has one place for the project's overrides.
FIRST_DAY_OF_WEEK = 1
