"""metav1.LabelSelector as the scheduler matches it (upstream LabelSelectorAsSelector).

A missing selector (None) selects nothing; an empty one ({}) selects every
set of labels. matchLabels and matchExpressions are ANDed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SET_OPERATORS = ("In", "NotIn")
EXISTENCE_OPERATORS = ("Exists", "DoesNotExist")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        match self.operator:
            case "In":
                return self.key in labels and labels[self.key] in self.values
            case "NotIn":
                return self.key not in labels or labels[self.key] not in self.values
            case "Exists":
                return self.key in labels
            case _:
                return self.key not in labels


@dataclass(frozen=True)
class LabelSelector:
    """Parsed once; matches() is what every pod on every node is asked."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False  # a nil selector: matches no labels at all

    @classmethod
    def parse(cls, selector: Mapping | None) -> LabelSelector:
        """Raises ValueError on an operator upstream would refuse."""
        if selector is None:
            return NOTHING
        requirements = [
            Requirement(key, "In", frozenset([value]))
            for key, value in sorted((selector.get("matchLabels") or {}).items())
        ]
        for expression in selector.get("matchExpressions") or []:
            operator = expression.get("operator")
            values = expression.get("values") or []
            if operator in SET_OPERATORS and not values:
                raise ValueError(f"for '{operator}' operator, values set can't be empty")
            if operator in EXISTENCE_OPERATORS and values:
                raise ValueError(f"values set must be empty for {operator}")
            if operator not in SET_OPERATORS + EXISTENCE_OPERATORS:
                raise ValueError(f'"{operator}" is not a valid label selector operator')
            requirements.append(Requirement(expression.get("key", ""), operator, frozenset(values)))
        return cls(tuple(requirements))

    @classmethod
    def from_set(cls, labels: Mapping[str, str]) -> LabelSelector:
        """A selector matching these labels exactly (upstream labels.SelectorFromSet)."""
        return cls.parse({"matchLabels": dict(labels)})

    @property
    def empty(self) -> bool:
        """No requirement: upstream's Selector.Empty(). A nil selector is not empty."""
        return not self.nothing and not self.requirements

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        if not self.requirements:
            return True  # without looking at the labels, which may be costly to read
        labels = labels if labels is not None else {}
        return all(requirement.matches(labels) for requirement in self.requirements)

    def adding(self, requirements: tuple[Requirement, ...]) -> LabelSelector:
        return LabelSelector(self.requirements + requirements, self.nothing)


NOTHING = LabelSelector(nothing=True)
EVERYTHING = LabelSelector()


def pod_labels(pod: Mapping) -> dict[str, str]:
    return (pod.get("metadata") or {}).get("labels") or {}
