"""Translation catalogues, one per domain (so domains never edit the same file).

`flask --app wsgi claimdesk i18n DOMAIN` extracts the domain's strings (its package and its
templates folder), updates its zh catalogue and compiles every catalogue. The shared UI (base
layout, macros, core, auth, customers) is the domain `core`, kept in claimdesk/translations.
"""
from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages import mofile, pofile
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

from .domains import DOMAINS

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
LOCALES = ("zh",)
CORE_SOURCES = ["claimdesk/core", "claimdesk/auth", "claimdesk/cases", "claimdesk/customers", "claimdesk/jobs",
                "claimdesk/app.py",
                "claimdesk/cli.py", "claimdesk/demo.py", "templates/base.html", "templates/macros.html",
                "templates/core", "templates/auth", "templates/errors", "templates/customers"]
METHOD_MAP = [("**.py", "python"), ("**.html", "jinja2")]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.do"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "lazy_ngettext": (1, 2)}


def domains() -> list[str]:
    return ["core"] + [d for d in DOMAINS if d not in ("core", "auth", "customers")
                       and (PACKAGE / d).is_dir()]


def sources(domain: str) -> list[Path]:
    if domain == "core":
        return [ROOT / s for s in CORE_SOURCES]
    return [PACKAGE / domain, ROOT / "templates" / domain]


def catalogue_dir(domain: str) -> Path:
    return PACKAGE / "translations" if domain == "core" else PACKAGE / domain / "translations"


def extract(domain: str) -> Catalog:
    catalog = Catalog(project="claimdesk")
    for src in sources(domain):
        if not src.exists():
            continue
        if src.is_file():
            results = _extract_file(src)
        else:
            results = ((src / fn, lineno, msg, comments, ctx)
                       for fn, lineno, msg, comments, ctx in extract_from_dir(
                           str(src), METHOD_MAP, OPTIONS, keywords=KEYWORDS))
        for path, lineno, message, comments, context in results:
            catalog.add(message, None, [(str(Path(path).relative_to(ROOT) if Path(path).is_absolute()
                                             else path), lineno)], auto_comments=comments, context=context)
    return catalog


def _extract_file(path: Path):
    from babel.messages.extract import extract as extract_stream

    method = "jinja2" if path.suffix == ".html" else "python"
    with path.open("rb") as fh:
        for lineno, message, comments, context in extract_stream(
                method, fh, keywords=KEYWORDS, options=OPTIONS.get("**.html", {}) if method == "jinja2" else {}):
            yield path, lineno, message, comments, context


def po_path(domain: str, locale: str) -> Path:
    return catalogue_dir(domain) / locale / "LC_MESSAGES" / "messages.po"


def update(domain: str) -> tuple[int, list[str]]:
    """Merge freshly extracted strings into the domain's catalogues; returns (count, untranslated)."""
    template = extract(domain)
    missing: list[str] = []
    for locale in LOCALES:
        path = po_path(domain, locale)
        if path.exists():
            with path.open("rb") as fh:
                catalog = pofile.read_po(fh, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="claimdesk")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            pofile.write_po(fh, catalog, width=100, sort_output=True)
        missing += [m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and not m.string]
    compile_all()
    return len(template), missing


def compile_all() -> None:
    for domain in domains():
        for locale in LOCALES:
            path = po_path(domain, locale)
            if not path.exists():
                continue
            with path.open("rb") as fh:
                catalog = pofile.read_po(fh, locale=locale)
            buf = BytesIO()
            mofile.write_mo(buf, catalog, use_fuzzy=False)
            path.with_suffix(".mo").write_bytes(buf.getvalue())


def untranslated(domain: str, locale: str = "zh") -> list[str]:
    """msgids used in the domain's code and templates that have no translation (or a fuzzy one)."""
    template = extract(domain)
    path = po_path(domain, locale)
    translated: dict = {}
    if path.exists():
        with path.open("rb") as fh:
            for m in pofile.read_po(fh, locale=locale):
                if m.id and m.string and not m.fuzzy:
                    translated[m.id] = m.string
    return [m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id and m.id not in translated]
