"""aide: Local emulators of the Gmail, Calendar, Notion and Twilio HTTP APIs.

Placeholder package: the issue that builds it has not landed yet, so `aide` reports it as "not available yet".
"""
