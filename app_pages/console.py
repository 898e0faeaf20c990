"""The speaker console: /console?room=NAME on the lecturer's laptop, beside the projector's
/?presenter=1&room=NAME (ui.lecture.console)."""

from ui import lecture

lecture.console()
