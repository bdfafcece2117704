"""The case pages link to the case's messages page, for the staff who may open it."""
from __future__ import annotations

from tests.complaints.factories import open_complaint


def test_complaint_page_links_to_its_messages_for_staff_who_may_see_them(login, clerk, workshop):
    complaint = open_complaint(clerk)
    target = f"/messaging/cases/complaint/{complaint.id}"

    as_workshop = login(workshop).get(f"/complaints/{complaint.id}")
    assert as_workshop.status_code == 200 and target not in as_workshop.get_data(as_text=True)


def test_clerk_sees_the_link_and_it_opens(login, clerk):
    complaint = open_complaint(clerk)
    target = f"/messaging/cases/complaint/{complaint.id}"
    client = login(clerk)
    assert target in client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert client.get(target).status_code == 200
