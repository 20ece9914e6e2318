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

