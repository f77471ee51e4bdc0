"""Dashboard performance: frame time and CPU at 2 x 400 Hz input, memory over a long session.

Usage::

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_perf.py [--seconds 20] [--hours 2]

1. *Frame time and CPU*: two simulated sensors at 400 Hz (notifications simulated beforehand,
   so the simulator's own cost is not counted) are fed in real time through the pipeline into
   the window, which ticks and paints at 60 fps. Reports the frame time (tick + paint)
   percentiles and the process CPU as a percentage of one core. Target: 60 fps within 30 %.
2. *Memory*: ``--hours`` of the scripted athlete's pipeline output fed as fast as possible
   through the controller and the window (a tick and a paint every simulated 0.5 s); RSS is
   printed every simulated 15 minutes and must stay flat (ring buffers).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("WINKMON_SOUND", "off")

import numpy as np


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:  # not Linux: peak RSS instead
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


class PresimulatedSource:
    """Notifications simulated beforehand, fed to the pipeline in real time (pull)."""

    def __init__(self, seconds: float, rate_hz: int) -> None:
        from winkmon.gui.controller import SourceKind
        from winkmon.gui.simsource import demo_model, demo_script
        from winkmon.pipeline.model import Thresholds
        from winkmon.pipeline.pipeline import Pipeline
        from winkmon.protocol.constants import Role
        from winkmon.session.offline import notification_events
        from winkmon.session.session import Session
        from winkmon.sim import SimConfig, SimStream

        self.kind = SourceKind.DEMO
        self.thresholds = Thresholds()
        config = SimConfig(seed=1, sacrum_rate_hz=rate_hz, lumbar_rate_hz=rate_hz)
        stream = SimStream(config, demo_script(1, hours=0.2))
        frames = stream.advance(seconds + 1.0)
        self.items = [(f.role, f.t_host_ns, f.payload) for f in frames]
        self.t_ns = np.array([f.t_host_ns for f in frames])
        roles = (Role.SACRUM, Role.LUMBAR)
        self.pipeline = Pipeline(
            demo_model(stream, self.thresholds), {r: float(rate_hz) for r in roles}
        )
        self.session = Session(self.pipeline)
        for event in notification_events([], self.pipeline.rates_hz):
            self.session.handle(event)
        self._i = 0
        self._t0 = 0.0

    def start(self, now_s: float) -> None:
        self._t0 = now_s

    def pull(self, now_s: float) -> object:
        from winkmon.pipeline.events import AngleBlock, StepResult
        from winkmon.session.contract import NotificationBlock

        j = int(np.searchsorted(self.t_ns, (now_s - self._t0) * 1e9, side="right"))
        items, self._i = self.items[self._i : j], j
        if not items:
            return StepResult(AngleBlock.empty(), ())
        roles, times, payloads = zip(*items, strict=True)
        step = self.session.handle(NotificationBlock(roles, times, payloads))
        return step if step is not None else StepResult(AngleBlock.empty(), ())

    def sensors(self) -> dict[object, object]:
        return {}

    def close(self) -> None:
        pass


def frame_bench(seconds: float, rate_hz: int) -> None:
    from PySide6.QtWidgets import QApplication

    from winkmon.gui.controller import SessionController
    from winkmon.gui.sound import SoundPlayer
    from winkmon.gui.window import DashboardWindow

    app = QApplication.instance() or QApplication([])
    t = time.perf_counter()
    source = PresimulatedSource(seconds + 60.0, rate_hz)
    print(f"simulated {seconds + 60:.0f} s at 2 x {rate_hz} Hz in {time.perf_counter() - t:.1f} s")
    # The pipeline alone, fed at 60 calls per second of data (the GUI's share is the rest).
    alone = PresimulatedSource(seconds + 60.0, rate_hz)
    alone.start(0.0)
    c0 = time.process_time()
    for k in range(1, int((seconds + 35.0) * 60)):
        alone.pull(k / 60)
    pipe_cpu = (time.process_time() - c0) / (seconds + 35.0)
    print(f"pipeline alone: {100 * pipe_cpu:.1f} % of one core at 2 x {rate_hz} Hz")
    # Start where the squats are (after standing, calibration and walking).
    offset = 35.0
    controller = SessionController(source, clock=time.monotonic)  # type: ignore[arg-type]
    window = DashboardWindow(controller, SoundPlayer(enabled=False))
    window.resize(1600, 900)
    window.show()
    app.processEvents()
    source.start(time.monotonic() - offset)
    controller._started = True
    period = 1 / 60
    frames: list[float] = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    next_t = wall0
    while time.perf_counter() - wall0 < seconds:
        a = time.perf_counter()
        window.tick()
        app.processEvents()  # paints what the tick changed (offscreen raster)
        frames.append(time.perf_counter() - a)
        next_t += period
        delay = next_t - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        else:
            next_t = time.perf_counter()
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    ft = np.array(frames) * 1000
    print(
        f"frames: {len(ft)} in {wall:.1f} s = {len(ft) / wall:.1f} fps; frame time "
        f"median {np.median(ft):.2f} ms, p95 {np.percentile(ft, 95):.2f} ms, "
        f"max {ft.max():.2f} ms"
    )
    print(f"CPU: {100 * cpu / wall:.1f} % of one core (pipeline + GUI, 2 x {rate_hz} Hz input)")
    print(f"reps seen: {len(controller.all_reps)}, alerts: {len(controller.alerts)}")
    window.close()


def memory_bench(hours: float) -> None:
    from PySide6.QtWidgets import QApplication

    from winkmon.gui.controller import SessionController
    from winkmon.gui.simsource import SimulatedSource
    from winkmon.gui.sound import SoundPlayer
    from winkmon.gui.window import DashboardWindow

    app = QApplication.instance() or QApplication([])
    clock_t = [0.0]
    source = SimulatedSource(seed=5)
    controller = SessionController(source, clock=lambda: clock_t[0])
    window = DashboardWindow(controller, SoundPlayer(enabled=False), clock=lambda: clock_t[0])
    window.resize(1600, 900)
    window.show()
    step = 0.5
    report_every = 15 * 60
    start = time.perf_counter()
    base = None
    print("session min   RSS MB   reps  alerts")
    while clock_t[0] < hours * 3600:
        clock_t[0] += step
        window.tick()
        window.repaint()
        app.processEvents()
        if clock_t[0] % report_every < step:
            mb = rss_mb()
            base = base or mb
            print(
                f"{clock_t[0] / 60:11.0f} {mb:8.1f} {len(controller.all_reps):6d} "
                f"{len(controller.alerts):7d}"
            )
    print(
        f"{hours:g} h fed in {time.perf_counter() - start:.0f} s; RSS growth after the first "
        f"15 min: {rss_mb() - (base or 0):+.1f} MB"
    )
    window.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="frame bench duration")
    parser.add_argument("--rate", type=int, default=400, help="sensor rate, Hz")
    parser.add_argument("--hours", type=float, default=2.0, help="memory bench session length")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication([])
    frame_bench(args.seconds, args.rate)
    if not args.skip_memory:
        memory_bench(args.hours)


if __name__ == "__main__":
    main()
