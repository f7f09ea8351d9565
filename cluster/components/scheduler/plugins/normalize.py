"""Upstream helper.DefaultNormalizeScore: scale raw scores to 0..100 against the best one."""

from __future__ import annotations

from cluster.components.scheduler.framework import MAX_NODE_SCORE


def default_normalize_score(scores: list[int], *, reverse: bool) -> list[int]:
    """Scale to 0..100 by the highest score; reverse makes the lowest raw score the best.

    Integer division, as upstream, so a student's hand calculation matches.
    """
    highest = max(scores, default=0)
    if highest == 0:
        # Nothing to tell the nodes apart: all best when reversed, all zero otherwise.
        return [MAX_NODE_SCORE if reverse else 0 for _ in scores]
    scaled = [MAX_NODE_SCORE * score // highest for score in scores]
    return [MAX_NODE_SCORE - score for score in scaled] if reverse else scaled
