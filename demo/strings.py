"""The page's words in each language: one table per language (demo/strings/LANG.json), the same
keys in each. Python reads them here (the status sentence, the model descriptions); the page's
JavaScript gets the same tables (demo/language.js). A value is a whole phrase or sentence with
{named} places, filled in by `say` here and by `say` in language.js, so no sentence is glued
together from one language's fragments."""
import json
from pathlib import Path

LANGUAGES = ("en", "zh-CN")  # the first is the default
TABLES = {language: json.loads((Path(__file__).parent / "strings" / f"{language}.json").read_text(encoding="utf-8"))
          for language in LANGUAGES}


def language_or_default(language) -> str:
    """A known language code as given, or a clear error."""
    if language in (None, ""):
        return LANGUAGES[0]
    if language not in LANGUAGES:
        shown = repr(language)[:40]
        raise ValueError(f"unknown language {shown}: choose one of {', '.join(LANGUAGES)}")
    return language


def say(key: str, language: str = LANGUAGES[0], **values) -> str:
    """The phrase `key` in `language`, its {places} filled with `values`."""
    return TABLES[language][key].format(**values)


def table(language: str, *prefixes: str) -> dict[str, str]:
    """The phrases of one language whose keys start with one of `prefixes` (what a part of the page needs)."""
    return {key: text for key, text in TABLES[language].items() if key.startswith(prefixes)}
