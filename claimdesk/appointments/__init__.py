"""The appointment diary (预约): bookable slots per store and advisor, arrivals through the reception.
Its demo appointments come from the reminders' demo (booked from reminders and a campaign)."""


def init_app(app):
    from .views import booking_link

    app.jinja_env.globals["booking_link"] = booking_link
