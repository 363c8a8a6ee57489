"""gatecore.config: each assignment to a knob moves `version` on (the key of the plans cpu_compiled keeps)."""
import pytest

from gatecore import config


def test_setting_a_knob_moves_the_version(monkeypatch):
    before = config.version
    assert config.CPU_FEED_ROWS == config.CPU_FEED_ROWS and config.version == before    # reading does not
    monkeypatch.setattr(config, "CPU_FEED_ROWS", config.CPU_FEED_ROWS)                 # the same value does
    assert config.version == before + 1
    config.CPU_FEED_ROWS = config.CPU_FEED_ROWS + 1
    assert config.version == before + 2
    monkeypatch.undo()                                                                  # and undoing
    assert config.version == before + 3


def test_the_version_is_not_a_knob():
    before = config.version
    config.version = before + 10
    assert config.version == before + 10
    config.NEW_KNOB = 1
    del config.NEW_KNOB
    assert config.version == before + 12
    with pytest.raises(AttributeError):
        config.NEW_KNOB
