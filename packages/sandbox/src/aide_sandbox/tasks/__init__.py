"""Google Tasks v1 emulator: task lists and tasks with subtasks, positions, date-only due dates and paging."""
