"""Service reminders (保养提醒) and campaign lists (召回 / 免费检测): who to call, and how it ended."""


def init_app(app):
    from ..demo import SEEDERS
    from .demo import seed_reminders

    if seed_reminders not in SEEDERS:
        SEEDERS.append(seed_reminders)
