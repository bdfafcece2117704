"""Issue 16 item 4: passwords need 10 characters and must not be common or guessable (zxcvbn)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from claimdesk.auth import services
from claimdesk.auth.models import User
from claimdesk.core.errors import ValidationFailed
from claimdesk.extensions import db


@pytest.mark.parametrize("weak", ["12345678", "password", "1234567890", "password123", "qwertyuiop", "short-1"])
def test_weak_passwords_are_refused(store, weak):
    with pytest.raises(ValidationFailed) as err:
        services.create_user("li.na", weak, "advisor", store)
    assert "password" in err.value.fields


def test_a_good_password_is_accepted(store):
    assert services.create_user("li.na", "brand-new-secret-7", "advisor", store).check_password("brand-new-secret-7")


def test_a_long_passphrase_is_accepted(store):
    phrase = "the after-sales desk closes at six, the workshop at eight " * 3  # longer than zxcvbn's 72
    assert services.create_user("li.na", phrase, "advisor", store).check_password(phrase)


def test_the_password_may_not_be_the_username(store):
    with pytest.raises(ValidationFailed):
        services.create_user("chen.weiming88", "chen.weiming88", "advisor", store)


def test_admin_form_explains_in_both_languages(client, login, make_user, store):
    login(make_user("admin", username="root"))
    resp = client.post("/admin/users", data={"username": "li.na", "password": "password123", "role": "advisor",
                                             "store_id": str(store.id)})
    assert resp.status_code == 422
    assert "at least 10 characters" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.username == "li.na")) is None
    client.post("/lang/zh")
    resp = client.post("/admin/users", data={"username": "li.na", "password": "password123", "role": "advisor",
                                             "store_id": str(store.id)})
    assert resp.status_code == 422 and "至少 10 个字符" in resp.get_data(as_text=True)


def test_own_settings_refuse_a_weak_new_password(client, login, advisor):
    login(advisor)
    resp = client.post("/admin/me", data={"current_password": "secret-pass-1", "new_password": "12345678"},
                       follow_redirects=True)
    assert "at least 10 characters" in resp.get_data(as_text=True)
    db.session.refresh(advisor)
    assert advisor.check_password("secret-pass-1")
