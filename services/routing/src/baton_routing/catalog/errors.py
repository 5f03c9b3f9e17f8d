"""Why a catalog change cannot be made. Plain exceptions, so that the domain knows
nothing of HTTP; the router turns them into problem details."""


class CatalogError(Exception):
    """The message says what is wrong, for the person who asked for the change."""


class NotFound(CatalogError):
    """No department or rule by that name or id."""


class UnknownVersion(NotFound):
    """No catalog version by that number."""


class Conflict(CatalogError):
    """It exists already, or another change came first (retrying helps)."""


class InvalidChange(CatalogError):
    """The catalog the change would make is invalid (an unknown department, a rule
    without conditions, a regex that does not compile, a renamed entry)."""
