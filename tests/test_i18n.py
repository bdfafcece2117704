"""Every string the UI can show has a Simplified Chinese translation, and the compiled catalogues are current."""
from __future__ import annotations


import pytest
from babel.messages import mofile, pofile

from claimdesk import i18n


@pytest.mark.parametrize("domain", i18n.domains())
def test_no_untranslated_strings(domain):
    missing = i18n.untranslated(domain)
    assert missing == [], f"{domain}: {len(missing)} strings without a zh translation, e.g. {missing[:5]}"


@pytest.mark.parametrize("domain", i18n.domains())
def test_compiled_catalogue_is_current(domain):
    po = i18n.po_path(domain, "zh")
    with po.open("rb") as fh:
        catalog = pofile.read_po(fh, locale="zh")
    with po.with_suffix(".mo").open("rb") as fh:
        compiled = mofile.read_mo(fh)
    expected = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    got = {m.id: m.string for m in compiled if m.id}
    assert got == expected, f"run `flask --app wsgi claimdesk i18n {domain}` to recompile"


def test_placeholders_survive_translation():
    for domain in i18n.domains():
        with i18n.po_path(domain, "zh").open("rb") as fh:
            for m in pofile.read_po(fh, locale="zh"):
                if not m.id or not m.string or isinstance(m.id, tuple):
                    continue
                import re

                assert sorted(re.findall(r"%\(\w+\)s", m.id)) == sorted(re.findall(r"%\(\w+\)s", m.string)), m.id


