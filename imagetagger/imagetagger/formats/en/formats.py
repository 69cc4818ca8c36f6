"""One way to write dates and times across the site (pages, lists, reports): ISO 8601 order with the
time zone — ``2026-12-03 07:01 CET`` — instead of English's "Dec. 3, 2026, 7:01 a.m." (Django's
``en`` formats), which some pages showed beside the ISO form. Templates write ``{{ value }}`` or
``{{ value|date:"DATETIME_FORMAT" }}``; the zone is the site's (``IT_TIME_ZONE``)."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
YEAR_MONTH_FORMAT = "Y-m"
MONTH_DAY_FORMAT = "m-d"
