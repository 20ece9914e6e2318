"""Every catalogue is complete and compiled: Russian is the default language of the whole UI."""

import gettext
import json
import re
from pathlib import Path

import pytest
from django.conf import settings

CATALOGUES = sorted(
    p
    for p in Path(settings.BASE_DIR).glob("**/locale/ru/LC_MESSAGES/django.po")
    if ".venv" not in p.parts
)


def parse_po(path: Path) -> dict[str, str]:
    entries, fuzzy = {}, []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith("#~")]
        if any(line.startswith("#,") and "fuzzy" in line for line in lines):
            fuzzy.append(block)
        fields, current = {}, None
        for line in lines:
            match = re.match(r"^(msgid|msgid_plural|msgstr(?:\[\d\])?|msgctxt) (\".*\")$", line)
            if match:
                current = match.group(1)
                fields[current] = json.loads(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += json.loads(line)
        if fields.get("msgid"):
            key = (
                fields["msgid"]
                if "msgctxt" not in fields
                else f"{fields['msgctxt']}\x04{fields['msgid']}"
            )
            entries[key] = fields.get("msgstr", fields.get("msgstr[0]", ""))
    assert not fuzzy, f"{path}: fuzzy entries {fuzzy[:3]}"
    return entries


def test_there_are_catalogues():
    assert CATALOGUES


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_catalogue_is_translated_and_compiled(po: Path):
    entries = parse_po(po)
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert not untranslated, f"untranslated in {po}: {untranslated[:5]}"
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} missing: run make messages"
    with mo.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = [
        msgid
        for msgid, msgstr in entries.items()
        if "\x04" not in msgid and compiled.gettext(msgid) != msgstr
    ]
    assert not stale, f"{mo} is older than {po.name}: run make messages ({stale[:3]})"


def test_every_msgid_of_ours_resolves_to_our_translation():
    """Django's and third-party catalogues share msgids with ours ("Home", "Email", "Search",
    "Filter", "name", "active"…): ours must win (LOCALE_PATHS), or a client's questionnaire reads
    «Начало» for "Home"."""
    from django.utils import translation

    ours: dict[str, set[str]] = {}
    for po in CATALOGUES:
        for key, msgstr in parse_po(po).items():
            if msgstr:
                ours.setdefault(key, set()).add(msgstr)
    foreign = []
    with translation.override("ru"):
        for key, translations in ours.items():
            if "\x04" in key:
                context, msgid = key.split("\x04", 1)
                got = translation.pgettext(context, msgid)
            else:
                msgid, got = key, translation.gettext(key)
            if got not in translations:
                foreign.append((msgid, got, sorted(translations)))
    assert not foreign, f"{len(foreign)} msgids read another catalogue: {foreign[:10]}"


def test_no_msgid_is_translated_two_ways_by_our_apps():
    """Gettext keeps one translation per msgid for the whole process: if two of our catalogues
    disagree, one app silently shows the other's words (a backup drill read «Оплачен», a queued
    Telegram message «Ожидает оплаты»). Where the meaning really differs, the msgids must differ."""
    seen: dict[str, dict[str, list[str]]] = {}
    for po in CATALOGUES:
        app = str(po.relative_to(settings.BASE_DIR).parts[0])
        for key, msgstr in parse_po(po).items():
            if msgstr:
                seen.setdefault(key, {}).setdefault(msgstr, []).append(app)
    clashes = {key: found for key, found in seen.items() if len(found) > 1}
    assert not clashes, f"{len(clashes)} msgids translated differently: {list(clashes.items())[:5]}"


# --- The catalogues match the source ------------------------------------------------------------

XGETTEXT = [
    "xgettext",
    "--language=Python",
    "--from-code=UTF-8",
    "--no-location",
    "--keyword=gettext_noop",
    "--keyword=gettext_lazy",
    "--keyword=ngettext_lazy:1,2",
    "--keyword=pgettext:1c,2",
    "--keyword=npgettext:1c,2,3",
    "--keyword=pgettext_lazy:1c,2",
    "--keyword=npgettext_lazy:1c,2,3",
    "--output=-",
]
SKIPPED_DIRS = {".venv", "var", "staticfiles", "media", "node_modules", "__pycache__", ".git"}


def _catalogue_of(path: Path) -> Path:
    """Where makemessages files a source: its app's catalogue, else the project's locale/."""
    base = Path(settings.BASE_DIR)
    top = path.relative_to(base).parts[0]
    own = base / top / "locale"
    home = (
        own if own.is_dir() and own in [Path(p) for p in settings.LOCALE_PATHS] else base / "locale"
    )
    return home / "ru" / "LC_MESSAGES" / "django.po"


def source_msgids() -> dict[Path, set[str]]:
    """Every msgid our Python code and templates mark for translation, by the catalogue it belongs
    in — extracted the way makemessages does (xgettext over the code and templatized templates)."""
    import shutil
    import subprocess
    import tempfile

    from django.utils.translation.template import templatize

    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext) is needed to compare the catalogues with the source")
    base = Path(settings.BASE_DIR)
    by_catalogue: dict[Path, list[Path]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in base.rglob("*"):
            parts = set(path.relative_to(base).parts)
            if parts & SKIPPED_DIRS or path.suffix not in (".py", ".html", ".txt"):
                continue
            if path.suffix == ".py":
                source = path
            else:
                if "templates" not in parts:
                    continue
                text = path.read_text(encoding="utf-8")
                if "trans" not in text and "_(" not in text:
                    continue
                source = Path(tmp) / f"{len(list(Path(tmp).iterdir()))}.py"
                source.write_text(templatize(text, origin=str(path)), encoding="utf-8")
            by_catalogue.setdefault(_catalogue_of(path), []).append(source)
        found: dict[Path, set[str]] = {}
        for catalogue, files in by_catalogue.items():
            pot = subprocess.run(
                [*XGETTEXT, *map(str, files)], capture_output=True, text=True, check=True
            ).stdout
            pot_path = Path(tmp) / "messages.pot"
            # The header (msgid "") is marked fuzzy by xgettext; it names the charset, so keep it.
            pot_path.write_text(pot.replace("#, fuzzy\n", "", 1), encoding="utf-8")
            found[catalogue] = set(parse_po(pot_path))
    return found


def test_every_msgid_in_our_source_is_translated_in_its_own_catalogue():
    """A string marked in the code or a template but missing from (or empty in) its app's catalogue
    shows in English, or in whatever another catalogue says; an entry no source uses any more is
    dead weight that can still win for a shared msgid. Both directions are checked."""
    problems = []
    for catalogue, msgids in source_msgids().items():
        name = catalogue.relative_to(settings.BASE_DIR)
        entries = parse_po(catalogue) if catalogue.exists() else {}
        missing = sorted(m for m in msgids if not entries.get(m))
        # Context entries may be looked up through a helper xgettext cannot follow (desk's
        # pgettext(COLUMN, title) for spreadsheet columns); only plain msgids must be in the source.
        unused = sorted(m for m in set(entries) - msgids if "\x04" not in m)
        if missing:
            problems.append(f"{name}: {len(missing)} untranslated or missing: {missing[:5]}")
        if unused:
            problems.append(f"{name}: {len(unused)} not in the source: {unused[:5]}")
    assert not problems, "\n".join(problems)
