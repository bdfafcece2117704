"""One group-wide rule set per code: the index guards it, so two first requests seeding at once cannot
leave duplicates (the loser's savepoint rolls back)."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from claimdesk.extensions import db
from claimdesk.sanbao import rules
from claimdesk.sanbao.models import SanbaoRuleSet


def _group_codes():
    return sorted(db.session.scalars(sa.select(SanbaoRuleSet.code).where(SanbaoRuleSet.store_id.is_(None))))


def test_a_second_group_wide_set_of_a_code_is_refused(app):
    rules.seed_rule_sets()
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(SanbaoRuleSet(**rules.SEEDS[1]))
    assert _group_codes() == ["2013", "2022"]


def test_seeding_after_another_transaction_seeded_keeps_one_of_each(app, monkeypatch):
    rules.seed_rule_sets()
    # the race: this transaction read "none seeded yet" before the other one's rows were there
    real_scalars = db.session.scalars
    monkeypatch.setattr(db.session, "scalars", lambda stmt, *a, **kw: iter(()) if "code" in str(stmt)
                        and "sanbao_rule_sets" in str(stmt) else real_scalars(stmt, *a, **kw))
    assert rules.seed_rule_sets() == []
    monkeypatch.undo()
    assert _group_codes() == ["2013", "2022"]
    assert rules.rule_set_for(date(2024, 5, 1), None).code == "2022"
