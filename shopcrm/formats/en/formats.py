"""English date formats with "5:02 PM" rather than Django's "5:02 p.m.": a time ending a sentence would
otherwise end it twice ("imported on 12/02/2026 5:02 a.m..")."""

DATETIME_FORMAT = "N j, Y, g:i A"
TIME_FORMAT = "g:i A"
SHORT_DATETIME_FORMAT = "m/d/Y g:i A"
