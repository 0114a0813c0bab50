"""Roll the ``champion`` alias back to the previous champion (one call, recorded in the registry)."""

from __future__ import annotations

from stage3_mlops import registry
from stage3_mlops.errors import RegistryError
from stage3_mlops.reports import DeploymentDecision
from stage3_mlops.tracking import TrackingContext

__all__ = ["rollback_champion"]


def rollback_champion(ctx: TrackingContext) -> DeploymentDecision:
    """Point ``champion`` at the champion before it; the history tag remembers the move.

    Repeated rollbacks walk further back; a version rolled back from is tagged ``rolled_back``.
    """
    client, name = ctx.client, ctx.model_name
    current = registry.get_alias_version(client, name, registry.CHAMPION)
    if current is None:
        raise RegistryError(f"{name!r} has no champion; deploy a model first")
    history = registry.champion_history(client, name)
    while history and history[-1] == str(current.version):
        history.pop()
    if not history:
        raise RegistryError(
            f"{name!r} has no previous champion to roll back to "
            f"(v{current.version} is the only one ever promoted)"
        )
    previous = history[-1]
    client.set_registered_model_alias(name, registry.CHAMPION, previous)
    registry.set_champion_history(client, name, history)
    reason = f"rolled back from v{current.version} to v{previous}"
    client.set_model_version_tag(name, str(current.version), "rolled_back", reason)
    client.set_registered_model_tag(name, "last_rollback", reason)
    return DeploymentDecision(
        promoted=True,
        model_name=name,
        champion_version=previous,
        previous_version=str(current.version),
        reason=reason,
    )
