# The weekly review runs Monday to Sunday: calendars start on Monday in English too (Django's en: Sunday).
FIRST_DAY_OF_WEEK = 1
