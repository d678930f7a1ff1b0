# English as the product always showed it: ISO dates (2026-11-02), counts without grouping, and calendars
# starting on Monday (the weekly review runs Monday to Sunday; Django's en starts on Sunday).
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
FIRST_DAY_OF_WEEK = 1
NUMBER_GROUPING = 0
