"""Names shared by the scope managers that store the active scope on a foreign object."""

__all__ = ["ACTIVE_ATTR"]

#: Attribute under which a scope manager keeps the active Scope on an external object,
#: such as an asyncio Task or a greenlet.
ACTIVE_ATTR = "__ot_active"
