"""`losi indicators`: list a catalog's indicators, or explain one (its rule, concepts, terms, URL patterns)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any, TextIO

from indicators.catalog import MODES, Catalog, CatalogError, Indicator, available_catalogs, load_catalog
from indicators.lexicon import Lexicon, LexiconError

EPILOG = """examples:
  losi indicators                         all 95 LOSI 2024 indicators as a table
  losi indicators 214                     explain #214: question, rule, concepts and their terms
  losi indicators 214 --lang uz,ru        ... with the terms of Uzbek and Russian only
  losi indicators --framework osi-2024 --format csv > osi.csv
  losi indicators 296 --format json
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "List the indicators of a catalog, or explain one indicator."
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("code", nargs="?", help="indicator code to explain (e.g. 214, 225a); omit to list all")
    parser.add_argument("--framework", default="losi-2024", help="catalog id (default: losi-2024)")
    parser.add_argument("--lang", default="", help="languages whose terms to show, comma-separated (default: all)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")


def _rule_text(rule_id: str | None) -> str:
    if not rule_id:
        return "none: a person decides"
    try:
        from assessors.registry import get_rule

        rule = get_rule(rule_id)
    except Exception:  # the rules package may not exist yet or may fail to import
        rule = None
    if rule is None:
        return f"{rule_id} (rule not implemented)"
    return f"{rule.id}: {rule.description}\n    how it decides: {rule.help}"


def _rows(catalog: Catalog) -> list[dict[str, str]]:
    return [
        {"code": i.code, "criterion": i.criterion, "mode": i.mode, "rule": i.rule or "-", "name": i.name}
        for i in catalog.indicators
    ]


def _mode_summary(catalog: Catalog) -> str:
    """How many indicators a machine decides, proposes for a person to confirm, or leaves to a person."""
    counts = {mode: sum(i.mode == mode for i in catalog.indicators) for mode in MODES}
    without_rule = sum(i.rule is None for i in catalog.indicators)
    return (f"{len(catalog.indicators)} indicators: {counts['automated']} automated, {counts['semi-automated']} "
            f"semi-automated (a rule decides, a person confirms), {counts['human']} human "
            f"({without_rule} without a rule: a person decides)")  # fmt: skip


def _table(rows: list[dict[str, str]], out: TextIO) -> None:
    if not rows:
        return
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols}
    out.write("  ".join(c.upper().ljust(widths[c]) for c in cols).rstrip() + "\n")
    for r in rows:
        out.write("  ".join(r[c].ljust(widths[c]) for c in cols).rstrip() + "\n")


def _concepts(ind: Indicator, langs: list[str] | None) -> list[dict[str, Any]]:
    lexicon = Lexicon.load()
    shown = [code for code in lexicon.languages if not langs or code in langs]
    out = []
    for cid in ind.concepts:
        concept = lexicon.concepts.get(cid)
        out.append(
            {
                "id": cid,
                "description": concept.description if concept else "(unknown concept)",
                "terms": {code: lexicon.terms(cid, code) for code in shown if concept and lexicon.terms(cid, code)},
                "url_patterns": {
                    code: lexicon.url_patterns(cid, code)
                    for code in shown
                    if concept and lexicon.url_patterns(cid, code)
                },
            }
        )
    return out


def _explain(catalog: Catalog, ind: Indicator, langs: list[str] | None, fmt: str, out: TextIO) -> None:
    concepts = _concepts(ind, langs)
    if fmt == "json":
        data = {
            "framework": catalog.id,
            "code": ind.code,
            "criterion": ind.criterion,
            "criterion_name": catalog.criterion_name(ind.criterion),
            "name": ind.name,
            "question": ind.question,
            "yes_when": ind.yes_when,
            "mode": ind.mode,
            "rule": ind.rule,
            "rule_help": _rule_text(ind.rule),
            "params": ind.params,
            "concepts": concepts,
            "guidance": ind.guidance,
            "notes": ind.notes,
            "sector": ind.sector,
            "family": ind.family,
            "layer": ind.layer,
            "sites": list(ind.sites),
        }
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(["code", "concept", "lang", "kind", "value"])
        for c in concepts:
            for kind in ("terms", "url_patterns"):
                for lang, values in c[kind].items():
                    for value in values:
                        writer.writerow([ind.code, c["id"], lang, kind, value])
        return
    w = out.write
    w(f"#{ind.code}  {ind.name}  [{catalog.id}]\n")
    w(f"  criterion: {ind.criterion} ({catalog.criterion_name(ind.criterion)})\n")
    w(f"  question:  {ind.question}\n")
    w(f"  yes when:  {ind.yes_when}\n")
    w(f"  mode:      {ind.mode}\n")
    if ind.sector or ind.layer or ind.sites:
        where = ", ".join(ind.sites) or "national"
        w(f"  national:  sector {ind.sector or '-'}, family {ind.family or '-'}, EPI layer {ind.layer or '-'}, "
          f"looked for on: {where}{' (and the sector ministry)' if ind.sector else ''}\n")
    w(f"  rule:      {_rule_text(ind.rule)}\n")
    if ind.params:
        w(f"  params:    {json.dumps(ind.params, ensure_ascii=False)}\n")
    for c in concepts:
        w(f"  concept {c['id']}: {c['description']}\n")
        for lang, terms in c["terms"].items():
            w(f"    {lang} terms: {', '.join(terms)}\n")
        for lang, patterns in c["url_patterns"].items():
            w(f"    {lang} url:   {', '.join(patterns)}\n")
    if ind.guidance:
        w(f"  guidance:  {ind.guidance}\n")
    if ind.notes:
        w(f"  notes:     {ind.notes}\n")


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        catalog = load_catalog(args.framework)
    except CatalogError as exc:
        print(f"losi indicators: {exc}", file=sys.stderr)
        return 2
    langs = [x.strip().lower() for x in (getattr(args, "lang", "") or "").split(",") if x.strip()] or None
    fmt = getattr(args, "format", "table") or "table"
    if not args.code:
        rows = _rows(catalog)
        if fmt == "json":
            json.dump(rows, out, ensure_ascii=False, indent=2)
            out.write("\n")
        elif fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["code"])
            writer.writeheader()
            writer.writerows(rows)
        else:
            _table(rows, out)
            out.write(_mode_summary(catalog) + "\n")
        return 0
    code = str(args.code).lstrip("#").strip()
    ind = catalog.get(code)
    if ind is None:
        codes = ", ".join(i.code for i in catalog.indicators)
        print(
            f"losi indicators: no indicator {code!r} in {catalog.id} (frameworks: {', '.join(available_catalogs())}).\n"
            f"codes: {codes}",
            file=sys.stderr,
        )
        return 2
    try:
        _explain(catalog, ind, langs, fmt, out)
    except LexiconError as exc:
        print(f"losi indicators: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="losi indicators")
    configure(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
