"""The statistics page's charts, drawn by matplotlib (Agg, PNG) from the statistics tables."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

CHARTS = ("per_day_channel", "per_programme", "ceilings_per_programme", "missing_facts")
_font_ready: dict[str, str | None] = {}


def _font(font_path: Path) -> str | None:
    """Register the CJK font once so Chinese labels are not boxes; None (DejaVu) when it is absent."""
    key = str(font_path)
    if key not in _font_ready:
        from matplotlib import font_manager

        name = None
        if font_path.is_file():
            font_manager.fontManager.addfont(key)
            name = font_manager.FontProperties(fname=key).get_name()
        _font_ready[key] = name
    return _font_ready[key]


def render_chart(name: str, stats: dict[str, Any], font_path: Path) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    family = _font(font_path)
    with plt.rc_context({"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"], "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(8, 3.6), dpi=100)
        try:
            _draw(name, stats, ax)
            if not ax.has_data():
                ax.text(0.5, 0.5, "暂无数据 / no data", ha="center", va="center", transform=ax.transAxes)
                ax.set_xticks([])
                ax.set_yticks([])
            fig.tight_layout()
            out = io.BytesIO()
            fig.savefig(out, format="png")
        finally:
            plt.close(fig)
    return out.getvalue()


def _draw(name: str, stats: dict[str, Any], ax) -> None:
    if name == "per_day_channel":
        rows = stats["per_day_channel"]
        days = sorted({r["day"] for r in rows})
        channels = sorted({r["channel"] for r in rows})
        bottom = [0] * len(days)
        for channel in channels:
            counts = {r["day"]: r["conversations"] for r in rows if r["channel"] == channel}
            heights = [counts.get(d, 0) for d in days]
            ax.bar(days, heights, bottom=bottom, label=channel)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        ax.set_title("每日会话数（按渠道） / conversations per day and channel")
        if channels:
            ax.legend()
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    elif name in {"per_programme", "ceilings_per_programme"}:
        rows = stats["per_programme"]
        labels = [f"{r['article']} {r['title'][:10]}" for r in rows]
        if name == "per_programme":
            ax.barh(labels, [r["questions"] for r in rows], label="问题数 questions")
            ax.barh(labels, [r["estimates_given"] for r in rows], height=0.4, label="给出金额 estimates given")
            ax.legend()
            ax.set_title("各项目的问题与测算 / questions and estimates per programme")
        else:
            ax.barh(labels, [r["sum_ceiling_yuan"] / 10_000 for r in rows])
            ax.set_xlabel("万元 (10,000 yuan)")
            ax.set_title("各项目测算金额合计 / sum of ceilings estimated")
        ax.invert_yaxis()
    elif name == "missing_facts":
        rows = stats["missing_facts"][:12]
        ax.barh([r["fact"][:16] for r in rows], [r["conversations"] for r in rows])
        ax.invert_yaxis()
        ax.set_title("最常缺少的信息（会话数） / facts most often missing")
    else:
        raise KeyError(name)
