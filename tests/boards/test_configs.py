"""Board configs (firmware/config/): one per board, the keys the core reads
unchanged, and pins that follow hardware/wiring.md."""
import json
from pathlib import Path

from insole.pipeline import Pipeline
from insole_host.config_check import check_file

CONFIG = Path(__file__).resolve().parents[2] / "firmware" / "config"
BOARDS = ("esp32s3", "esp32c3", "xiao_nrf52840")


def load(name):
    return json.loads((CONFIG / f"{name}.json").read_text())


def test_core_keys_and_sensor_map_as_the_default_board():
    default = load("sim")
    for name in BOARDS:
        cfg = load(name)
        for key in ("fs_hz", "adc_bits", "fsr", "sensors"):
            assert cfg[key] == default[key], (name, key)
        assert Pipeline(cfg).channels == 8


def test_runtime_and_compiler_target():
    assert {n: (load(n)["runtime"], load(n).get("mpy_arch")) for n in BOARDS} == {
        "esp32s3": ("micropython", "xtensawin"),
        "esp32c3": ("micropython", "rv32imc"),
        "xiao_nrf52840": ("circuitpython", None),
    }
    for name in BOARDS:
        assert (CONFIG.parent / "boards" / f"{load(name)['board_module']}.py").is_file()


def test_every_board_config_passes_the_deploy_check():
    """What `make deploy` checks first (pins valid and used once, ranges, the sensor map):
    every config with a runtime passes; gaitndd.json, the replay's, is no board."""
    boards = []
    for path in sorted(CONFIG.glob("*.json")):
        _, problems = check_file(path, path.name)
        if "runtime" in json.loads(path.read_text()):
            boards.append(path.stem)
            assert problems == [], path.name
        else:
            assert problems[0].startswith(f"{path.name}: board_module: missing"), problems
    assert boards == sorted(BOARDS + ("sim",))


def test_esp32_s3_direct_adc1_pins_and_the_xiao_motor_on_gpio44():
    cfg = load("esp32s3")
    assert "mux" not in cfg and cfg["adc_pins"] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert cfg["battery_pin"] in range(1, 11)  # ADC1 is GPIO1..10 on the S3
    assert cfg["motor_pin"] == 44  # D7: GPIO10 is not broken out on the XIAO ESP32-S3
    assert cfg["adc_full_scale_mv"] == 3100


def test_esp32_c3_reads_through_the_mux_on_adc1():
    cfg = load("esp32c3")
    assert "adc_pins" not in cfg and len(cfg["mux"]["select"]) == 4
    assert cfg["mux"]["sig"] in range(0, 5) and cfg["battery_pin"] in range(0, 5)  # ADC1: GPIO0..4
    assert cfg["adc_full_scale_mv"] == 2500


def test_xiao_nrf52840_reads_through_the_mux_and_its_own_battery_divider():
    cfg = load("xiao_nrf52840")
    assert cfg["mux"] == {"sig": "A0", "select": ["D7", "D8", "D9", "D10"]}
    assert cfg["motor_pin"] == "D6"
    assert (cfg["battery_pin"], cfg["battery_enable_pin"]) == ("VBATT", "READ_BATT_ENABLE")
    assert cfg["battery_divider_kohm"] == [1000, 510]
