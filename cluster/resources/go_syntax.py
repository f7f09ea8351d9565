"""Values as upstream's field errors print them when they are Go structs or maps.

apimachinery's field.Error prints a bad value that is neither a number, a string
nor a Stringer with fmt's %#v, so `kubectl` shows Go syntax such as
`map[string]string{"app":"web"}` or `v1.LabelSelector{MatchLabels:...}`. These
functions write the same text from the JSON the sandbox keeps. Go's %#v sorts a
map's keys, separates items with ", " and quotes strings as Go does.
"""

from __future__ import annotations

import json

from cluster.resources.field_errors import GoValue
from cluster.resources.meta import is_integer

# Go prints a non-nil pointer inside a struct as its address; any address will do.
_SOME_ADDRESS = "0xc000a1c2d0"


def go_string(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(str(value), ensure_ascii=False)


def string_map(labels: object) -> str:
    """map[string]string: `(nil)` when absent, `{}` when empty."""
    if not isinstance(labels, dict):
        return "map[string]string(nil)"
    items = ", ".join(
        f"{go_string(key)}:{go_string(labels[key])}" for key in sorted(labels, key=str)
    )
    return f"map[string]string{{{items}}}"


def string_slice(values: object) -> str:
    if not isinstance(values, list):
        return "[]string(nil)"
    return "[]string{" + ", ".join(go_string(value) for value in values) + "}"


def label_selector(selector: object) -> GoValue:
    """A metav1.LabelSelector as upstream's messages show it."""
    selector = selector if isinstance(selector, dict) else {}
    expressions = selector.get("matchExpressions")
    if isinstance(expressions, list):
        requirements = ", ".join(_requirement(expression) for expression in expressions)
        shown = f"[]v1.LabelSelectorRequirement{{{requirements}}}"
    else:
        shown = "[]v1.LabelSelectorRequirement(nil)"
    return GoValue(
        f"v1.LabelSelector{{MatchLabels:{string_map(selector.get('matchLabels'))},"
        f" MatchExpressions:{shown}}}"
    )


def _requirement(expression: object) -> str:
    expression = expression if isinstance(expression, dict) else {}
    return (
        f"v1.LabelSelectorRequirement{{Key:{go_string(expression.get('key', ''))},"
        f" Operator:{go_string(expression.get('operator', ''))},"
        f" Values:{string_slice(expression.get('values'))}}}"
    )


def labels_map(labels: object) -> GoValue:
    return GoValue(string_map(labels))


def int_or_string(value: object) -> GoValue:
    """An intstr.IntOrString: Type 0 holds an integer, Type 1 a string such as "25%"."""
    if is_integer(value):
        return GoValue(f'intstr.IntOrString{{Type:0, IntVal:{value}, StrVal:""}}')
    return GoValue(f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{go_string(value)}}}")


def deployment_strategy(strategy: dict) -> GoValue:
    rolling_update = (
        f"(*apps.RollingUpdateDeployment)({_SOME_ADDRESS})"
        if strategy.get("rollingUpdate") is not None
        else "(*apps.RollingUpdateDeployment)(nil)"
    )
    return GoValue(
        f"apps.DeploymentStrategy{{Type:{go_string(strategy.get('type', ''))},"
        f" RollingUpdate:{rolling_update}}}"
    )
