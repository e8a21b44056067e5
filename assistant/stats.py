"""Statistics for the policy office, all from the journal's indexed tables.

Definitions (the README states them too):
- conversations per day and channel: by the day (UTC) a conversation started;
- questions per programme: answered turns whose reply listed an estimate of the programme;
- estimates given per programme: per conversation, the estimates of the last turn that listed the programme
  which carried a figure (ceiling_yuan not null); the sum of ceilings adds those figures;
- facts most often missing: in how many conversations a reply said the fact was still needed;
- out-of-scope questions: grouped by meaning with the bundled embedding;
- 👎: every answer rated down, with the person's reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.journal import Journal

GROUP_DISTANCE = 0.45  # cosine distance under which two out-of-scope questions are the same request
MAX_GROUPED = 500  # the most recent out-of-scope questions grouped


@dataclass(frozen=True)
class Period:
    since: dt.date | None = None
    until: dt.date | None = None

    def sessions(self) -> tuple[str, tuple]:
        """A sub-query of the conversations that started in the period."""
        clauses, params = [], []
        if self.since:
            clauses.append("started_at >= ?")
            params.append(self.since.isoformat())
        if self.until:
            clauses.append("started_at < ?")
            params.append((self.until + dt.timedelta(days=1)).isoformat())
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return f"SELECT session_id FROM journal_conversations{where}", tuple(params)


def per_day_channel(journal: Journal, period: Period) -> list[dict[str, Any]]:
    sub, params = period.sessions()
    rows = journal.query(f"SELECT substr(started_at, 1, 10), COALESCE(channel, 'unknown'), COUNT(*) FROM journal_conversations "
                         f"WHERE session_id IN ({sub}) GROUP BY 1, 2 ORDER BY 1, 2", params)
    return [{"day": d, "channel": c, "conversations": n} for d, c, n in rows]


def per_programme(journal: Journal, period: Period, titles: dict[str, str]) -> list[dict[str, Any]]:
    sub, params = period.sessions()
    questions = dict(journal.query(
        f"SELECT program_id, COUNT(*) FROM (SELECT DISTINCT session_id, turn, program_id FROM journal_estimates "
        f"WHERE session_id IN ({sub})) GROUP BY program_id", params))
    given = journal.query(
        f"WITH last AS (SELECT session_id, program_id, MAX(turn) AS turn FROM journal_estimates "
        f"WHERE session_id IN ({sub}) GROUP BY session_id, program_id) "
        f"SELECT e.program_id, MIN(e.article), COUNT(DISTINCT e.session_id), SUM(e.ceiling_yuan IS NOT NULL), "
        f"COALESCE(SUM(e.ceiling_yuan), 0) FROM journal_estimates e JOIN last ON e.session_id = last.session_id "
        f"AND e.program_id = last.program_id AND e.turn = last.turn GROUP BY e.program_id", params)
    rows = [{"program_id": p, "article": a, "title": titles.get(p, p), "questions": questions.get(p, 0), "conversations": c,
             "estimates_given": int(n), "sum_ceiling_yuan": int(s)} for p, a, c, n, s in given]
    return sorted(rows, key=lambda r: (-r["questions"], r["program_id"]))


def missing_facts(journal: Journal, period: Period, top: int = 20) -> list[dict[str, Any]]:
    sub, params = period.sessions()
    rows = journal.query(f"SELECT fact, COUNT(DISTINCT session_id), COUNT(*) FROM journal_missing WHERE session_id IN ({sub}) "
                         f"GROUP BY fact ORDER BY 2 DESC, 3 DESC, fact LIMIT ?", (*params, top))
    return [{"fact": f, "conversations": c, "turns": t} for f, c, t in rows]


def thumbs_down(journal: Journal, period: Period, limit: int = 200) -> list[dict[str, Any]]:
    sub, params = period.sessions()
    rows = journal.query(
        f"SELECT f.session_id, f.turn, f.reason, f.at, t.message FROM feedback f LEFT JOIN journal_turns t "
        f"ON t.session_id = f.session_id AND t.turn = f.turn WHERE f.rating = 'down' AND f.session_id IN ({sub}) "
        f"ORDER BY f.at DESC LIMIT ?", (*params, limit))
    return [{"session_id": s, "turn": n, "reason": r, "at": a, "message": m} for s, n, r, a, m in rows]


def out_of_scope_questions(journal: Journal, period: Period) -> list[dict[str, Any]]:
    sub, params = period.sessions()
    rows = journal.query(
        f"SELECT t.session_id, t.turn, t.message FROM journal_turns t JOIN journal_turn_flags f ON f.session_id = t.session_id "
        f"AND f.turn = t.turn WHERE f.in_scope = 0 AND t.session_id IN ({sub}) ORDER BY t.at DESC LIMIT ?", (*params, MAX_GROUPED))
    return [{"session_id": s, "turn": n, "message": m} for s, n, m in rows]


def group_similar(texts: list[str], embed: Callable[[list[str]], list[list[float]]],
                  distance: float = GROUP_DISTANCE) -> list[list[int]]:
    """Indexes of `texts` grouped by meaning (average-linkage agglomerative clustering on cosine distance,
    cut at `distance`), biggest group first."""
    if not texts:
        return []
    unique = list(dict.fromkeys(texts))
    if len(unique) == 1:
        labels = [0]
    else:
        from sklearn.cluster import AgglomerativeClustering

        model = AgglomerativeClustering(n_clusters=None, distance_threshold=distance, metric="cosine", linkage="average")
        labels = model.fit_predict(embed(unique)).tolist()
    label_of = dict(zip(unique, labels, strict=True))
    groups: dict[int, list[int]] = {}
    for i, text in enumerate(texts):
        groups.setdefault(label_of[text], []).append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def out_of_scope_groups(journal: Journal, period: Period, embed) -> list[dict[str, Any]]:
    questions = out_of_scope_questions(journal, period)
    groups = group_similar([q["message"] for q in questions], embed) if embed else [[i] for i in range(len(questions))]
    return [{"size": len(g), "example": questions[g[0]]["message"],
             "questions": list(dict.fromkeys(questions[i]["message"] for i in g))[:20]} for g in groups]


def totals(journal: Journal, period: Period) -> dict[str, int]:
    sub, params = period.sessions()
    row = journal.query(f"SELECT COUNT(*), COALESCE(SUM(turns), 0), COALESCE(SUM(out_of_scope > 0), 0), "
                        f"COALESCE(SUM(confirm > 0), 0), COALESCE(SUM(down), 0), COALESCE(SUM(up), 0) "
                        f"FROM journal_conversations WHERE session_id IN ({sub})", params)[0]
    keys = ("conversations", "turns", "conversations_out_of_scope", "conversations_asked_to_confirm", "thumbs_down", "thumbs_up")
    return dict(zip(keys, (int(v) for v in row), strict=True))


def statistics(journal: Journal, period: Period, titles: dict[str, str], embed=None) -> dict[str, Any]:
    return {"since": period.since.isoformat() if period.since else None,
            "until": period.until.isoformat() if period.until else None,
            "totals": totals(journal, period),
            "per_day_channel": per_day_channel(journal, period),
            "per_programme": per_programme(journal, period, titles),
            "missing_facts": missing_facts(journal, period),
            "out_of_scope_groups": out_of_scope_groups(journal, period, embed),
            "thumbs_down": thumbs_down(journal, period)}


TABLES = {"per_day_channel", "per_programme", "missing_facts", "out_of_scope_groups", "thumbs_down"}


def to_csv(rows: list[dict[str, Any]]) -> str:
    """One statistics table as CSV (UTF-8 with a BOM, so Excel opens the Chinese right)."""
    out = io.StringIO()
    out.write("\ufeff")
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "；".join(v) if isinstance(v, list) else v for k, v in row.items()})
    return out.getvalue()
