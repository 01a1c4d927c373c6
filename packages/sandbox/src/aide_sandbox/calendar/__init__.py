"""Google Calendar v3 emulator: calendars, the calendar list, events with recurrence, free/busy and colours."""
