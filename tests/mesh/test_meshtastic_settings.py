"""A device's LoRa settings are its own report, so any value is possible: a
modem preset newer than the installed meshtastic library knows is figured
as LONG_FAST with the reason (found by scripts/fuzz, issue 16.1: it was a
ValueError out of ``params_of``, so out of the adapter's constructor)."""

from __future__ import annotations

from meshtastic.protobuf import config_pb2

from mesh.airtime import MESHTASTIC
from mesh.meshtastic_adapter import params_of

LoRaConfig = config_pb2.Config.LoRaConfig


def test_an_unknown_preset_number_is_figured_as_long_fast_and_says_so() -> None:
    lora = LoRaConfig()
    lora.ParseFromString(b"\x08\x01\x10E\x95e\x88\xed6\x088\x03")  # the fuzzer's input
    assert lora.use_preset and lora.modem_preset == 69
    params, settings = params_of(lora)
    assert params == MESHTASTIC["LONG_FAST"]
    assert settings == "LONG_FAST (assumed: preset number 69 is unknown to this meshtastic library)"


def test_a_known_preset_still_names_itself() -> None:
    lora = LoRaConfig(use_preset=True, modem_preset=LoRaConfig.ModemPreset.LONG_SLOW)
    assert params_of(lora)[1] == "LONG_SLOW"
