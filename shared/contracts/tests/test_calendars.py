"""A calendar's time zone: an IANA name, and anything else a clear error (a 422
where an API takes it), never an exception of the file system's."""

import pytest
from baton_contracts.calendars import _zone


def test_an_iana_zone_is_kept():
    assert _zone("Europe/Berlin") == "Europe/Berlin"


@pytest.mark.parametrize("name", ["Mars/Olympus", "0" * 300, "../../etc/passwd", ""])
def test_anything_else_is_a_value_error_naming_what_is_wanted(name):
    with pytest.raises(ValueError, match="not an IANA time zone"):
        _zone(name)
