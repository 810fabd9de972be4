"""The divider for a foot, per board: python3 hardware/divider_calc.py

Each FSR channel: 3V3 -> Rs -> FSR -> ADC node -> Rm -> GND, so

    x = V_node / V_3V3 = Rm / (Rm + Rs + R_fsr),   R_fsr = K / F

The load: a 70 kg wearer's brisk step puts at most PEAK_KPA of in-shoe plantar
pressure under the heel or a metatarsal head (hardware/divider.md, section 6),
which the FSR 402's active disc (ACTIVE_MM across) turns into a force. Each
board's ADC reaches full scale at FULL_SCALE of 3V3 (ESP32: the 11 dB range
top, measured against the chip's reference; nRF52840: VDD, ratiometric). The
check: the force at which a channel reaches 90 % of full scale must be at
least 1.5 x that peak. Prints the table divider.md shows. Standard library only.
"""
import math

K_OHM_N = 10_000      # FSR 402: about 1 kOhm at 10 N (rough; real parts fall a bit slower than 1/F)
ACTIVE_MM = 14.7      # FSR 402 active area diameter
PEAK_KPA = 400        # in-shoe peak plantar pressure of a brisk step, heel or forefoot, upper end
V_SUPPLY = 3.3
FULL_SCALE = {"ESP32-S3": 3.1 / V_SUPPLY, "ESP32-C3": 2.5 / V_SUPPLY, "nRF52840": 1.0}
DESIGN = {"ESP32-S3": (3300, 560), "ESP32-C3": (3300, 1500), "nRF52840": (3300, 560)}  # (Rm, Rs) in Ohm
MARGIN = 1.5


def peak_force_n():
    """Force on the active disc at the brisk step's peak pressure."""
    area_m2 = math.pi * (ACTIVE_MM / 2000) ** 2
    return PEAK_KPA * 1000 * area_m2


def force_at(x, rm, rs):
    """Force (N) at which the node reaches fraction x of 3V3; inf if it never does."""
    spare = rm / x - rm - rs  # the FSR resistance that gives x
    return K_OHM_N / spare if spare > 0 else math.inf


def x_at(force, rm, rs):
    return rm / (rm + rs + K_OHM_N / force)


def main():
    peak = peak_force_n()
    print(f"peak of a brisk step on a {ACTIVE_MM} mm disc at {PEAK_KPA} kPa: {peak:.0f} N; "
          f"needed at 90 % of full scale: >= {MARGIN * peak:.0f} N")
    print("| board | full scale (V/3V3) | Rm | Rs | top of the divider (V/3V3) | F at 90 % of full scale | "
          "reading at the peak (% of full scale) | counts/N at 20 N (12 bit) | max current per channel |")
    print("|---|---|---|---|---|---|---|---|---|")
    for board, fs in FULL_SCALE.items():
        rm, rs = DESIGN[board]
        f90 = force_at(0.9 * fs, rm, rs)
        top = rm / (rm + rs)
        at_peak = x_at(peak, rm, rs) / fs
        slope = (x_at(20.5, rm, rs) - x_at(19.5, rm, rs)) / fs * 4095
        f90_text = "never (the divider tops out below it)" if math.isinf(f90) else f"{f90:.0f} N"
        ok = "ok" if f90 >= MARGIN * peak else "FAILS"
        print(f"| {board} | {fs:.3f} | {rm / 1000:g} kOhm | {rs} Ohm | {top:.3f} ({top / fs * 100:.0f} % of full scale) | "
              f"{f90_text} ({ok}) | {at_peak * 100:.0f} % | {slope:.0f} | {V_SUPPLY / (rm + rs) * 1000:.2f} mA |")


if __name__ == "__main__":
    main()
