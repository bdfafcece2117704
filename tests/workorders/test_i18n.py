"""Every work-order string has its Simplified Chinese translation."""
from claimdesk import i18n


def test_workorders_catalogue_complete():
    assert i18n.untranslated("workorders") == []
