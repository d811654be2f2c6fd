"""The run store: runs, portals, pages, findings and review decisions (SQLAlchemy Core).

SQLite under the data directory by default (no server); PostgreSQL by URL for teams that share results.
Every write that belongs together happens in one transaction, so a run killed half-way leaves the store
consistent: a portal either has its complete set of findings from one assessment, or none.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from losi.models import Finding, PageDoc, PortalConfig, Verdict

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("started_at", String(32), nullable=False),
    Column("finished_at", String(32)),
    Column("status", String(16), nullable=False),  # running | finished | failed
    Column("data_dir", Text, nullable=False),
    Column("out_dir", Text),
    Column("note", Text),
)

portals = Table(
    "portals",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("portal_id", String(120), primary_key=True),
    Column("name", Text),
    Column("country", String(3)),
    Column("level", String(16)),
    Column("framework", String(40), nullable=False),
    Column("home_url", Text, nullable=False),
    Column("config", Text, nullable=False),  # PortalConfig as JSON
    Column("status", String(16), nullable=False),  # pending | crawled | assessed | not_assessed
    Column("reason", Text),
    Column("pages", Integer, default=0),
    Column("crawl_seconds", Float, default=0.0),
    Column("assessed_at", String(32)),
    ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
)

pages = Table(
    "pages",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("portal_id", String(120), primary_key=True),
    Column("url", Text, primary_key=True),
    Column("final_url", Text),
    Column("status", Integer),
    Column("title", Text),
    Column("lang", String(16)),
    Column("depth", Integer),
    Column("rendered", Integer),
    Column("screenshot", Text),
    Column("warc_offset", Integer),
    ForeignKeyConstraint(
        ["run_id", "portal_id"], ["portals.run_id", "portals.portal_id"], ondelete="CASCADE"
    ),
)

findings = Table(
    "findings",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("portal_id", String(120), primary_key=True),
    Column("indicator", String(16), primary_key=True),
    Column("framework", String(40), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("rule", String(64)),
    Column("method", String(16)),
    Column("explanation", Text),
    Column("data", Text, nullable=False),  # the whole Finding as JSON (evidence, looked_for, candidates...)
    ForeignKeyConstraint(
        ["run_id", "portal_id"], ["portals.run_id", "portals.portal_id"], ondelete="CASCADE"
    ),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), nullable=False),
    Column("portal_id", String(120), nullable=False),
    Column("indicator", String(16), nullable=False),
    Column("reviewer", String(120), nullable=False),
    Column("decision", String(16), nullable=False),  # a Verdict value
    Column("comment", Text),
    Column("decided_at", String(32), nullable=False),
    Column("source", Text),  # the file it was imported from
    ForeignKeyConstraint(
        ["run_id", "portal_id"], ["portals.run_id", "portals.portal_id"], ondelete="CASCADE"
    ),
)

# Who is assessing a portal of a run now (distributed runs): a lease kept alive by the worker's heartbeat.
# A claim whose heartbeat is older than the run's lease is stale: its worker was lost, another may take it.
claims = Table(
    "claims",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("portal_id", String(120), primary_key=True),
    Column("token", String(40), nullable=False),  # "" once released
    Column("worker", Text, nullable=False),  # host:pid of the process that holds (or last held) it
    Column("claimed_at", Float, nullable=False),  # time.time() of the holder's machine
    Column("heartbeat", Float, nullable=False),  # 0 once released or expired
    Column("attempts", Integer, nullable=False),  # how many times the portal was taken (1 = never lost)
    ForeignKeyConstraint(
        ["run_id", "portal_id"], ["portals.run_id", "portals.portal_id"], ondelete="CASCADE"
    ),
)


class StoreError(RuntimeError):
    """The store cannot be opened or written; the message says why."""


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


@dataclass(frozen=True)
class Review:
    run_id: str
    portal_id: str
    indicator: str
    reviewer: str
    decision: Verdict
    comment: str = ""
    decided_at: str = ""
    source: str = ""


class ClaimLost(RuntimeError):
    """This worker's claim on a portal went stale and another worker took it: its writes are refused."""


@dataclass(frozen=True)
class Claim:
    run_id: str
    portal_id: str
    token: str
    worker: str
    attempts: int


@dataclass(frozen=True)
class StoredFinding:
    run_id: str
    portal_id: str
    framework: str
    finding: Finding


SQLITE_BUSY_MS = 10_000  # how long a statement waits for another process's lock on the SQLite store


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'losi.sqlite'}"


class Store:
    def __init__(self, url: str | None = None, data_dir: Path | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir else Path("data").resolve()
        if url is None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            url = default_url(self.data_dir)
        self.url = url
        self.fence: Claim | None = None  # set: every write checks, in its own transaction, that this claim holds
        try:
            self.engine: Engine = create_engine(url, future=True)
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _sqlite_pragmas)
            self._create_tables()
        except ImportError as exc:  # the database driver of the URL's dialect is not installed
            raise StoreError(f"cannot open the store at {_safe_url(url)}: {missing_driver(url, exc)}") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the store at {_safe_url(url)}: {exc}") from exc

    def _create_tables(self) -> None:
        """create_all checks, then creates: two processes opening a new store at once can both see a table
        missing and one then fails with "already exists". Each such failure means another process created
        a table or index, so after at most one failure per table and index all of them are there."""
        attempts = sum(1 + len(table.indexes) for table in metadata.tables.values()) + 1
        for attempt in range(attempts):
            try:
                metadata.create_all(self.engine)
                return
            except SQLAlchemyError as exc:
                if "already exists" not in str(exc) or attempt == attempts - 1:
                    raise

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            if self.fence is not None:  # a distributed worker writes only while it holds the portal's claim
                _check_claim(conn, self.fence)
            yield conn

    def close(self) -> None:
        self.engine.dispose()

    # ----------------------------------------------------------------------------------------- runs
    def create_run(self, out_dir: Path | str | None = None, note: str = "", run_id: str | None = None) -> str:
        run_id = run_id or new_run_id()
        with self._tx() as conn:
            conn.execute(
                insert(runs).values(
                    id=run_id,
                    started_at=now_iso(),
                    status="running",
                    data_dir=str(self.data_dir),
                    out_dir=str(out_dir) if out_dir else None,
                    note=note,
                )
            )
        return run_id

    def finish_run(self, run_id: str, status: str = "finished") -> None:
        with self._tx() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(status=status, finished_at=now_iso()))

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
        return dict(row) if row else None

    def latest_run_id(self) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(runs.c.id).order_by(runs.c.started_at.desc(), runs.c.id.desc())
            ).scalar()

    def list_runs(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(runs).order_by(runs.c.started_at, runs.c.id)).mappings().all()
        return [dict(r) for r in rows]

    # -------------------------------------------------------------------------------------- portals
    def add_portal(self, run_id: str, portal: PortalConfig) -> None:
        with self._tx() as conn:
            conn.execute(
                insert(portals).values(
                    run_id=run_id,
                    portal_id=portal.id,
                    name=portal.name,
                    country=portal.country,
                    level=portal.level,
                    framework=portal.framework,
                    home_url=portal.home_url,
                    config=json.dumps(portal.to_dict(), ensure_ascii=False),
                    status="pending",
                    pages=0,
                    crawl_seconds=0.0,
                )
            )

    def set_portal_status(
        self,
        run_id: str,
        portal_id: str,
        status: str,
        reason: str = "",
        pages_count: int | None = None,
        crawl_seconds: float | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "reason": reason}
        if pages_count is not None:
            values["pages"] = pages_count
        if crawl_seconds is not None:
            values["crawl_seconds"] = crawl_seconds
        with self._tx() as conn:
            conn.execute(
                update(portals)
                .where(portals.c.run_id == run_id, portals.c.portal_id == portal_id)
                .values(**values)
            )

    def portals(self, run_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(portals).where(portals.c.run_id == run_id)).mappings().all()
        return [dict(r) for r in rows]

    def portal_config(self, run_id: str, portal_id: str) -> PortalConfig | None:
        with self.engine.connect() as conn:
            raw = conn.execute(
                select(portals.c.config).where(portals.c.run_id == run_id, portals.c.portal_id == portal_id)
            ).scalar()
        return PortalConfig.from_dict(json.loads(raw)) if raw else None

    # ---------------------------------------------------------------------------------------- pages
    def save_pages(self, run_id: str, portal_id: str, docs: Iterable[PageDoc]) -> None:
        rows = [
            {
                "run_id": run_id,
                "portal_id": portal_id,
                "url": d.url,
                "final_url": d.final_url,
                "status": d.status,
                "title": d.title[:500],
                "lang": d.lang_detected or d.lang_declared,
                "depth": d.depth,
                "rendered": int(d.rendered),
                "screenshot": d.screenshot,
                "warc_offset": d.warc_offset,
            }
            for d in docs
        ]
        seen: set[str] = set()
        unique = [r for r in rows if not (r["url"] in seen or seen.add(r["url"]))]
        with self._tx() as conn:
            conn.execute(delete(pages).where(pages.c.run_id == run_id, pages.c.portal_id == portal_id))
            if unique:
                conn.execute(insert(pages), unique)

    def pages(self, run_id: str, portal_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(select(pages).where(pages.c.run_id == run_id, pages.c.portal_id == portal_id))
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    # ------------------------------------------------------------------------------------- findings
    def save_findings(self, run_id: str, portal_id: str, framework: str, items: list[Finding]) -> None:
        """Replace the portal's findings in one transaction and mark the portal assessed."""
        rows = [
            {
                "run_id": run_id,
                "portal_id": portal_id,
                "indicator": f.indicator,
                "framework": framework,
                "verdict": f.verdict.value,
                "confidence": float(f.confidence),
                "rule": f.rule,
                "method": f.method,
                "explanation": f.explanation,
                "data": json.dumps(f.to_dict(), ensure_ascii=False),
            }
            for f in items
        ]
        with self._tx() as conn:
            conn.execute(
                delete(findings).where(findings.c.run_id == run_id, findings.c.portal_id == portal_id)
            )
            if rows:
                conn.execute(insert(findings), rows)
            conn.execute(
                update(portals)
                .where(portals.c.run_id == run_id, portals.c.portal_id == portal_id)
                .values(assessed_at=now_iso())
            )

    def findings(self, run_id: str, portal_id: str | None = None) -> list[StoredFinding]:
        query = select(findings.c.portal_id, findings.c.framework, findings.c.data).where(
            findings.c.run_id == run_id
        )
        if portal_id is not None:
            query = query.where(findings.c.portal_id == portal_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            StoredFinding(run_id, r.portal_id, r.framework, Finding.from_dict(json.loads(r.data)))
            for r in rows
        ]

    # -------------------------------------------------------------------------------------- reviews
    def add_reviews(self, items: list[Review]) -> None:
        """Record review decisions, all or none."""
        rows = [
            {
                "run_id": r.run_id,
                "portal_id": r.portal_id,
                "indicator": r.indicator,
                "reviewer": r.reviewer,
                "decision": Verdict(r.decision).value,
                "comment": r.comment,
                "decided_at": r.decided_at or now_iso(),
                "source": r.source,
            }
            for r in items
        ]
        if rows:
            with self._tx() as conn:
                conn.execute(insert(reviews), rows)

    def reviews(self, run_id: str, portal_id: str | None = None) -> list[Review]:
        query = select(reviews).where(reviews.c.run_id == run_id).order_by(reviews.c.decided_at, reviews.c.id)
        if portal_id is not None:
            query = query.where(reviews.c.portal_id == portal_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            Review(
                run_id=r["run_id"],
                portal_id=r["portal_id"],
                indicator=r["indicator"],
                reviewer=r["reviewer"],
                decision=Verdict(r["decision"]),
                comment=r["comment"] or "",
                decided_at=r["decided_at"],
                source=r["source"] or "",
            )
            for r in rows
        ]

    # --------------------------------------------------------------------------------------- claims
    def claim(self, run_id: str, portal_id: str, worker: str, lease_seconds: float) -> Claim | None:
        """Take the portal for this worker: when nobody holds it, or its holder's heartbeat is older than
        lease_seconds (the holder was lost). None while another worker holds it. Atomic on both databases:
        the first claim is an insert (the primary key admits one), a takeover a conditional update."""
        now = time.time()
        token = secrets.token_hex(16)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(claims).values(run_id=run_id, portal_id=portal_id, token=token, worker=worker,
                                                   claimed_at=now, heartbeat=now, attempts=1))  # fmt: skip
            return Claim(run_id, portal_id, token, worker, 1)
        except IntegrityError:
            pass  # claimed before (now or earlier): take it over if its holder is gone
        where = (claims.c.run_id == run_id, claims.c.portal_id == portal_id)
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(claims)
                .where(*where, claims.c.heartbeat < now - lease_seconds)
                .values(token=token, worker=worker, claimed_at=now, heartbeat=now, attempts=claims.c.attempts + 1)
            ).rowcount
            if not taken:
                return None
            attempts = conn.execute(select(claims.c.attempts).where(*where)).scalar_one()
        return Claim(run_id, portal_id, token, worker, int(attempts))

    def heartbeat(self, claim: Claim) -> bool:
        """Keep the claim alive; False when it was lost (taken over, or released)."""
        with self.engine.begin() as conn:
            return bool(conn.execute(
                update(claims)
                .where(claims.c.run_id == claim.run_id, claims.c.portal_id == claim.portal_id,
                       claims.c.token == claim.token)
                .values(heartbeat=time.time())
            ).rowcount)  # fmt: skip

    def release(self, claim: Claim) -> None:
        """Give the claim up (the portal is finished, or this worker stops): nobody holds it any more."""
        with self.engine.begin() as conn:
            conn.execute(
                update(claims)
                .where(claims.c.run_id == claim.run_id, claims.c.portal_id == claim.portal_id,
                       claims.c.token == claim.token)
                .values(token="", heartbeat=0.0)
            )  # fmt: skip

    def expire_claims(self, run_id: str, portal_id: str, worker: str | None = None) -> int:
        """Mark a portal's claim stale at once (its holder is known to be dead): the next delivery takes it."""
        query = update(claims).where(claims.c.run_id == run_id, claims.c.portal_id == portal_id,
                                     claims.c.token != "")  # fmt: skip
        if worker is not None:
            query = query.where(claims.c.worker == worker)
        with self.engine.begin() as conn:
            return int(conn.execute(query.values(heartbeat=0.0)).rowcount)

    def claims(self, run_id: str) -> dict[str, dict[str, Any]]:
        """portal id -> its claim row (token, worker, claimed_at, heartbeat, attempts)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(claims).where(claims.c.run_id == run_id)).mappings().all()
        return {r["portal_id"]: dict(r) for r in rows}

    # -------------------------------------------------------------------------------------- history
    def runs_of_portal(self, portal_id: str) -> list[dict[str, Any]]:
        """Every run that assessed this portal, oldest first, with the run's start time."""
        query = (
            select(portals, runs.c.started_at)
            .join(runs, runs.c.id == portals.c.run_id)
            .where(portals.c.portal_id == portal_id)
            .order_by(runs.c.started_at, runs.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [dict(r) for r in rows]


def _check_claim(conn: Connection, claim: Claim) -> None:
    """Inside a write transaction: refresh the claim's heartbeat, or raise ClaimLost. The update locks the
    claim's row (PostgreSQL) or the database (SQLite) until the transaction ends, so a takeover cannot slip
    in between this check and the writes that follow it."""
    held = conn.execute(
        update(claims)
        .where(claims.c.run_id == claim.run_id, claims.c.portal_id == claim.portal_id, claims.c.token == claim.token)
        .values(heartbeat=time.time())
    ).rowcount
    if not held:
        raise ClaimLost(f"portal {claim.portal_id} of run {claim.run_id} was taken over by another worker "
                        f"(this one, {claim.worker}, stopped answering for longer than the lease)")  # fmt: skip


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")  # first: the statements below may wait for other processes
    cur.execute("PRAGMA foreign_keys=ON")
    _use_wal(cur)
    cur.close()


def _use_wal(cur: Any) -> None:
    """Put the database file in WAL mode (readers never wait for the writer).

    WAL is a property of the file, so after the first open there is nothing to do and no lock is taken.
    Converting needs the file to itself, and when another process is opening it at the same moment SQLite
    can answer "locked" at once instead of waiting; then this waits and tries again."""
    deadline = time.monotonic() + SQLITE_BUSY_MS / 1000
    pause = 0.01
    while True:
        try:
            if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return
            cur.execute("PRAGMA journal_mode=WAL")  # a file system without WAL support keeps its mode: fine
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


DRIVER_HINTS = {  # the module a dialect imports -> how a user gets it
    "psycopg": "pip install 'losi[distributed]' (or: pip install 'psycopg[binary]')",
    "psycopg2": "use a postgresql+psycopg:// URL with pip install 'losi[distributed]', or pip install psycopg2-binary",
    "asyncpg": "use a postgresql+psycopg:// URL with pip install 'losi[distributed]'",
}


def missing_driver(url: str, exc: ImportError) -> str:
    """One sentence: which database driver is missing for this URL and how to install it."""
    module = (exc.name or "").split(".")[0]
    if not module:
        return f"its database driver cannot be imported ({exc})"
    hint = DRIVER_HINTS.get(module, f"pip install {module}")
    scheme = url.split("://", 1)[0]
    return f"the database driver for {scheme}:// URLs ({module}) is not installed: {hint}"


def _safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" not in creds:
            return url
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url
